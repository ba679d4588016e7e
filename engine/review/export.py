"""A review table written out: Excel (typed values, a sources sheet, a notes sheet), CSV, and
a Word table with numbered citations. Answers and quotes are untrusted text: a cell never
becomes a formula, and control characters are dropped."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.export.atomic import write_atomically
from engine.store import reviews as store
from engine.store.library import DocumentRecord

FORMATS = ("xlsx", "csv", "docx")
SUFFIXES = {".xlsx": "xlsx", ".csv": "csv", ".docx": "docx"}
STATUS_WORDS = {store.ANSWERED: "Answered", store.NOT_STATED: "Not in this document",
                store.UNREADABLE: "Could not read the answer", store.FAILED: "Failed",
                store.STOPPED: "Stopped (budget reached)", "": "Not run yet"}
CITATION_WORDS = {"verified": "Quote checked on this page",
                  "relocated": "Quote found on another page",
                  "not_found": "Quote not found in the documents",
                  "no_quote": "Page cited without a quote",
                  "invalid": "Broken citation"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class ReviewTable:
    """A review's rows, columns and cells, ready to write."""

    review: store.ReviewRecord
    docs: dict[int, DocumentRecord]
    cells: dict[tuple[int, int], store.CellRecord] = field(default_factory=dict)

    @property
    def rows(self) -> list[DocumentRecord]:
        return [self.docs[d] for d in self.review.doc_ids if d in self.docs]

    def cell(self, doc_id: int, column_id: int) -> store.CellRecord | None:
        return self.cells.get((doc_id, column_id))


def read_table(library: Any, review_id: str) -> ReviewTable:
    """The review as stored now (``library`` is an open ``Library``)."""
    review = store.require_review(library.conn, review_id)
    docs = {d.id: d for d in library.documents(ids=review.doc_ids)}
    cells = {(c.doc_id, c.column_id): c for c in store.cells(library.conn, review_id)}
    return ReviewTable(review, docs, cells)


def clean(text: Any) -> str:
    return _CONTROL.sub("", str(text))


def inert(text: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP's CSV injection advice)."""
    text = clean(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def page_words(citation: dict[str, Any]) -> str:
    label, page = citation.get("page_label"), citation.get("page")
    return f"p. {label} (PDF p. {page})" if label and str(label) != str(page) else f"p. {page}"


def cell_text(cell: store.CellRecord | None) -> str:
    """What a cell says in a plain export: its short answer, or why it has none."""
    if cell is None:
        return ""
    if cell.status in (store.FAILED, store.STOPPED):
        return f"[{STATUS_WORDS[cell.status]}: {cell.problem}]" if cell.problem \
            else f"[{STATUS_WORDS[cell.status]}]"
    if cell.status == store.UNREADABLE:
        return f"[{cell.problem}]"
    return cell.shown


def write(table: ReviewTable, path: Path, kind: str) -> None:
    writers: dict[str, Callable[[ReviewTable, Path], None]] = {
        "xlsx": write_xlsx, "csv": write_csv, "docx": write_docx}
    writers[kind](table, path)


# --- CSV ----------------------------------------------------------------------------------

def write_csv(table: ReviewTable, path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Document", "File", *(inert(c.name) for c in table.review.columns)])
    for doc in table.rows:
        writer.writerow([inert(doc.title), inert(doc.path),
                         *(inert(cell_text(table.cell(doc.id, c.id)))
                           for c in table.review.columns)])
    _atomic_write(path, out.getvalue().encode("utf-8-sig"))   # the BOM: Excel reads UTF-8


# --- Excel --------------------------------------------------------------------------------

def _typed(cell: store.CellRecord | None, kind: str) -> tuple[Any, str | None]:
    """A cell's value as Excel should hold it, and its number format."""
    if cell is None or cell.status != store.ANSWERED or cell.value is None:
        return cell_text(cell), None
    value = cell.value
    if kind == "number" and isinstance(value, (int, float)):
        return value, "#,##0.##########"
    if kind == "money" and isinstance(value, dict):
        try:
            amount = float(str(value.get("amount")))
        except (TypeError, ValueError):
            return cell.shown, None
        currency = clean(value.get("currency") or "")
        return amount, (f'"{currency}" #,##0.00' if currency.isalpha() else "#,##0.00")
    if kind == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value), "yyyy-mm-dd"
        except ValueError:
            return cell.shown, None
    if kind == "yesno" and isinstance(value, bool):
        return "Yes" if value else "No", None
    return cell.shown, None


def write_xlsx(table: ReviewTable, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    grid = book.active
    grid.title = "Review"
    columns = table.review.columns
    header = ["Document", *(c.name for c in columns)]
    for x, name in enumerate(header, 1):
        _text_cell(grid.cell(row=1, column=x), name).font = Font(bold=True)
    warn = PatternFill("solid", start_color="FFF4CE")
    sources: list[list[Any]] = []
    notes: list[list[Any]] = []
    for y, doc in enumerate(table.rows, 2):
        _text_cell(grid.cell(row=y, column=1), doc.title)
        for x, column in enumerate(columns, 2):
            cell = table.cell(doc.id, column.id)
            value, number_format = _typed(cell, column.kind)
            target = grid.cell(row=y, column=x)
            if isinstance(value, str):
                _text_cell(target, value)
            else:
                target.value = value
            if number_format:
                target.number_format = number_format
            target.alignment = Alignment(wrap_text=True, vertical="top")
            ref = f"{get_column_letter(x)}{y}"
            if cell is None:
                continue
            if cell.status not in (store.ANSWERED, store.NOT_STATED) or any(
                    c.get("status") in ("not_found", "invalid") for c in cell.citations):
                target.fill = warn
            if cell.problem:
                target.comment = Comment(clean(cell.problem)[:2000], "rlm")
            for citation in cell.citations:
                sources.append([ref, column.name, doc.title, page_words(citation),
                                citation.get("quote") or "",
                                CITATION_WORDS.get(str(citation.get("status")), "")])
            notes.append([ref, column.name, doc.title, STATUS_WORDS.get(cell.status, ""),
                          cell.raw, cell.explanation, "Yes" if cell.reviewed else "",
                          "Yes" if cell.flagged else "", cell.note])
    grid.freeze_panes = "B2"
    grid.column_dimensions["A"].width = 36
    for x in range(2, len(header) + 1):
        grid.column_dimensions[get_column_letter(x)].width = 24
    _sheet(book, "Sources", ["Cell", "Question", "Document", "Page", "Quote", "Check"],
           sources)
    _sheet(book, "Notes", ["Cell", "Question", "Document", "Status", "Model's answer",
                           "Explanation", "Reviewed", "Flagged", "Note"], notes)
    buffer = io.BytesIO()
    book.save(buffer)
    _atomic_write(path, buffer.getvalue())


def _text_cell(target: Any, text: str) -> Any:
    """Untrusted text as a string cell: openpyxl would make "=..." a formula."""
    target.value = clean(text)[:32_000]
    target.data_type = "s"
    return target


def _sheet(book: Any, title: str, header: list[str], rows: list[list[Any]]) -> None:
    from openpyxl.styles import Font
    sheet = book.create_sheet(title)
    for x, name in enumerate(header, 1):
        _text_cell(sheet.cell(row=1, column=x), name).font = Font(bold=True)
    for y, row in enumerate(rows, 2):
        for x, value in enumerate(row, 1):
            _text_cell(sheet.cell(row=y, column=x), str(value))
    sheet.freeze_panes = "A2"


# --- Word ---------------------------------------------------------------------------------

def write_docx(table: ReviewTable, path: Path) -> None:
    import docx
    from docx.enum.section import WD_ORIENT

    document = docx.Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.add_heading(clean(table.review.name), level=1)
    columns = table.review.columns
    grid = document.add_table(rows=1, cols=len(columns) + 1)
    grid.style = "Table Grid"
    for x, name in enumerate(["Document", *(c.name for c in columns)]):
        grid.rows[0].cells[x].text = clean(name)
    numbered: list[tuple[int, str, dict[str, Any]]] = []
    for doc in table.rows:
        row = grid.add_row().cells
        row[0].text = clean(doc.title)
        for x, column in enumerate(columns, 1):
            cell = table.cell(doc.id, column.id)
            marks = ""
            for citation in (cell.citations if cell else []):
                numbered.append((len(numbered) + 1, doc.title, citation))
                marks += f" [{len(numbered)}]"
            row[x].text = clean(cell_text(cell) + marks)
    document.add_heading("Sources", level=2)
    for n, title, citation in numbered:
        quote = citation.get("quote")
        status = CITATION_WORDS.get(str(citation.get("status")), "")
        text = f"[{n}] {title}, {page_words(citation)}"
        if quote:
            text += f": “{quote}”"
        document.add_paragraph(clean(f"{text} — {status}"))
    buffer = io.BytesIO()
    document.save(buffer)
    _atomic_write(path, buffer.getvalue())


def _atomic_write(path: Path, data: bytes) -> None:
    write_atomically(path, lambda temporary: temporary.write_bytes(data))
