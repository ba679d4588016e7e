"""Pictures: a page per image (a TIFF's pages each), read by Tesseract when it is installed,
else kept without text with the same warning as scanned PDF pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.ingest.model import CORRUPT, NO_TEXT_OCR, OCR, ExtractionFailed
from engine.ingest.readers.images import extract_image
from engine.ingest.readers.pdf import OcrEngine, _fitz
from tests.engine.ingest.officemakers import make_image

HAS_TESSERACT = OcrEngine("auto").available(_fitz())


def test_without_ocr_each_picture_is_a_page_kept_with_the_pdf_warning(tmp_path: Path) -> None:
    tiff = make_image(tmp_path / "scan.tif", ["FIRST PAGE", "SECOND PAGE", "THIRD"])
    doc = extract_image(tiff, OcrEngine("off"))
    assert doc.type == "image"
    assert [(p.number, p.kind, p.text) for p in doc.pages] == \
        [(1, NO_TEXT_OCR, ""), (2, NO_TEXT_OCR, ""), (3, NO_TEXT_OCR, "")]
    assert doc.ocr == "off"
    assert doc.warnings == ["3 pages are scanned images without text (pages 1, 2, 3); OCR "
                            "was off (--ocr off): run rlm ingest again with --force to read "
                            "them"]
    png = extract_image(make_image(tmp_path / "a.png", ["ONE"]), OcrEngine("off"))
    assert len(png.pages) == 1


@pytest.mark.skipif(HAS_TESSERACT, reason="Tesseract is installed")
def test_tesseract_missing_says_how_to_install_it(tmp_path: Path) -> None:
    doc = extract_image(make_image(tmp_path / "a.jpg", ["ONE"]), OcrEngine("auto"))
    assert doc.ocr == "missing"
    assert "install Tesseract" in doc.warnings[0]


@pytest.mark.skipif(not HAS_TESSERACT, reason="Tesseract is not installed")
def test_tesseract_reads_each_page(tmp_path: Path) -> None:
    doc = extract_image(make_image(tmp_path / "scan.tif", ["INVOICE NUMBER 42", "PAID"]),
                        OcrEngine("auto"))
    assert [p.kind for p in doc.pages] == [OCR, OCR]
    assert "INVOICE" in doc.pages[0].text and "PAID" in doc.pages[1].text


def test_a_damaged_picture_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(ExtractionFailed) as failed:
        extract_image(path, OcrEngine("off"))
    assert failed.value.kind == CORRUPT


class FakeTesseract(OcrEngine):
    """Tesseract's place taken: says what it was asked to read, at which resolution."""

    def __init__(self) -> None:
        super().__init__("auto")
        self.asked: list[tuple[float, int]] = []

    def available(self, pymupdf: object) -> bool:
        return True

    def read(self, page: object, flags: int, dpi: int = 300) -> str:
        width = page.rect.width  # type: ignore[attr-defined]
        self.asked.append((width, dpi))
        return f"TEXT OF A PAGE {len(self.asked)}\x07"


def test_each_page_goes_to_ocr_with_more_time_and_huge_pictures_at_a_lower_resolution(
        tmp_path: Path) -> None:
    from engine.ingest.model import ExtractOptions, ReadRequest
    from engine.ingest.readers.images import MAX_OCR_PIXELS

    granted: list[float] = []
    request = ReadRequest(ExtractOptions(), extend=granted.append)
    ocr = FakeTesseract()
    doc = extract_image(make_image(tmp_path / "two.tif", ["ONE", "TWO"]), ocr, request)
    assert [(p.number, p.kind, p.text) for p in doc.pages] == \
        [(1, OCR, "TEXT OF A PAGE 1"), (2, OCR, "TEXT OF A PAGE 2")]
    assert doc.warnings == [] and len(granted) == 2
    assert [dpi for _, dpi in ocr.asked] == [300, 300]

    big = tmp_path / "poster.png"
    pymupdf = _fitz()
    pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 9000, 9000), False).save(big)
    ocr = FakeTesseract()
    extract_image(big, ocr)
    ((width, dpi),) = ocr.asked
    assert dpi < 300 and (width / 72 * dpi) ** 2 <= MAX_OCR_PIXELS
