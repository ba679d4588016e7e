"""Excel workbooks: rows per sheet in chunks that repeat the header, cached formula values,
hidden sheets marked, sheet-and-row locations, and crafted files refused with a reason."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from engine.ingest.model import (
    CORRUPT,
    PASSWORD,
    TOO_LARGE,
    ExtractionFailed,
    ExtractOptions,
    ReadRequest,
)
from engine.ingest.readers import spreadsheet
from engine.ingest.readers.spreadsheet import ROWS_PER_PAGE, format_cell, read_xlsx
from tests.engine.ingest.officemakers import make_xlsx

REQUEST = ReadRequest(ExtractOptions())


def test_sheets_rows_cached_formulas_and_hidden_sheets(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "deals.xlsx",
                     {"Deals": [["Party", "Amount", "Twice"], ["Acme", 5, "=B2*2"]],
                      "Secret": [["key", "value"], ["code", "hunter2"]]},
                     hidden=("Secret",), cached={"B2*2": "10"})
    doc = read_xlsx(path, REQUEST)
    assert doc.type == "spreadsheet"
    assert [(p.number, p.label) for p in doc.pages] == \
        [(1, "Deals rows 1–2"), (2, "Secret (hidden) rows 1–2")]
    assert doc.pages[0].text == "Sheet: Deals\nrow 1: Party | Amount | Twice\n" \
                                "row 2: Acme | 5 | 10\n"
    assert doc.pages[1].text.startswith("Sheet: Secret (hidden)\n")
    assert doc.warnings == ["hidden sheet read and marked as hidden: Secret"]


def test_long_sheets_are_cut_into_pages_that_repeat_the_header(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Name", "Value"]]
    rows += [[f"item {i}", i] for i in range(2, ROWS_PER_PAGE * 2 + 10)]
    rows.insert(50, [None, None])                    # empty rows are left out
    doc = read_xlsx(make_xlsx(tmp_path / "long.xlsx", {"Data": rows}), REQUEST)
    assert [p.label for p in doc.pages] == [f"Data rows 1–{ROWS_PER_PAGE + 1}",
                                            f"Data rows {ROWS_PER_PAGE + 2}–"
                                            f"{2 * ROWS_PER_PAGE + 1}",
                                            f"Data rows {2 * ROWS_PER_PAGE + 2}–"
                                            f"{2 * ROWS_PER_PAGE + 10}"]
    second = doc.pages[1].text.splitlines()
    assert second[:2] == ["Sheet: Data", "(header) Name | Value"]
    assert second[2].startswith(f"row {ROWS_PER_PAGE + 2}: item ")
    assert "row 51:" not in doc.pages[0].text


def test_cells_read_as_people_write_them() -> None:
    import datetime as dt

    assert [format_cell(v) for v in (None, True, 3.0, 2.5, dt.datetime(2026, 1, 2),
                                     dt.datetime(2026, 1, 2, 9, 30), "a\n b\x07")] == \
        ["", "TRUE", "3", "2.5", "2026-01-02", "2026-01-02 09:30:00", "a b"]


def test_a_sheet_too_large_to_read_is_refused(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_CHARS", 5000)
    rows = [[f"row text {i}"] for i in range(1000)]
    with pytest.raises(ExtractionFailed, match="million characters") as failed:
        read_xlsx(make_xlsx(tmp_path / "huge.xlsx", {"Big": rows}), REQUEST)
    assert failed.value.kind == TOO_LARGE


def test_a_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "bomb.xlsx", {"S": [["a"]]})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/zeros.bin", b"\0" * 60_000_000)
    with pytest.raises(ExtractionFailed, match="zip bomb") as failed:
        read_xlsx(path, REQUEST)
    assert failed.value.kind == TOO_LARGE


def test_encrypted_damaged_and_other_packages(tmp_path: Path) -> None:
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(ExtractionFailed, match="password-protected") as failed:
        read_xlsx(locked, REQUEST)
    assert failed.value.kind == PASSWORD
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(ExtractionFailed, match="not a readable workbook") as failed:
        read_xlsx(broken, REQUEST)
    assert failed.value.kind == CORRUPT
    other = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(ExtractionFailed, match=r"no xl/workbook\.xml"):
        read_xlsx(other, REQUEST)


def test_a_sheet_jumping_to_row_a_billion_is_refused_quickly(tmp_path: Path) -> None:
    import time

    from tests.engine.ingest.officemakers import _rewrite_zip

    path = make_xlsx(tmp_path / "billion.xlsx", {"S": [["head"], ["last"]]})
    _rewrite_zip(path, lambda name, data: data.replace(b'<row r="2"', b'<row r="1000000000"')
                 .replace(b'r="A2"', b'r="A1000000000"').replace(b'ref="A1:A2"',
                                                                 b'ref="A1:XFD1000000000"')
                 if name.startswith("xl/worksheets/") else data)
    started = time.monotonic()
    with pytest.raises(ExtractionFailed, match="goes past row 1,048,576") as failed:
        read_xlsx(path, REQUEST)
    assert failed.value.kind == TOO_LARGE
    assert time.monotonic() - started < 20
