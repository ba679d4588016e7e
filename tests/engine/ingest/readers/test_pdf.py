"""PDF extraction: pages and labels, metadata, tables, passwords, scans, damage."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from engine.ingest.extraction import extract
from engine.ingest.model import (
    BLANK,
    CORRUPT,
    EMPTY,
    NO_TEXT_OCR,
    OCR,
    PASSWORD,
    TEXT,
    ExtractionFailed,
    ExtractOptions,
)
from engine.ingest.readers.pdf import OcrEngine, extract_pdf, finish_pdf
from engine.ingest.readers.tables import join_table_rows, looks_tabular
from tests.engine.ingest.makers import (
    make_pdf,
    make_picture_pdf,
    make_scanned_pdf,
    make_stencil_shading_pdf,
    make_table_pdf,
)

NO_OCR = OcrEngine("off")


def test_pages_numbers_metadata_and_labels(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "lease.pdf", ["Cover", "Contents", "Clause 1 rent", "Clause 2"],
                    title="Lease Agreement", author="Jane Roe",
                    labels=[{"startpage": 0, "style": "r", "firstpagenum": 1},
                            {"startpage": 2, "style": "D", "firstpagenum": 1}])
    doc = extract_pdf(path, ocr=NO_OCR)
    assert (doc.type, doc.title, doc.author, doc.warnings) == \
        ("pdf", "Lease Agreement", "Jane Roe", [])
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]
    assert [p.label for p in doc.pages] == ["i", "ii", "1", "2"]
    tail = extract_pdf(path, ocr=NO_OCR, pages=(1, 4))   # labels are the same read in ranges
    assert [(p.number, p.label) for p in tail.pages] == [(2, "ii"), (3, "1"), (4, "2")]
    prefixed = make_pdf(tmp_path / "annex.pdf", ["a", "b", "c"],
                        labels=[{"startpage": 1, "prefix": "A-", "style": "D",
                                 "firstpagenum": 1}])
    # Page 1 falls before every label rule: no label, as PyMuPDF's own get_label() says.
    assert [p.label for p in extract_pdf(prefixed, ocr=NO_OCR).pages] == [None, "A-1", "A-2"]
    plain = extract_pdf(make_pdf(tmp_path / "plain.pdf", ["a", "b"]), ocr=NO_OCR)
    assert [p.label for p in plain.pages] == [None, None]   # no labels: nothing to print
    assert "Clause 1 rent" in doc.pages[2].text and doc.pages[2].kind == TEXT


def test_printed_numbers_and_bates_stamps_label_a_pdf_without_labels(tmp_path: Path) -> None:
    stamped = make_pdf(tmp_path / "production.pdf",
                       [f"Email from A to B, item {n}.\nACME_{n:06d}" for n in range(41, 47)])
    assert [p.label for p in extract_pdf(stamped, ocr=NO_OCR).pages] == \
        [f"ACME_{n:06d}" for n in range(41, 47)]
    # Read in ranges, the sequence is found once they are joined (finish_pdf).
    book = make_pdf(tmp_path / "book.pdf", ["Title"] + [f"Text.\n{n}" for n in range(9, 17)])
    head = extract_pdf(book, ocr=NO_OCR, pages=(0, 3))
    assert [p.label for p in head.pages] == [None, None, None]   # not before the join
    tail = extract_pdf(book, ocr=NO_OCR, pages=(3, None))
    head.pages += tail.pages
    assert [p.label for p in finish_pdf(head).pages] == [None] + [str(n) for n in range(9, 17)]
    # A page number equal to the page's place is no label; neither is a lone footer number.
    same = make_pdf(tmp_path / "same.pdf", [f"Text.\n{n}" for n in range(1, 5)])
    assert [p.label for p in extract_pdf(same, ocr=NO_OCR).pages] == [None] * 4
    # Labels the PDF defines win over what its pages print.
    own = make_pdf(tmp_path / "own.pdf", [f"Text.\n{n}" for n in range(9, 13)],
                   labels=[{"startpage": 0, "style": "D", "firstpagenum": 101}])
    assert [p.label for p in extract_pdf(own, ocr=NO_OCR).pages] == ["101", "102", "103", "104"]


def test_junk_metadata_titles_are_ignored(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "x.pdf", ["text"], title="Microsoft Word - draft7.docx")
    assert extract_pdf(path, ocr=NO_OCR).title is None


def test_page_ranges_and_warnings_are_worded_once_for_the_whole(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "long.pdf", [f"page text {i}" for i in range(1, 11)])
    head = extract_pdf(path, ocr=NO_OCR, pages=(0, 4))
    tail = extract_pdf(path, ocr=NO_OCR, pages=(4, None))
    assert head.total_pages == tail.total_pages == 10
    assert [p.number for p in head.pages + tail.pages] == list(range(1, 11))
    assert "page text 7" in tail.pages[2].text


def test_a_pdf_read_in_ranges_stays_open_for_its_next_range_only(tmp_path: Path) -> None:
    from engine.ingest.readers import pdf

    pdf.release_kept()
    path = make_pdf(tmp_path / "book.pdf", [f"chapter {i}" for i in range(1, 9)])
    whole = [p.text for p in extract_pdf(path, ocr=NO_OCR).pages]
    assert not pdf._kept                                   # read to the end: closed
    parts = [extract_pdf(path, ocr=NO_OCR, pages=r) for r in [(0, 3), (3, 6), (6, None)]]
    assert [p.text for part in parts for p in part.pages] == whole
    assert not pdf._kept                                   # the last range closed it
    extract_pdf(path, ocr=NO_OCR, pages=(0, 3))
    (kept_doc, _), = pdf._kept.values()
    extract_pdf(path, ocr=NO_OCR, pages=(3, 6))
    assert [doc for doc, _ in pdf._kept.values()] == [kept_doc]   # the same document
    # A file changed since (here: a new modification time) is opened afresh...
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert extract_pdf(path, ocr=NO_OCR, pages=(3, 6)).pages[0].text == whole[3]
    assert [doc for doc, _ in pdf._kept.values()] != [kept_doc]
    # ...and reading another file, of any kind, closes what was kept.
    extract_pdf(make_pdf(tmp_path / "memo.pdf", ["memo"]), ocr=NO_OCR)
    assert not pdf._kept and kept_doc.is_closed
    extract_pdf(path, ocr=NO_OCR, pages=(0, 3))
    (tmp_path / "note.txt").write_text("a note", encoding="utf-8")
    extract(tmp_path / "note.txt", ExtractOptions())
    assert not pdf._kept


def test_table_rows_stay_readable(tmp_path: Path) -> None:
    rows = [["Term", "Rent", "Deposit"], ["5 years", "$12,000", "$2,000"],
            ["Renewal", "2 x 3 years", "none"]] + [[f"Item {i}", f"{i}", "x"] for i in range(6)]
    doc = extract_pdf(make_table_pdf(tmp_path / "t.pdf", rows), ocr=NO_OCR)
    lines = doc.pages[0].text.splitlines()
    assert "Term | Rent | Deposit" in lines
    assert "5 years | $12,000 | $2,000" in lines


def test_two_columns_of_prose_are_never_zipped_together() -> None:
    def line(block: int, text: str, x: float, y: float) -> tuple[Any, ...]:
        return (block, text, x, y, x + 200, y + 10)

    page = [line(0, "left column line one", 50, 100), line(0, "left column line two", 50, 112),
            line(1, "right column line one", 300, 100), line(1, "right column line two", 300, 112)]
    assert join_table_rows(page).splitlines() == [
        "left column line one", "left column line two",
        "right column line one", "right column line two"]
    assert not looks_tabular("A long line of ordinary prose that goes on.\n" * 20)


def test_password_protected_pdf(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "secret.pdf", ["Confidential settlement"], password="s3cret",
                    title="Settlement Terms", author="Counsel")
    with pytest.raises(ExtractionFailed) as failed:
        extract_pdf(path, ocr=NO_OCR)
    assert failed.value.kind == PASSWORD and "--password" in failed.value.reason
    with pytest.raises(ExtractionFailed, match="none of the given passwords"):
        extract_pdf(path, ocr=NO_OCR, passwords=["wrong"])
    doc = extract_pdf(path, ocr=NO_OCR, passwords=["wrong", "s3cret"])
    assert "Confidential settlement" in doc.pages[0].text
    assert (doc.title, doc.author) == ("Settlement Terms", "Counsel")   # read once unlocked


def test_scanned_page_without_ocr_is_kept_with_a_warning(tmp_path: Path) -> None:
    scan = make_scanned_pdf(tmp_path / "scan.pdf")
    doc = extract_pdf(scan, ocr=NO_OCR)
    (page,) = doc.pages
    assert (page.kind, page.text) == (NO_TEXT_OCR, "")
    (warning,) = doc.warnings
    assert warning == ("1 page is a scanned image without text (page 1); OCR was off "
                       "(--ocr off): run rlm ingest again with --force to read them")
    no_tesseract = OcrEngine("auto")
    no_tesseract._tessdata = False            # as on a machine without Tesseract
    (warning,) = extract_pdf(scan, ocr=no_tesseract).warnings
    assert "install Tesseract (Debian/Ubuntu: sudo apt install tesseract-ocr" in warning
    assert warning.endswith("and run rlm ingest again with --force")


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
def test_scanned_page_is_read_by_ocr_when_tesseract_is_installed(tmp_path: Path) -> None:
    doc = extract_pdf(make_scanned_pdf(tmp_path / "scan.pdf"), ocr=OcrEngine("auto"))
    assert doc.pages[0].kind == OCR
    assert "CONTRACT" in doc.pages[0].text.upper()
    assert doc.warnings == []


def test_blank_page_is_not_a_scan(tmp_path: Path) -> None:
    doc = extract_pdf(make_pdf(tmp_path / "b.pdf", ["text", ""]), ocr=NO_OCR)
    assert [p.kind for p in doc.pages] == [TEXT, BLANK]
    assert doc.warnings == []


def test_a_page_is_a_scan_by_how_much_of_it_its_pictures_cover(tmp_path: Path) -> None:
    # Pictures under a million pixels: decided by where the page draws them.
    low_resolution_scan = make_picture_pdf(tmp_path / "scan72.pdf", (36, 36, 576, 756))
    logo_only = make_picture_pdf(tmp_path / "logo.pdf", (36, 36, 136, 86))
    assert [p.kind for p in extract_pdf(low_resolution_scan, ocr=NO_OCR).pages] == [NO_TEXT_OCR]
    assert [p.kind for p in extract_pdf(logo_only, ocr=NO_OCR).pages] == [BLANK]


def test_a_stencil_mask_painted_with_a_shading_counts_as_a_picture(tmp_path: Path) -> None:
    # MuPDF's box log shows this page only as an unbounded shading fill; the image list
    # knows where the mask is drawn.
    doc = extract_pdf(make_stencil_shading_pdf(tmp_path / "stencil.pdf"), ocr=NO_OCR)
    assert [p.kind for p in doc.pages] == [NO_TEXT_OCR]


def test_broken_files_fail_with_a_specific_reason(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    random = tmp_path / "random.pdf"
    random.write_bytes(bytes(range(256)) * 40)
    good = make_pdf(tmp_path / "good.pdf", ["some text"] * 3)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(good.read_bytes()[:300])
    cases = {empty: EMPTY, random: CORRUPT, truncated: CORRUPT}
    for path, kind in cases.items():
        with pytest.raises(ExtractionFailed) as failed:
            extract_pdf(path, ocr=NO_OCR)
        assert failed.value.kind == kind, path
        assert failed.value.reason.startswith(("the file is empty", "not a readable PDF"))


def test_a_damaged_page_tree_is_rebuilt_from_the_page_objects(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "tree.pdf", ["first page words", "second page words"])
    data = path.read_bytes()
    catalog = pymupdf.open(path).pdf_catalog()
    pages_ref = f"/Pages {pymupdf.open(path).xref_get_key(catalog, 'Pages')[1]}".encode()
    assert pages_ref in data
    broken = tmp_path / "broken.pdf"   # the catalog now points at an object that is not there
    broken.write_bytes(data.replace(pages_ref, b"/Pages " + b"9" * (len(pages_ref) - 7), 1))
    extracted = extract_pdf(broken, ocr=NO_OCR)
    assert [p.number for p in extracted.pages] == [1, 2]
    assert "second page words" in extracted.pages[1].text
    assert "page list is damaged" in extracted.warnings[0]


def test_a_pdf_whose_every_page_is_damaged_fails(tmp_path: Path) -> None:
    doc = extract_pdf(make_pdf(tmp_path / "x.pdf", ["a", "b"]), ocr=NO_OCR)
    for page in doc.pages:
        page.kind, page.text = "damaged", ""
    with pytest.raises(ExtractionFailed, match="no page of it could be read"):
        finish_pdf(doc)
