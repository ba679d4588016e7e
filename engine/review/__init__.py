"""Review tables: the same questions asked of every document, each answer typed and cited."""
