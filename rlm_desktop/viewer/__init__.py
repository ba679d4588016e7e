"""The source viewer: a cited page, rendered or as its stored text, with the quote highlighted."""
