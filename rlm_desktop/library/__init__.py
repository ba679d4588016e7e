"""The Library panel: collections, the document table, adding and ingesting."""
