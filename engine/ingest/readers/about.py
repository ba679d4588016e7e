"""What reads each format and whether the optional tool it needs is there, for ``rlm info``
(each function is named by a format's ``about`` in ``engine/ingest/formats.py``)."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from engine.ingest.formats import FORMATS, load


def reader_list() -> list[dict[str, Any]]:
    """Each advertised format: its label, suffixes and, where known, what reads it."""
    out = []
    for fmt in FORMATS:
        if not fmt.label:
            continue
        about = None
        if fmt.about:
            try:
                about = str(load(fmt.about)())
            except Exception as exc:   # info must report, never fail
                about = f"unknown ({type(exc).__name__})"
        out.append({"kind": fmt.kind, "label": fmt.label,
                    "suffixes": sorted(fmt.suffixes), "reader": about})
    return out


def _version(package: str) -> str:
    try:
        return f"{package} {metadata.version(package)}"
    except metadata.PackageNotFoundError:
        return f"{package} not installed (pip install {package})"


def about_legacy_word() -> str:
    return f"{_version('olefile')} and our own piece-table reader"


def about_rtf() -> str:
    return "our own reader (standard library)"


def about_odt() -> str:
    return _version("lxml")


def about_email() -> str:
    return f"Python's email module; .msg with {_version('olefile')}"


def about_spreadsheet() -> str:
    return _version("openpyxl")


def about_slides() -> str:
    return _version("python-pptx")


def about_images() -> str:
    from engine.ingest.readers.pdf import OcrEngine, _fitz, pymupdf_version

    there = OcrEngine("auto").available(_fitz())
    return f"PyMuPDF {pymupdf_version()} and Tesseract OCR (" + (
        "installed)" if there else "not installed: pictures are kept without text)")
