""""Ask about this table": a question over a whole review, whose selected documents are the
table (every answer with its explanation and checked sources) followed by the reviewed
documents themselves, so the model can read the table and still go back to the text."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from engine.context_format import Page, PreparedContext, SourceDocument, build_context
from engine.review.export import STATUS_WORDS, ReviewTable, cell_text, page_words
from engine.sandbox.context_file import CONTEXT_NAME, DOCUMENTS_NAME, write_context
from engine.store.contexts import cache_dir, page_text
from engine.store.library import Library

TABLE_DOC_ID = 0          # no document of the library has id 0 (SQLite ids start at 1)


def table_document(table: ReviewTable) -> SourceDocument:
    """The table as a document: one page per reviewed document, one block per question."""
    pages = []
    for number, doc in enumerate(table.rows, 1):
        lines = [f"Document {doc.id}: {doc.title}"]
        for column in table.review.columns:
            cell = table.cell(doc.id, column.id)
            lines.append(f"- {column.name}: {cell_text(cell) or '(not answered yet)'}")
            if cell is None:
                continue
            if cell.status not in ("answered",):
                lines.append(f"  status: {STATUS_WORDS.get(cell.status, cell.status)}")
            if cell.explanation:
                lines.append(f"  explanation: {' '.join(cell.explanation.split())}")
            for citation in cell.citations:
                quote = citation.get("quote")
                where = f"doc {citation.get('doc_id')}, {page_words(citation)}"
                lines.append(f"  source: {where}" + (f': "{quote}"' if quote else "")
                             + f" ({citation.get('status')})")
        pages.append(Page(number=number, text="\n".join(lines) + "\n"))
    return SourceDocument(id=TABLE_DOC_ID, title=f"Review table: {table.review.name}",
                          path="", type="table", pages=pages)


def table_sources(library: Library, table: ReviewTable) -> list[SourceDocument]:
    """The table first, then each reviewed document that could be read, page by page."""
    sources = [table_document(table)]
    for doc in table.rows:
        if doc.content_hash is None:
            continue
        pages = [Page(number=row["page"], text=page_text(row["kind"], row["text"]),
                      label=row["label"]) for row in library.pages(doc.content_hash)]
        sources.append(SourceDocument(id=doc.id, title=doc.title, path=doc.path,
                                      type=doc.type, pages=pages))
    return sources


def table_question(question: str, table: ReviewTable) -> str:
    """The question, with where the table is and how to cite."""
    return (f"{question}\n\n(This question is about the review table "
            f"\"{table.review.name}\": document {TABLE_DOC_ID} of the selected documents is "
            "that table, one page per reviewed document, with each question's answer, "
            "explanation and checked sources. The reviewed documents follow it. Check what "
            "matters against the documents themselves, and cite the documents' pages, not "
            "the table.)")



MAX_TABLE_CONTEXTS = 8      # table selections kept on disk; the oldest go first


def table_context(library: Library, table: ReviewTable) -> PreparedContext:
    """The table and its documents as context files, in the data folder's context cache
    (reused while the table is unchanged)."""
    context, documents = build_context(table_sources(library, table))
    key = hashlib.sha256(context.encode("utf-8", "replace")).hexdigest()[:32]
    folder = cache_dir() / "tables" / f"{table.review.id}-{key}"
    if not (folder / CONTEXT_NAME).is_file():
        temp = folder.with_name(f".{folder.name}-{os.getpid()}")
        write_context(temp, context, documents)
        try:
            os.replace(temp, folder)
        except OSError:      # written by another request meanwhile: use that one
            shutil.rmtree(temp, ignore_errors=True)
    else:
        os.utime(folder)
    _evict(folder.parent, keep=folder)
    return PreparedContext(context_path=folder / CONTEXT_NAME,
                           documents_path=folder / DOCUMENTS_NAME, chars=len(context),
                           documents=documents)


def _evict(root: Path, keep: Path) -> None:
    folders = sorted((p for p in root.iterdir() if p.is_dir() and p != keep),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[MAX_TABLE_CONTEXTS - 1:]:
        shutil.rmtree(old, ignore_errors=True)
