"""Which files we read and how: the type of a file from its name and first bytes, and one
``extract`` entry point that the worker processes call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.ingest.model import (
    EMPTY,
    MISSING,
    TOO_LARGE,
    UNREADABLE,
    UNSUPPORTED,
    Extracted,
    ExtractionFailed,
)

PDF_SUFFIXES = {".pdf"}
WORD_SUFFIXES = {".docx", ".docm", ".dotx", ".dotm"}
LEGACY_WORD_SUFFIXES = {".doc", ".dot"}
TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".rst", ".csv", ".tsv", ".log", ".json",
                 ".xml", ".yaml", ".yml", ".ini", ".tex"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
SUPPORTED_SUFFIXES = (PDF_SUFFIXES | WORD_SUFFIXES | LEGACY_WORD_SUFFIXES | TEXT_SUFFIXES
                      | HTML_SUFFIXES)
SUPPORTED_TEXT = "PDF, Word (.docx), plain text, Markdown, CSV and HTML"

# Text and HTML files up to this size are read in the calling process (pure Python that
# cannot crash or hang on bad bytes); bigger ones, and every PDF and Word file, go to a
# worker process with a time limit.
IN_PROCESS_MAX_BYTES = 4 * 1024 * 1024
# A text file above this is refused: it would not fit any context usefully.
MAX_TEXT_BYTES = 512 * 1024 * 1024

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class ExtractOptions:
    """Per-batch choices that change what extraction does (sent to each worker)."""

    passwords: list[str] = field(default_factory=list)
    ocr: str = "auto"          # "auto": OCR scanned pages when Tesseract is installed; "off"
    ocr_language: str = "eng"


def kind_of(path: Path) -> str | None:
    """"pdf", "word", "legacy_word", "text", "html", or None for files we do not read."""
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in WORD_SUFFIXES:
        return "word"
    if suffix in LEGACY_WORD_SUFFIXES:
        return "legacy_word"
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    return None


def runs_in_process(path: Path, size: int) -> bool:
    return kind_of(path) in ("text", "html") and size <= IN_PROCESS_MAX_BYTES


def unsupported_reason(path: Path) -> str:
    suffix = path.suffix.lower() or "(no extension)"
    return f"unsupported file type {suffix}; rlm reads {SUPPORTED_TEXT} files"


def _head(path: Path, size: int = 8) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(size)


def _legacy_word(path: Path, progress: Callable[[int], None] | None) -> Extracted:
    """A ``.doc``: really binary Word (refused with what to do), or a misnamed other format."""
    head = _head(path, 512)
    if not head:
        raise ExtractionFailed(EMPTY, "the file is empty (0 bytes)")
    if head.startswith(b"PK\x03\x04"):  # a .docx saved with a .doc name
        from engine.ingest.readers.word import extract_docx

        return extract_docx(path, progress)
    if head.lstrip().lower().startswith((b"<html", b"<!doctype html", b"<?xml")) or \
            b"<html" in head.lower():
        from engine.ingest.readers.htmltext import extract_html

        return extract_html(path)
    if head.startswith(b"{\\rtf"):
        raise ExtractionFailed(UNSUPPORTED, "this is an RTF file with a .doc name; RTF is not "
                               "supported — save it as .docx or PDF")
    raise ExtractionFailed(UNSUPPORTED, "legacy binary Word format (.doc) is not supported — "
                           "open it in Word or LibreOffice and save as .docx or PDF")


def extract(path: Path, options: ExtractOptions,
            progress: Callable[[int], None] | None = None,
            extend: Callable[[float], None] | None = None,
            pages: tuple[int, int | None] | None = None) -> Extracted:
    """Read one file into pages, or raise ExtractionFailed with the reason a person reads.

    ``pages`` (PDF only) is a range of page indexes to read; see ``extract_pdf``.
    """
    kind = kind_of(path)
    try:
        if kind is None:
            raise ExtractionFailed(UNSUPPORTED, unsupported_reason(path))
        if kind == "pdf":
            from engine.ingest.readers.pdf import OcrEngine, extract_pdf

            return extract_pdf(path, passwords=options.passwords,
                               ocr=OcrEngine(options.ocr, options.ocr_language),
                               pages=pages or (0, None), progress=progress, extend=extend)
        from engine.ingest.readers.pdf import release_kept

        release_kept()   # a long PDF kept open for its next range: one document at a time
        if kind == "word":
            from engine.ingest.readers.word import extract_docx

            return extract_docx(path, progress)
        if kind == "legacy_word":
            return _legacy_word(path, progress)
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise ExtractionFailed(TOO_LARGE, f"the file is {size / 1e6:,.0f} MB of text, above "
                                   f"the {MAX_TEXT_BYTES // 1024 // 1024} MB limit; split it")
        if kind == "html":
            from engine.ingest.readers.htmltext import extract_html

            return extract_html(path)
        from engine.ingest.readers.textfiles import extract_text

        return extract_text(path)
    except FileNotFoundError as exc:
        raise ExtractionFailed(MISSING, "the file was removed or renamed while ingesting") \
            from exc
    except IsADirectoryError as exc:
        raise ExtractionFailed(UNSUPPORTED, "this is a folder, not a file") from exc
    except PermissionError as exc:
        raise ExtractionFailed(UNREADABLE, "permission denied: the file cannot be read by "
                               "this user") from exc
    except OSError as exc:
        raise ExtractionFailed(UNREADABLE, f"cannot read the file: {exc.strerror or exc}") \
            from exc
