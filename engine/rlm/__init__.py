"""The recursive language model loop: prompts, parsing, limits and the run itself."""
