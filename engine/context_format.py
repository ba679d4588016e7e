"""The REPL context format: document header and page marker lines, and the offsets index."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Page:
    number: int
    text: str
    label: str | None = None


@dataclass
class SourceDocument:
    """A document as the engine needs it: an id, a title, where it came from, and its pages."""

    id: int
    title: str
    path: str
    type: str
    pages: list[Page] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(len(p.text) for p in self.pages)


@dataclass(frozen=True)
class PreparedContext:
    """The context files of a run (written once, mapped read-only by each REPL child)."""

    context_path: Path
    documents_path: Path
    chars: int
    documents: list[dict[str, Any]]


def document_header(doc_id: int, title: str, doc_type: str, page_count: int) -> str:
    plural = "s" * (page_count != 1)
    return f"=== DOCUMENT {doc_id}: {title} ({doc_type}, {page_count} page{plural}) ==="


def page_marker(doc_id: int, page: Page) -> str:
    label = f' (printed "{page.label}")' if page.label and page.label != str(page.number) else ""
    return f"--- doc {doc_id}, page {page.number}{label} ---"


class ContextWriter:
    """Writes documents in the context format to ``write``, page by page, keeping the index.

    A page's span starts at its marker line, so any slice of pages still says
    where it came from (and a sub-model can cite it). ``build_context`` joins
    the pieces in memory; the store streams them to a file from SQLite.
    """

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write
        self.offset = 0
        self.index: list[dict[str, Any]] = []

    def _add(self, text: str) -> None:
        self._write(text)
        self.offset += len(text)

    def add_document(self, doc_id: int, title: str, path: str, doc_type: str,
                     page_count: int, pages: Iterable[Page]) -> None:
        start = self.offset
        self._add(document_header(doc_id, title, doc_type, page_count) + "\n")
        spans = []
        for page in pages:
            page_start = self.offset
            self._add(page_marker(doc_id, page) + "\n")
            self._add(page.text if page.text.endswith("\n") or not page.text
                      else page.text + "\n")
            entry: dict[str, Any] = {"page": page.number, "start": page_start,
                                     "end": self.offset}
            if page.label:
                entry["label"] = page.label
            spans.append(entry)
        self.index.append({"id": doc_id, "title": title, "path": path, "type": doc_type,
                           "start": start, "end": self.offset, "pages": spans})
        self._add("\n")


def build_context(docs: list[SourceDocument]) -> tuple[str, list[dict[str, Any]]]:
    """Join documents into one string; offsets index it so code can slice a document or page."""
    parts: list[str] = []
    writer = ContextWriter(parts.append)
    for doc in docs:
        writer.add_document(doc.id, doc.title, doc.path, doc.type, len(doc.pages), doc.pages)
    return "".join(parts), writer.index
