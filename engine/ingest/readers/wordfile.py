"""Files named ``.docx``/``.docm``/``.dotx``/``.dotm``: a Word package is read as one, and a
Word 97–2003 binary file saved under such a name is read as the binary format it is."""

from __future__ import annotations

from pathlib import Path

from engine.ingest.model import Extracted, ReadRequest
from engine.ingest.readers.wordpackage import OLE_MAGIC, _is_encrypted_ooxml


def read_word(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC and not _is_encrypted_ooxml(path):   # (encrypted: refused below)
        from engine.ingest.readers.legacyword import extract_doc

        return extract_doc(path)
    from engine.ingest.readers.word import extract_docx

    return extract_docx(path, request.progress)
