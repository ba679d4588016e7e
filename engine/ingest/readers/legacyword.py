"""Files named ``.doc``/``.dot``: Word 97–2003 binary documents read from their OLE container
and piece table (``worddoc.py``) into paragraph-range pages like a ``.docx`` without page
breaks; a ``.docx``, RTF or HTML file saved under such a name is read as what it is."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from engine.ingest.model import (
    CORRUPT,
    EMPTY,
    PASSWORD,
    TOO_LARGE,
    UNSUPPORTED,
    Extracted,
    ExtractionFailed,
    ReadRequest,
    usable_title,
)
from engine.ingest.readers.paragraphs import Block, paragraph_blocks, paragraph_pages

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PASSWORD_REASON = ("this Word file is password-protected; open it in Word, remove the password "
                   "(File > Info > Protect Document), save it and ingest it again")
# Streams that name what another kind of OLE file is.
OTHER_OLE = {"workbook": "an Excel workbook (.xls)", "book": "an Excel workbook (.xls)",
             "powerpoint document": "a PowerPoint presentation (.ppt)",
             "__substg1.0_0037001f": "an Outlook message (.msg)",
             "__substg1.0_0037001e": "an Outlook message (.msg)",
             "visiodocument": "a Visio drawing (.vsd)"}
STORY_PREFIX = ("", "Footnote", "Header or footer", "", "Comment", "Endnote", "Text box", "")
WORD2_IDENT = b"\xdb\xa5"


def read_legacy_word(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        raise ExtractionFailed(EMPTY, "the file is empty (0 bytes)")
    if head.startswith(OLE_MAGIC):
        return extract_doc(path)
    if head.startswith(WORD2_IDENT):
        raise ExtractionFailed(UNSUPPORTED, "this is a Word 2.0 file (1991), older than the "
                               "Word 97–2003 format rlm reads; open it in Word or LibreOffice "
                               "and save it as .docx")
    if head.startswith(b"PK\x03\x04"):  # a .docx saved with a .doc name
        from engine.ingest.readers.word import extract_docx

        return extract_docx(path, request.progress)
    if head.lstrip().lower().startswith((b"<html", b"<!doctype html", b"<?xml")) or \
            b"<html" in head.lower():
        from engine.ingest.readers.htmltext import extract_html

        return extract_html(path)
    if head.startswith(b"{\\rtf"):
        from engine.ingest.readers.rtf import read_rtf

        return read_rtf(path, request)
    raise ExtractionFailed(UNSUPPORTED, "not a Word file: it is neither a Word 97–2003 "
                           "document nor a .docx, RTF or HTML file under a .doc name")


def extract_doc(path: Path) -> Extracted:
    """Read a Word 97–2003 binary document; raise ExtractionFailed with a reason if we can't."""
    import olefile

    where = "its container is"
    try:
        with olefile.OleFileIO(str(path)) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir()}
            if "worddocument" not in streams:
                raise ExtractionFailed(*_not_word(streams))
            word = ole.openstream("WordDocument").read()
            title, author = _summary(ole)
            where = "its text tables are"
            return _extract(ole, word, path, title, author)
    except ExtractionFailed:
        raise
    except MemoryError as exc:
        raise ExtractionFailed(TOO_LARGE, "the Word file needs more memory than an "
                               "extraction worker may use") from exc
    except Exception as exc:   # olefile, struct and index errors on a damaged file
        problem = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ExtractionFailed(CORRUPT, f"not a readable Word file: {where} damaged "
                               f"({problem})") from exc


def _not_word(streams: set[str]) -> tuple[str, str]:
    if "encryptioninfo" in streams or "encryptedpackage" in streams:
        return PASSWORD, PASSWORD_REASON
    for name, what in OTHER_OLE.items():
        if name in streams:
            return UNSUPPORTED, f"not a Word file: this is {what} with a .doc name"
    return UNSUPPORTED, "not a Word file: it is an Office container without a Word document"


def _summary(ole: Any) -> tuple[str | None, str | None]:
    """Title and author from the SummaryInformation stream, read with bounds (olefile's own
    property parser can loop for minutes on a crafted count)."""
    try:
        if not ole.exists("\x05SummaryInformation"):
            return None, None
        data = ole.openstream("\x05SummaryInformation").read(64 * 1024)
        section = struct.unpack_from("<I", data, 44)[0]
        count = min(struct.unpack_from("<I", data, section + 4)[0], 64)
        found: dict[int, str] = {}
        codepage = "cp1252"
        for i in range(count):
            pid, offset = struct.unpack_from("<II", data, section + 8 + 8 * i)
            at = section + offset
            kind = struct.unpack_from("<I", data, at)[0]
            if pid == 1 and kind == 2:
                codepage = f"cp{struct.unpack_from('<H', data, at + 4)[0]}"
            elif pid in (2, 4) and kind in (0x1E, 0x1F):
                size = min(struct.unpack_from("<I", data, at + 4)[0], 1000)
                raw = data[at + 8:at + 8 + size * (2 if kind == 0x1F else 1)]
                found[pid] = raw.decode("utf-16-le" if kind == 0x1F else "cp1252",
                                        errors="replace").split("\x00")[0]
        if codepage not in ("cp1252", "cp1200") and codepage != "cp65001":
            for pid, text in found.items():   # bytes kept as cp1252: decode them properly
                try:
                    found[pid] = text.encode("cp1252", errors="strict").decode(codepage)
                except (LookupError, UnicodeError):
                    pass
    except (struct.error, OSError, ValueError):
        return None, None
    return usable_title(found.get(2)), usable_title(found.get(4))


def _extract(ole: Any, word: bytes, path: Path, title: str | None,
             author: str | None) -> Extracted:
    from engine.ingest.readers import worddoc as wd

    kind = "dot" if path.suffix.lower() == ".dot" else "doc"
    try:
        fib = wd.Fib.parse(word)
    except wd.NotWord97:
        flags = wd.u16(word, 0x0A)
        if flags & wd.F_ENCRYPTED:
            raise ExtractionFailed(PASSWORD, PASSWORD_REASON) from None
        text = wd.word95_text(word, flags)
        paragraphs = [wd.Paragraph(t) for t in text.split("\r")]
        return _finish(kind, paragraph_blocks(paragraphs), title, author)
    if fib.encrypted:
        raise ExtractionFailed(PASSWORD, PASSWORD_REASON)
    if not ole.exists(fib.table_stream):
        raise ExtractionFailed(CORRUPT, "not a readable Word file: its table stream "
                               f"({fib.table_stream}) is missing")
    table = ole.openstream(fib.table_stream).read()
    pieces = wd.read_pieces(table, fib, len(word))
    runs = wd.paragraph_runs(table, word, fib)
    deleted = wd.deleted_runs(table, word, fib)
    blocks: list[Block] = []
    cp = 0
    notes: list[Block] = []
    pictures = False
    for index, length in enumerate(fib.stories[:7]):
        if length <= 0:
            continue
        story = wd.Story(word, pieces, cp, cp + length)
        cp += length
        pictures = pictures or "\x01" in story.text or "\x08" in story.text
        if index == 3:             # macros: not the document's text
            continue
        paragraphs = wd.story_paragraphs(story, deleted, runs)
        if index == 0:
            blocks = paragraph_blocks(paragraphs)
            continue
        prefix = STORY_PREFIX[index]
        seen: set[str] = set()
        for block in paragraph_blocks(paragraphs):
            if block.text in seen:   # the same header in every section
                continue
            seen.add(block.text)
            block.text = f"[{prefix}: {block.text}]" if prefix else block.text
            notes.append(block)
    if not blocks and not notes:
        if pictures:
            raise ExtractionFailed(EMPTY, "the Word file holds no text, only pictures or "
                                   "embedded objects; rlm does not read text in pictures")
        raise ExtractionFailed(EMPTY, "the Word file holds no text")
    last = blocks[-1].paragraph if blocks else 0
    for block in notes:
        block.paragraph = last     # notes sit after the body, located at its end
    return _finish(kind, blocks + notes, title, author)


def _finish(kind: str, blocks: list[Block], title: str | None,
            author: str | None) -> Extracted:
    if not blocks:
        raise ExtractionFailed(EMPTY, "the Word file holds no text")
    return Extracted(type=kind, pages=paragraph_pages(blocks), title=title, author=author)
