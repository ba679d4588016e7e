"""Pictures (.png, .jpg, .tif with its many pages) read by OCR: the same Tesseract path as
scanned PDF pages (``pdf.OcrEngine``), with the same warning when Tesseract is absent."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from engine.ingest.model import (
    BLANK,
    CORRUPT,
    EMPTY,
    NO_TEXT_OCR,
    OCR,
    OCR_FAILED,
    TOO_LARGE,
    Extracted,
    ExtractedPage,
    ExtractionFailed,
    ReadRequest,
    clean_text,
)
from engine.ingest.readers.pdf import (
    OCR_DPI,
    OCR_SECONDS_PER_PAGE,
    OcrEngine,
    _fitz,
    pdf_warnings,
    text_flags,
)

# OCR renders a picture at OCR_DPI, or lower when that would pass this many pixels (a photo
# tagged 72 dpi would otherwise be blown up four times over).
MAX_OCR_PIXELS = 40_000_000
# A picture larger than this (in points, at its own resolution) is refused unread.
MAX_PAGE_POINTS = 200_000_000


def read_image(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    options = request.options
    return extract_image(path, OcrEngine(options.ocr, options.ocr_language), request)


def extract_image(path: Path, ocr: OcrEngine, request: ReadRequest | None = None) -> Extracted:
    """One page per picture (a TIFF may hold many), its text read by Tesseract."""
    pymupdf = _fitz()
    if path.stat().st_size == 0:
        raise ExtractionFailed(EMPTY, "the file is empty (0 bytes)")
    try:
        doc = pymupdf.open(path, filetype=path.suffix.lower().lstrip(".") or None)
    except MemoryError:
        raise
    except Exception as exc:
        raise ExtractionFailed(CORRUPT, "not a readable picture: the file is damaged or is "
                               f"not a {path.suffix.lower()} image") from exc
    pages: list[ExtractedPage] = []
    damaged = 0   # pictures MuPDF could not decode
    try:
        flags = text_flags(pymupdf)
        for index in range(doc.page_count):
            number = index + 1
            try:
                page = doc.load_page(index)
            except MemoryError:
                raise
            except Exception:   # a damaged picture: MuPDF decodes it when loading the page
                damaged += 1
                pages.append(ExtractedPage(number=number, text="", kind=OCR_FAILED))
                continue
            if abs(page.rect) > MAX_PAGE_POINTS:
                raise ExtractionFailed(TOO_LARGE, f"refused: picture {number} is "
                                       f"{page.rect.width:,.0f} × {page.rect.height:,.0f} "
                                       "points, too large to read")
            pages.append(_page(pymupdf, page, number, flags, ocr, request))
    finally:
        doc.close()
    if damaged == len(pages):
        raise ExtractionFailed(CORRUPT, "not a readable picture: the file is damaged or "
                               "holds no image")
    needs = any(p.kind == NO_TEXT_OCR for p in pages)
    state = ocr.state(pymupdf) if needs else ""
    return Extracted(type="image", pages=pages, ocr=state,
                     warnings=pdf_warnings(pages, False, state or "missing"))


def _page(pymupdf: Any, page: Any, number: int, flags: int, ocr: OcrEngine,
          request: ReadRequest | None) -> ExtractedPage:
    if not ocr.available(pymupdf):
        return ExtractedPage(number=number, text="", kind=NO_TEXT_OCR)
    if request is not None and request.extend is not None:
        request.extend(OCR_SECONDS_PER_PAGE)
    width, height = page.rect.width / 72, page.rect.height / 72   # inches
    dpi = OCR_DPI
    if width * height * dpi * dpi > MAX_OCR_PIXELS:
        dpi = max(1, int(math.sqrt(MAX_OCR_PIXELS / max(width * height, 1e-9))))
    try:
        text = clean_text(ocr.read(page, flags, dpi=dpi))
    except MemoryError:
        raise
    except Exception:
        return ExtractedPage(number=number, text="", kind=OCR_FAILED)
    if request is not None and request.progress is not None:
        request.progress(number)
    return ExtractedPage(number=number, text=text, kind=OCR if text.strip() else BLANK)
