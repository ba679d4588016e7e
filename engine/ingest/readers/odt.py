"""OpenDocument text (``.odt``/``.ott``): the zip's content.xml read with a parser that loads
no DTD, entity or network resource, after zip-bomb checks; headings, lists, tables, notes and
comments become paragraph blocks, tracked deletions are left out."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from engine.ingest.model import (
    CORRUPT,
    EMPTY,
    PASSWORD,
    UNSUPPORTED,
    Extracted,
    ExtractionFailed,
    ReadRequest,
    usable_title,
)
from engine.ingest.readers.officezip import check_unpacked_sizes
from engine.ingest.readers.paragraphs import Paragraph, paragraph_blocks, paragraph_pages
from engine.ingest.readers.wordpackage import MAX_PART_BYTES, MAX_UNPACKED_BYTES

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"
META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
MIMETYPES = {b"application/vnd.oasis.opendocument.text",
             b"application/vnd.oasis.opendocument.text-template"}
MAX_DEPTH = 200
MAX_SPACES = 200            # one <text:s text:c="..."/> may not write more
MAX_REPEAT = 50             # a repeated cell or row with text is written at most this often
# Inline elements whose text is not the paragraph's own.
SKIP_INLINE = {TEXT + "tracked-changes", TEXT + "note-citation", OFFICE + "annotation-end",
               TEXT + "bookmark-ref", DRAW + "image"}


def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def _check_zip(archive: zipfile.ZipFile) -> None:
    check_unpacked_sizes(archive.infolist(), max_total=MAX_UNPACKED_BYTES,
                         max_part=MAX_PART_BYTES)


class _Reader:
    """Walks office:text in order, collecting paragraphs, cells and notes."""

    def __init__(self) -> None:
        self.paragraphs: list[Paragraph] = []

    def body(self, element: Any, depth: int = 0, list_depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise ExtractionFailed(CORRUPT, "not a readable OpenDocument file: its structure "
                                   "is nested too deeply (damaged file)")
        for child in element:
            tag = child.tag
            if tag == TEXT + "p":
                self._add(self.inline(child), bullet=list_depth)
            elif tag == TEXT + "h":
                level = child.get(TEXT + "outline-level") or "1"
                heading = max(1, min(9, int(level))) if level.isdigit() else 1
                self.paragraphs.append(Paragraph(self.inline(child).strip(), heading))
            elif tag == TEXT + "list":
                self.body(child, depth + 1, list_depth + 1)
            elif tag == TABLE + "table":
                self._table(child, depth)
            elif tag in (TEXT + "tracked-changes", OFFICE + "forms", TEXT + "sequence-decls",
                         TEXT + "variable-decls", TABLE + "table-columns"):
                continue
            elif isinstance(tag, str):   # sections, list items, index bodies, ...
                self.body(child, depth + 1, list_depth)

    def _add(self, text: str, bullet: int = 0) -> None:
        text = text.strip()
        if text:
            self.paragraphs.append(Paragraph("- " + text if bullet else text))

    def inline(self, element: Any, depth: int = 0) -> str:
        """A paragraph's text, with spaces, tabs, breaks, notes and comments in place."""
        if depth > MAX_DEPTH:
            return ""
        parts = [element.text or ""]
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in SKIP_INLINE:
                pass
            elif tag == TEXT + "s":
                count = child.get(TEXT + "c") or "1"
                parts.append(" " * min(MAX_SPACES, int(count) if count.isdigit() else 1))
            elif tag == TEXT + "tab":
                parts.append("\t")
            elif tag == TEXT + "line-break":
                parts.append("\n")
            elif tag == TEXT + "note":
                body = child.find(TEXT + "note-body")
                citation = child.findtext(TEXT + "note-citation") or ""
                if body is not None:
                    note = " ".join(self.inline(p, depth + 1).strip()
                                    for p in body.iter(TEXT + "p"))
                    parts.append(f" [Note {citation}: {note.strip()}]")
            elif tag == OFFICE + "annotation":
                creator = child.findtext(DC + "creator") or "someone"
                note = " ".join(self.inline(p, depth + 1).strip() for p in child.iter(TEXT + "p"))
                parts.append(f" [Comment by {creator}: {note.strip()}]")
            elif tag in (TEXT + "p", TEXT + "h"):   # inside a frame or text box
                parts.append("\n" + self.inline(child, depth + 1) + "\n")
            else:
                parts.append(self.inline(child, depth + 1))
            parts.append(child.tail or "")
        return "".join(parts)

    def _table(self, table: Any, depth: int) -> None:
        for row in table.iter(TABLE + "table-row"):
            if _owner(row) is not table:
                continue
            repeat = int(row.get(TABLE + "number-rows-repeated") or "1") \
                if (row.get(TABLE + "number-rows-repeated") or "1").isdigit() else 1
            cells = []
            for cell in row:
                if cell.tag not in (TABLE + "table-cell", TABLE + "covered-table-cell"):
                    continue
                text = " ".join(" ".join(self.inline(p, depth + 1).split())
                                for p in cell.iter(TEXT + "p", TEXT + "h")).strip()
                count = cell.get(TABLE + "number-columns-repeated") or "1"
                times = int(count) if count.isdigit() else 1
                cells.extend([text] * (min(times, MAX_REPEAT) if text else 1))
            while cells and not cells[-1]:
                cells.pop()
            if not cells:
                continue
            for _ in range(min(repeat, MAX_REPEAT)):
                for text in cells:
                    self.paragraphs.append(Paragraph(text, in_table=True, cell_end=True))
                self.paragraphs.append(Paragraph("", in_table=True, row_end=True))
        self.paragraphs.append(Paragraph(""))   # the table ends here


def _owner(row: Any) -> Any:
    """The table a row belongs to (rows sit in header-rows and row-groups too)."""
    parent = row.getparent()
    while parent is not None and parent.tag != TABLE + "table":
        parent = parent.getparent()
    return parent


def read_odt(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    if path.stat().st_size == 0:
        raise ExtractionFailed(EMPTY, "the file is empty (0 bytes)")
    try:
        with zipfile.ZipFile(path) as archive:
            _check_zip(archive)
            names = set(archive.namelist())
            if "mimetype" in names and archive.read("mimetype").strip() not in MIMETYPES:
                kind = archive.read("mimetype")[:80].decode("ascii", errors="replace")
                raise ExtractionFailed(UNSUPPORTED, "not an OpenDocument text file: it is "
                                       f"{kind!r}")
            if "META-INF/manifest.xml" in names and \
                    b"encryption-data" in archive.read("META-INF/manifest.xml"):
                raise ExtractionFailed(PASSWORD, "this OpenDocument file is password-protected;"
                                       " open it in LibreOffice, remove the password (File > "
                                       "Properties > Security), save it and ingest it again")
            if "content.xml" not in names:
                raise ExtractionFailed(CORRUPT, "not a readable OpenDocument file: it has no "
                                       "content.xml")
            content = archive.read("content.xml")
            meta = archive.read("meta.xml") if "meta.xml" in names else b""
    except ExtractionFailed:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as exc:
        raise ExtractionFailed(CORRUPT, "not a readable OpenDocument file: the file is damaged "
                               f"or is not a zip package ({exc})") from exc
    from lxml import etree

    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise ExtractionFailed(CORRUPT, f"not a readable OpenDocument file: {exc}") from exc
    text = root.find(f"{OFFICE}body/{OFFICE}text")
    if text is None:
        raise ExtractionFailed(UNSUPPORTED, "not an OpenDocument text file: it has no text body "
                               "(a spreadsheet or presentation?)")
    reader = _Reader()
    reader.body(text)
    blocks = paragraph_blocks(reader.paragraphs)
    if not blocks:
        raise ExtractionFailed(EMPTY, "the OpenDocument file holds no text")
    title = author = None
    if meta:
        try:
            info = etree.fromstring(meta, _parser())
            title = usable_title(info.findtext(f".//{DC}title"))
            author = usable_title(info.findtext(f".//{META}initial-creator")
                                  or info.findtext(f".//{DC}creator"))
        except etree.XMLSyntaxError:
            pass
    return Extracted(type=path.suffix.lower().lstrip(".") if path.suffix.lower() == ".ott"
                     else "odt", pages=paragraph_pages(blocks), title=title, author=author)
