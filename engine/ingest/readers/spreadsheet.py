"""Excel workbooks (.xlsx, .xlsm) with openpyxl in read-only mode: each sheet as rows, in
page-sized chunks that repeat the sheet's header row, located by sheet and row range.

Rows are streamed from the package (``read_only=True``), so a large sheet never sits in
memory as a whole; formulas give the value Excel cached when it last saved the file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from engine.ingest.model import (
    CORRUPT,
    TOO_LARGE,
    Extracted,
    ExtractedPage,
    ExtractionFailed,
    ReadRequest,
    clean_text,
    usable_title,
)
from engine.ingest.readers.officezip import check_package

# A page holds at most this many rows, and stops at the row that takes it past PAGE_CHARS.
ROWS_PER_PAGE = 200
PAGE_CHARS = 8000
# A cell longer than this is cut (a pasted document in one cell stays readable elsewhere).
MAX_CELL_CHARS = 2000
# A workbook whose text passes this is refused: it would fit no model's context anyway,
# and a sheet claiming a billion rows must not run until the time limit.
MAX_CHARS = 200_000_000
# Excel's own limits: a sheet claiming more rows or columns is crafted or damaged (openpyxl
# yields an empty row for each one skipped, so a jump to row 10⁹ would run for minutes).
EXCEL_MAX_ROWS = 1_048_576
CELL_SEPARATOR = " | "
HIDDEN_STATES = {"hidden": "hidden", "veryHidden": "hidden"}


def read_xlsx(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    check_package(path, "workbook", "xl/workbook.xml",
                  "save it as .xlsx (File > Save As) without a password")
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True,
                                          keep_links=False)
    except MemoryError:
        raise
    except Exception as exc:
        detail = " ".join(str(exc).split())[:200]
        raise ExtractionFailed(CORRUPT, "not a readable workbook: the file is damaged"
                               + (f" ({detail})" if detail else "")) from exc
    try:
        pages: list[ExtractedPage] = []
        warnings: list[str] = []
        hidden: list[str] = []
        for sheet in workbook.worksheets:
            state = HIDDEN_STATES.get(getattr(sheet, "sheet_state", "visible"))
            if state:
                hidden.append(sheet.title)
            # The size the sheet claims is not trusted: rows are not padded out to it.
            reset = getattr(sheet, "reset_dimensions", None)
            if reset is not None:
                reset()
            sheet_pages(pages, clean_text(sheet.title), state,
                        sheet.iter_rows(values_only=True), request)
        title = usable_title(getattr(workbook.properties, "title", None))
        author = usable_title(getattr(workbook.properties, "creator", None))
    finally:
        workbook.close()
    if hidden:
        warnings.append(f"hidden sheet{'s' * (len(hidden) != 1)} read and marked as hidden: "
                        + ", ".join(hidden[:12]))
    return Extracted(type="spreadsheet", pages=pages, title=title, author=author,
                     warnings=warnings)


def sheet_pages(pages: list[ExtractedPage], name: str, state: str | None,
                rows: Iterable[tuple[Any, ...]], request: ReadRequest) -> None:
    """Append a sheet's pages: its first non-empty row is the header, repeated on each."""
    heading = f"Sheet: {name}" + (f" ({state})" if state else "")
    header: str | None = None
    chunk: list[str] = []
    first = last = 0
    size = 0
    total = sum(len(p.text) for p in pages)

    def flush() -> None:
        nonlocal chunk, size, total
        if not chunk:
            return
        lines = [heading]
        if header is not None and not chunk[0].startswith(f"row {header_row}:"):
            lines.append(f"(header) {header}")
        text = "\n".join(lines + chunk) + "\n"
        rows = f"row {first}" if first == last else f"rows {first}–{last}"
        label = f"{name}{' (hidden)' if state else ''} {rows}"
        pages.append(ExtractedPage(number=len(pages) + 1, text=text, label=label))
        total += len(text)
        if total > MAX_CHARS:
            raise ExtractionFailed(TOO_LARGE, f"refused: the workbook holds more than "
                                   f"{MAX_CHARS // 1_000_000} million characters of cells "
                                   f"(sheet {name!r} reached row {last:,}); split it")
        if request.progress is not None and len(pages) % 10 == 0:
            request.progress(len(pages))
        chunk, size = [], 0

    header_row = 0
    for index, row in enumerate(rows, start=1):
        if index > EXCEL_MAX_ROWS:
            raise ExtractionFailed(TOO_LARGE, f"refused: sheet {name!r} goes past row "
                                   f"{EXCEL_MAX_ROWS:,}, the most Excel allows (a crafted or "
                                   "damaged workbook)")
        cells = [format_cell(value) for value in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        line = f"row {index}: " + CELL_SEPARATOR.join(cells)
        if header is None:
            header, header_row = CELL_SEPARATOR.join(cells), index
        if chunk and (len(chunk) >= ROWS_PER_PAGE or size + len(line) > PAGE_CHARS):
            flush()
        if not chunk:
            first = index
        chunk.append(line)
        last = index
        size += len(line) + 1
    flush()


def format_cell(value: Any) -> str:
    """A cell's value as it reads: whole numbers without ".0", dates without midnight."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else \
            value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = " ".join(clean_text(str(value)).split())
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS] + "…"
