"""The REPL context format: document header and page marker lines, and the offsets index."""

from __future__ import annotations

from dataclasses import dataclass, field
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


def document_header(doc: SourceDocument) -> str:
    count = len(doc.pages)
    return f"=== DOCUMENT {doc.id}: {doc.title} ({doc.type}, {count} page{'s' * (count != 1)}) ==="


def page_marker(doc_id: int, page: Page) -> str:
    label = f' (printed "{page.label}")' if page.label and page.label != str(page.number) else ""
    return f"--- doc {doc_id}, page {page.number}{label} ---"


def build_context(docs: list[SourceDocument]) -> tuple[str, list[dict[str, Any]]]:
    """Join documents into one string; offsets index it so code can slice a document or page.

    A page's span starts at its marker line, so any slice of pages still says
    where it came from (and a sub-model can cite it).
    """
    parts: list[str] = []
    index: list[dict[str, Any]] = []
    offset = 0

    def add(text: str) -> None:
        nonlocal offset
        parts.append(text)
        offset += len(text)

    for doc in docs:
        start = offset
        add(document_header(doc) + "\n")
        pages = []
        for page in doc.pages:
            page_start = offset
            add(page_marker(doc.id, page) + "\n")
            add(page.text if page.text.endswith("\n") or not page.text else page.text + "\n")
            entry: dict[str, Any] = {"page": page.number, "start": page_start, "end": offset}
            if page.label:
                entry["label"] = page.label
            pages.append(entry)
        index.append({"id": doc.id, "title": doc.title, "path": doc.path, "type": doc.type,
                      "start": start, "end": offset, "pages": pages})
        add("\n")
    return "".join(parts), index
