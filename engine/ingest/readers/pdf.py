"""PDF text with PyMuPDF: pages in reading order, printed page labels, table rows, OCR of scans.

Runs inside an extraction worker process (see ``engine/ingest/pool.py``), so a
crash or hang in MuPDF costs one file, never the batch.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.ingest.model import (
    BLANK,
    CORRUPT,
    DAMAGED,
    EMPTY,
    GARBLED,
    NO_TEXT_OCR,
    OCR,
    OCR_FAILED,
    PASSWORD,
    TEXT,
    TOO_LARGE,
    Extracted,
    ExtractedPage,
    ExtractionFailed,
    ReadRequest,
    clean_text,
    usable_title,
)
from engine.ingest.readers.pagenumbers import detect_page_labels
from engine.ingest.readers.tables import join_table_rows, lines_from_words, looks_tabular

# Seconds added to a file's time limit for each page sent to OCR (Tesseract takes seconds).
OCR_SECONDS_PER_PAGE = 30.0
OCR_DPI = 300
# Objects scanned when rebuilding a damaged page tree (beyond this, give up).
MAX_REPAIR_OBJECTS = 500_000
# A page with fewer visible characters than this, and pictures over much of it, is a scan.
SCAN_MAX_CHARS = 20
SCAN_MIN_IMAGE_COVER = 0.3
SCAN_MIN_PIXELS = 1_000_000      # a picture this big (1000 x 1000) is a page scan, not a logo
# Share of a page's characters that may be unmapped glyphs before we call its text garbled.
GARBLED_SHARE = 0.5

INSTALL_TESSERACT = ("install Tesseract (Debian/Ubuntu: sudo apt install tesseract-ocr; "
                     "macOS: brew install tesseract; Windows: the UB Mannheim installer)")
# What to do about pages without text, by the state OCR was in when the file was read.
OCR_ADVICE = {
    "missing": f"to read them, {INSTALL_TESSERACT} and run rlm ingest again with --force",
    "off": "OCR was off (--ocr off): run rlm ingest again with --force to read them",
    "available": "",
}


def _fitz() -> Any:
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    # Colour management only decides colours, and text has none we keep; building its
    # transforms costs about 3% of reading the corpus. (This runs in extraction workers.)
    pymupdf.TOOLS.set_icc(False)
    return pymupdf


def text_flags(pymupdf: Any) -> int:
    """MuPDF's plain-text defaults, but ligatures split (so "ﬁnal" matches "final") and
    unknown glyphs shown as U+FFFD rather than raw glyph ids (so garbled pages are detectable)."""
    return int(pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP)


class OcrEngine:
    """Tesseract through PyMuPDF, looked up once per worker and only when a scan turns up."""

    def __init__(self, mode: str, language: str = "eng") -> None:
        self.mode = mode            # "auto" (when installed) or "off"
        self.language = language
        self._tessdata: str | bool | None = None   # None: not looked up; False: missing

    def state(self, pymupdf: Any) -> str:
        """"off", "missing" or "available", for the advice a warning gives."""
        if self.mode == "off":
            return "off"
        return "available" if self.available(pymupdf) else "missing"

    def available(self, pymupdf: Any) -> bool:
        if self.mode == "off":
            return False
        if self._tessdata is None:
            try:
                self._tessdata = str(pymupdf.get_tessdata())
            except Exception:
                self._tessdata = False
            if self._tessdata and not Path(str(self._tessdata)).is_dir():
                self._tessdata = False
        return bool(self._tessdata)

    def read(self, page: Any, flags: int, dpi: int = OCR_DPI) -> str:
        textpage = page.get_textpage_ocr(flags=flags, language=self.language, dpi=dpi,
                                         full=True, tessdata=self._tessdata)
        return str(page.get_text("text", textpage=textpage, flags=flags))


def open_pdf(path: Path, passwords: list[str]) -> tuple[Any, bool]:
    """Open and unlock a PDF, or raise ExtractionFailed with a reason a person understands.

    Returns the document and whether its page tree had to be rebuilt; the password that
    unlocked it, if one did, is ``opened_with(doc)``.
    """
    pymupdf = _fitz()
    try:
        try:
            str(path).encode("utf-8")
            doc = _text_document(pymupdf)(path, filetype="pdf")
        except UnicodeEncodeError:   # MuPDF takes UTF-8 names only: hand it the bytes
            doc = _text_document(pymupdf)(stream=path.read_bytes(), filetype="pdf")
    except MemoryError as exc:
        raise ExtractionFailed(TOO_LARGE, "the PDF needs more memory than an extraction "
                               "worker may use") from exc
    except Exception as exc:
        if type(exc).__name__ == "EmptyFileError":
            raise ExtractionFailed(EMPTY, "the file is empty (0 bytes)") from exc
        raise ExtractionFailed(CORRUPT, "not a readable PDF: the file is damaged or is not a "
                               f"PDF ({_mupdf_message(exc)})") from exc
    password = next((pw for pw in passwords if doc.authenticate(pw)), None) \
        if doc.is_encrypted else None
    if doc.is_encrypted and password is None:
        doc.close()
        if passwords:
            raise ExtractionFailed(PASSWORD, "this PDF is password-protected and none of "
                                   "the given passwords opens it")
        raise ExtractionFailed(PASSWORD, "this PDF is password-protected; give its "
                               "password with `rlm ingest --password-stdin` (or "
                               "`--password PASSWORD`)")
    try:
        count = doc.page_count
    except Exception:
        count = 0
    if count == 0:
        repaired = _rebuild_page_tree(pymupdf, doc)
        doc.close()
        if repaired is None:
            raise ExtractionFailed(CORRUPT, "not a readable PDF: no pages could be found in it "
                                   "(damaged file)")
        repaired.rlm_password = password
        return repaired, True
    # Carried on the document, so a later range of it (kept open) knows it too.
    doc.rlm_password = password
    return doc, False


def opened_with(doc: Any) -> str | None:
    """The password that unlocked a document open_pdf opened; None if it needed none."""
    password = getattr(doc, "rlm_password", None)
    return password if isinstance(password, str) else None


@functools.cache
def _text_document(pymupdf: Any) -> Any:
    """PyMuPDF's Document, reading on opening only what ingest keeps (title and author).

    Its own set-up also parses the whole outline and nine more metadata fields, each
    missing one an exception inside MuPDF: a sixth of the cost of opening a small PDF.
    """

    class TextDocument(pymupdf.Document):
        def init_doc(self) -> None:
            if self.is_encrypted:
                raise ValueError("cannot initialize - document still encrypted")
            try:
                self.metadata = {"title": self._getMetadata("info:Title"),
                                 "author": self._getMetadata("info:Author")}
                self._outline = None
            except AttributeError:   # a PyMuPDF that works differently: its own set-up
                super().init_doc()

    return TextDocument


def _rebuild_page_tree(pymupdf: Any, doc: Any) -> Any | None:
    """Damaged page tree: collect the page objects still in the file and hang them on a new
    tree (in file order). Returns the repaired document, or None when no page survives."""
    try:
        catalog = doc.pdf_catalog()
        if catalog <= 0 or doc.xref_length() > MAX_REPAIR_OBJECTS:
            return None
        found = []
        for xref in range(1, doc.xref_length()):
            try:
                if doc.xref_get_key(xref, "Type") == ("name", "/Page"):
                    found.append(xref)
            except Exception:
                continue
        if not found:
            return None
        tree = doc.get_new_xref()
        kids = " ".join(f"{xref} 0 R" for xref in found)
        doc.update_object(tree, f"<< /Type /Pages /Kids [{kids}] /Count {len(found)} >>")
        for xref in found:
            doc.xref_set_key(xref, "Parent", f"{tree} 0 R")
        doc.xref_set_key(catalog, "Pages", f"{tree} 0 R")
        repaired = pymupdf.open("pdf", doc.tobytes())
        if repaired.page_count == 0:
            repaired.close()
            return None
        return repaired
    except Exception:
        return None


def _mupdf_message(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def read_pdf(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    options = request.options
    return extract_pdf(path, passwords=options.passwords,
                       ocr=OcrEngine(options.ocr, options.ocr_language),
                       pages=request.pages or (0, None), progress=request.progress,
                       extend=request.extend)


def extract_pdf(path: Path, *, passwords: list[str] | None = None, ocr: OcrEngine | None = None,
                pages: tuple[int, int | None] = (0, None),
                progress: Callable[[int], None] | None = None,
                extend: Callable[[float], None] | None = None) -> Extracted:
    """Each page's text with its number and printed label; scans OCR'd when Tesseract is there.

    ``pages`` is a range of page indexes (``stop`` None: to the end), so one
    long PDF can be read by several workers at once; the result's
    ``total_pages`` says how many the document has. Warnings are worded once
    the whole document is in (``pdf_warnings``), here when the range covers
    it all. A range that stops short of the end leaves the document open for
    this process's next range of it. ``progress(pages_done)`` is called now and
    then; ``extend(seconds)`` asks the pool for more time before a slow OCR page.
    """
    pymupdf = _fitz()
    ocr = ocr or OcrEngine("auto")
    doc, repaired, key = _open_for_range(path, passwords or [], pages[0])
    password = opened_with(doc)
    flags = text_flags(pymupdf)
    out: list[ExtractedPage] = []
    keep_as: tuple[Any, ...] | None = None   # set once read: more ranges of it are coming
    try:
        damaged = bool(getattr(doc, "is_repaired", False))
        total = doc.page_count
        start, stop = max(0, pages[0]), min(total, pages[1] if pages[1] is not None else total)
        metadata = (doc.metadata or {}) if start == 0 else {}
        labeller = _labeller(doc)
        for index in range(start, stop):
            number = index + 1
            try:
                page = doc.load_page(index)
                label = _label(labeller, page) if labeller else None
                text, kind = _page_text(pymupdf, page, flags, ocr, extend)
            except MemoryError as exc:
                raise ExtractionFailed(TOO_LARGE, f"page {number} needs more memory than an "
                                       "extraction worker may use") from exc
            except Exception:
                text, kind, label = "", DAMAGED, None
            out.append(ExtractedPage(number=number, text=text, label=label, kind=kind))
            if progress is not None and (index - start + 1) % 10 == 0:
                progress(index - start + 1)
        keep_as = key if stop < total else None
    finally:
        if keep_as is not None:
            _kept[keep_as] = (doc, repaired)
        else:
            doc.close()
    needs_ocr = any(p.kind in (NO_TEXT_OCR, GARBLED) for p in out)
    extracted = Extracted(type="pdf", pages=out, title=usable_title(metadata.get("title")),
                          author=usable_title(metadata.get("author")), total_pages=total,
                          repaired=repaired, damaged=damaged,
                          ocr=ocr.state(pymupdf) if needs_ocr else "", password=password)
    if start == 0 and stop >= total:
        finish_pdf(extracted)
    return extracted


# A long PDF read in ranges (see extract_pdf) stays open in the worker for its next range:
# opening it again parses its cross-reference table and fonts again, an eighth of the cost
# of reading a 350-page book in six ranges. At most one document is kept.
_kept: dict[tuple[Any, ...], tuple[Any, bool]] = {}


def _open_for_range(path: Path, passwords: list[str],
                    start: int) -> tuple[Any, bool, tuple[Any, ...] | None]:
    """The document (kept from an earlier range of the same unchanged file, or opened),
    whether its page tree was rebuilt, and the key to keep it under."""
    try:
        stat = path.stat()
        key: tuple[Any, ...] | None = (os.fsencode(path), stat.st_size, stat.st_mtime_ns,
                                       tuple(passwords))
    except OSError:
        key = None
    if key is not None and start > 0 and key in _kept:
        doc, repaired = _kept.pop(key)
        return doc, repaired, key
    release_kept()
    doc, repaired = open_pdf(path, passwords)
    return doc, repaired, key


def release_kept() -> None:
    """Close the document kept for a next range, if any."""
    while _kept:
        doc, _ = _kept.popitem()[1]
        try:
            doc.close()
        except Exception:
            pass


def finish_pdf(extracted: Extracted) -> Extracted:
    """Word the warnings of a whole PDF from its page kinds; refuse one with no readable page;
    label its pages with their printed numbers when the PDF gives no labels of its own."""
    pages = extracted.pages
    label_printed_numbers(pages)
    damaged = [p.number for p in pages if p.kind == DAMAGED]
    if pages and len(damaged) == len(pages):
        raise ExtractionFailed(CORRUPT, "not a readable PDF: no page of it could be read "
                               "(damaged file)")
    empty = [p.number for p in pages if p.kind in (BLANK, DAMAGED)]
    extracted.warnings = pdf_warnings(pages, extracted.repaired, extracted.ocr)
    if extracted.damaged and empty and not extracted.repaired:
        # MuPDF repairs many files that are fine (wrong offsets); only say so when it may
        # have cost text.
        what = "no text was found in it" if len(empty) == len(pages) else \
            f"{_count(empty, 'page')} came out empty ({_page_list(empty)})"
        extracted.warnings.insert(0, "the file is damaged (cut short or corrupted; it was "
                                  f"repaired to be read) and {what}: text may be missing")
    return extracted


def label_printed_numbers(pages: list[ExtractedPage]) -> None:
    """A PDF without page labels (none differs from its page number): each page's printed
    number from its header or footer, where they form a consistent sequence (see
    ``pagenumbers.py``). Run on the whole document, as a sequence spans the ranges read."""
    if not pages or any(p.label for p in pages):
        return
    for page, label in zip(pages, detect_page_labels([p.text for p in pages]), strict=True):
        if label and label != str(page.number):
            page.label = label[:40]


def pdf_warnings(pages: list[ExtractedPage], repaired: bool, ocr: str = "missing") -> list[str]:
    def numbers(kind: str) -> list[int]:
        return [p.number for p in pages if p.kind == kind]

    warnings = []
    if repaired:
        warnings.append("the PDF's page list is damaged; its pages were recovered by "
                        "scanning the file, so their order and count may differ from "
                        "the original")
    if damaged := numbers(DAMAGED):
        warnings.append(f"{_count(damaged, 'page')} could not be read (damaged): "
                        f"{_page_list(damaged)}")
    if scanned := numbers(NO_TEXT_OCR):
        what = "a scanned image" if len(scanned) == 1 else "scanned images"
        warnings.append(f"{_count(scanned, 'page')} {_are(scanned)} {what} without text "
                        f"({_page_list(scanned)}); " + OCR_ADVICE.get(ocr, OCR_ADVICE["missing"]))
    if failed := numbers(OCR_FAILED):
        warnings.append(f"OCR failed on {_count(failed, 'scanned page')}: {_page_list(failed)}")
    if garbled := numbers(GARBLED):
        advice = OCR_ADVICE.get(ocr, "")
        warnings.append(f"{_count(garbled, 'page')} {'use' if len(garbled) != 1 else 'uses'} "
                        "fonts without a map to letters, so their text is unreadable "
                        f"({_page_list(garbled)})" + (f"; {advice}" if advice else ""))
    return warnings


def _page_text(pymupdf: Any, page: Any, flags: int, ocr: OcrEngine,
               extend: Callable[[float], None] | None) -> tuple[str, str]:
    textpage = page.get_textpage(flags=flags)
    text = textpage.extractText()
    visible = len(text) - text.count(" ") - text.count("\n") - text.count("\t")
    unmapped = text.count("\ufffd")
    is_garbled = visible > 0 and unmapped / visible > GARBLED_SHARE
    if visible - unmapped < SCAN_MAX_CHARS and (is_garbled
                                                or _image_cover(page) >= SCAN_MIN_IMAGE_COVER):
        if ocr.available(pymupdf):
            if extend is not None:
                extend(OCR_SECONDS_PER_PAGE)
            try:
                return clean_text(ocr.read(page, flags)), OCR
            except Exception:
                return "", OCR_FAILED
        if is_garbled:
            return clean_text(text), GARBLED
        return "", NO_TEXT_OCR
    if is_garbled:
        return clean_text(text), GARBLED
    if visible == 0:
        return "", BLANK
    if looks_tabular(text):
        text = join_table_rows(lines_from_words(textpage.extractWORDS())) or text
    return clean_text(text), TEXT


def _image_cover(page: Any) -> float:
    """Share of the page covered by pictures (0 when it has none)."""
    try:
        images = page.get_images()   # cheap: what the page's resources name, no drawing
        if not images:
            return 0.0
        if any(width * height >= SCAN_MIN_PIXELS for _, _, width, height, *_ in images):
            return 1.0   # a page-sized picture and (almost) no text: a scan
        # (xref, smask, width, height, bpc, colour space, ...): a 1-bit picture without a
        # colour space is a stencil mask, which may be painted through with a shading.
        stencils = any(image[4] == 1 and not image[5] for image in images)
        boxes = _picture_boxes(page, stencils)
    except Exception:
        return 0.0
    area = abs(page.rect) or 1.0
    covered = 0.0
    for x0, y0, x1, y1 in boxes:
        covered += max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return min(1.0, covered / area)


def _picture_boxes(page: Any, stencils: bool) -> list[tuple[float, float, float, float]]:
    """Where the page draws pictures. MuPDF's bounding-box log costs a quarter of its image
    list (no text device), but a stencil mask painted through with a shading shows there
    only as an unbounded shading fill: for such a page the image list is asked."""
    boxes = []
    for kind, box in page.get_bboxlog():
        if kind in ("fill-image", "fill-imgmask"):
            boxes.append(tuple(box))
        elif kind == "fill-shade" and stencils:
            return [tuple(info["bbox"]) for info in page.get_image_info() if info.get("bbox")]
    return boxes


def _labeller(doc: Any) -> Callable[[Any], str] | None:
    """A page's printed label, or None when the PDF defines no labels. The label rules are
    read once: PyMuPDF's ``page.get_label()`` reads them all again for every page."""
    try:
        try:
            from pymupdf.utils import get_label_pno

            rules = sorted(doc._get_page_labels())   # what page.get_label() sorts and reads
        except (ImportError, AttributeError):         # a PyMuPDF without them: the slow way
            return (lambda page: str(page.get_label())) if doc.get_page_labels() else None
    except Exception:
        return None
    if not rules:
        return None
    return lambda page: str(get_label_pno(page.number, rules))


def _label(labeller: Callable[[Any], str], page: Any) -> str | None:
    try:
        label = clean_text(labeller(page) or "").strip()
    except Exception:
        return None
    return label[:40] if label and label != str(page.number + 1) else None


def _count(items: list[int], noun: str) -> str:
    return f"{len(items)} {noun}{'s' * (len(items) != 1)}"


def _are(items: list[int]) -> str:
    return "are" if len(items) != 1 else "is"


def _page_list(numbers: list[int], limit: int = 12) -> str:
    shown = ", ".join(map(str, numbers[:limit]))
    more = f" and {len(numbers) - limit} more" if len(numbers) > limit else ""
    return f"page{'s' * (len(numbers) != 1)} {shown}{more}"


def pymupdf_version() -> str:
    try:
        import pymupdf
    except ImportError:
        return "not installed"
    return str(pymupdf.VersionBind)


def tesseract_status() -> str:
    """Where OCR language data is, or why OCR is off (for ``rlm info``)."""
    prefix = os.environ.get("TESSDATA_PREFIX")
    try:
        return f"available ({_fitz().get_tessdata(prefix)})"
    except Exception:
        return "not installed: scanned pages are kept without text; " + INSTALL_TESSERACT
