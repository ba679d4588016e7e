"""Turning files on disk into documents with pages for the context."""
