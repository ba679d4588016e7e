"""Files named ``.doc``/``.dot``: binary Word is refused with what to do, while a ``.docx``
or an HTML page saved under such a name is read as what it is."""

from __future__ import annotations

from pathlib import Path

from engine.ingest.model import EMPTY, UNSUPPORTED, Extracted, ExtractionFailed, ReadRequest


def read_legacy_word(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        raise ExtractionFailed(EMPTY, "the file is empty (0 bytes)")
    if head.startswith(b"PK\x03\x04"):  # a .docx saved with a .doc name
        from engine.ingest.readers.word import extract_docx

        return extract_docx(path, request.progress)
    if head.lstrip().lower().startswith((b"<html", b"<!doctype html", b"<?xml")) or \
            b"<html" in head.lower():
        from engine.ingest.readers.htmltext import extract_html

        return extract_html(path)
    if head.startswith(b"{\\rtf"):
        raise ExtractionFailed(UNSUPPORTED, "this is an RTF file with a .doc name; RTF is not "
                               "supported — save it as .docx or PDF")
    raise ExtractionFailed(UNSUPPORTED, "legacy binary Word format (.doc) is not supported — "
                           "open it in Word or LibreOffice and save as .docx or PDF")
