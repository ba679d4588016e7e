"""Exports of a saved analysis: one neutral document built from its trajectory log
(``document``), written as Markdown, Word or PDF, each file written whole or not at all."""
