"""The export formats by name and by file extension, and the writer of each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.export import docx, markdown, pdf
from engine.export.document import ExportDocument

WRITERS: dict[str, Callable[[ExportDocument, Path], None]] = {
    "md": markdown.write, "docx": docx.write, "pdf": pdf.write}
SUFFIXES = {".md": "md", ".markdown": "md", ".docx": "docx", ".pdf": "pdf"}


def format_of(path: Path) -> str | None:
    """The format a file name's extension asks for (None when it does not say)."""
    return SUFFIXES.get(Path(path).suffix.lower())
