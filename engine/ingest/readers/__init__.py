"""One reader per document format, each turning a file into pages of text."""
