"""Word ``.docx`` (and ``.docm``/``.dotx``) text with python-docx: headings, list numbers, tables,
headers and footers, footnotes and comments, each block with a location a citation can use.

Pages follow Word's own page breaks when the file records them (Word stores
where it last broke pages); otherwise the text is cut into page-sized chunks
labelled with their paragraph numbers ("¶12–¶30"), so a citation still points
at a place a person can find. Macros are never run: only the XML is read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.ingest.model import (
    CORRUPT,
    TOO_LARGE,
    Extracted,
    ExtractedPage,
    ExtractionFailed,
    ReadRequest,
    clean_text,
    usable_title,
)
from engine.ingest.readers.wordnumbers import Numbering
from engine.ingest.readers.wordpackage import check_zip, open_package, related_xml

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"

# Characters per chunk when Word recorded no page breaks (about one printed page).
CHUNK_CHARS = 3000
MAX_DEPTH = 200

RT_FOOTNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
RT_ENDNOTES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/endnotes"
RT_COMMENTS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/comments"
RT_NUMBERING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"
RT_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"


@dataclass
class Styles:
    """Heading level and list numbering of each paragraph style (with ``basedOn`` followed)."""

    names: dict[str, str] = field(default_factory=dict)
    outline: dict[str, int] = field(default_factory=dict)
    numbering: dict[str, tuple[str, int]] = field(default_factory=dict)
    based_on: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, styles_xml: Any | None) -> Styles:
        styles = cls()
        if styles_xml is None:
            return styles
        for style in styles_xml.iterfind(W + "style"):
            sid = style.get(W + "styleId")
            if not sid:
                continue
            name = style.find(W + "name")
            styles.names[sid] = (name.get(W + "val") if name is not None else sid) or sid
            based = style.find(W + "basedOn")
            if based is not None and based.get(W + "val"):
                styles.based_on[sid] = str(based.get(W + "val"))
            ppr = style.find(W + "pPr")
            if ppr is not None:
                level = ppr.find(W + "outlineLvl")
                if level is not None and (level.get(W + "val") or "").isdigit():
                    styles.outline[sid] = int(str(level.get(W + "val")))
                num = ppr.find(W + "numPr")
                if num is not None:
                    num_id = num.find(W + "numId")
                    ilvl = num.find(W + "ilvl")
                    if num_id is not None:
                        styles.numbering[sid] = (str(num_id.get(W + "val")),
                                                 _int(ilvl.get(W + "val") if ilvl is not None
                                                      else None))
        return styles

    def _chain(self, sid: str) -> list[str]:
        chain: list[str] = []
        seen: set[str] = set()
        while sid and sid not in seen and len(chain) < 20:
            chain.append(sid)
            seen.add(sid)
            sid = self.based_on.get(sid, "")
        return chain

    def heading_level(self, sid: str) -> int:
        """1-9 for headings (and 1 for the Title style), 0 for body text."""
        for s in self._chain(sid):
            name = self.names.get(s, s).lower()
            if name == "title":
                return 1
            if name.startswith("heading ") and name[8:].strip().isdigit():
                return max(1, min(9, int(name[8:].strip())))
            if s in self.outline and self.outline[s] < 9:
                return self.outline[s] + 1
        return 0

    def list_of(self, sid: str) -> tuple[str, int] | None:
        for s in self._chain(sid):
            if s in self.numbering:
                return self.numbering[s]
        return None


def _int(text: str | None) -> int:
    try:
        return int(text) if text is not None else 0
    except ValueError:
        return 0


@dataclass
class Block:
    """A paragraph or table as text, with the section and paragraph number it came from."""

    text: str
    section: int
    paragraph: int
    page_break_before: bool = False


class DocxReader:
    """Walks the body in order, turning paragraphs and tables into located text blocks."""

    def __init__(self, part: Any) -> None:
        self.part = part
        self.styles = Styles.read(related_xml(part, RT_STYLES))
        self.numbering = Numbering(related_xml(part, RT_NUMBERING))
        self.footnotes = _notes(related_xml(part, RT_FOOTNOTES), "footnote")
        self.endnotes = _notes(related_xml(part, RT_ENDNOTES), "endnote")
        self.comments = _comments(related_xml(part, RT_COMMENTS))
        self.used_comments: set[str] = set()
        self.blocks: list[Block] = []
        self.section = 1
        self.paragraph = 0
        self.rendered_breaks = 0
        self.pending_break = False
        self.table_depth = 0
        self.break_in_table = False
        self.sections: list[Any] = []

    # --- body -----------------------------------------------------------------------

    def read_body(self, progress: Callable[[int], None] | None = None) -> None:
        body = self.part.element.find(W + "body")
        if body is None:
            raise ExtractionFailed(CORRUPT, "not a readable Word file: it has no body")
        self._container(body, progress)
        leftover = [text for cid, text in self.comments.items() if cid not in self.used_comments]
        if leftover:
            self._add("\n".join(leftover))

    def _container(self, element: Any, progress: Callable[[int], None] | None = None,
                   depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise ExtractionFailed(CORRUPT, "not a readable Word file: its structure is nested "
                                   "too deeply (damaged file)")
        for child in element:
            tag = child.tag
            if tag == W + "p":
                self._paragraph(child)
                if progress is not None and self.paragraph % 500 == 0:
                    progress(self.paragraph)
            elif tag == W + "tbl":
                self._table(child, depth)
            elif tag in (W + "sdt", W + "customXml", W + "ins", W + "moveTo"):
                content = child.find(W + "sdtContent") if tag == W + "sdt" else child
                if content is not None:
                    self._container(content, progress, depth + 1)
            elif tag == W + "sectPr":
                self.sections.append(child)

    def _add(self, text: str) -> None:
        text = clean_text(text).strip("\n")
        if not text.strip():
            return
        self.paragraph += 1
        self.blocks.append(Block(text, self.section, self.paragraph, self.pending_break))
        self.pending_break = False

    def _paragraph(self, p: Any) -> None:
        parts: list[str] = []
        notes: list[str] = []
        self._runs(p, parts, notes, 0)
        text = "".join(parts)
        ppr = p.find(W + "pPr")
        sid = ""
        list_ref = None
        if ppr is not None:
            style = ppr.find(W + "pStyle")
            sid = style.get(W + "val") if style is not None else ""
            num = ppr.find(W + "numPr")
            if num is not None and num.find(W + "numId") is not None:
                ilvl = num.find(W + "ilvl")
                list_ref = (str(num.find(W + "numId").get(W + "val")),
                            _int(ilvl.get(W + "val") if ilvl is not None else None))
        list_ref = list_ref or (self.styles.list_of(sid) if sid else None)
        if text.strip():
            prefix = ""
            if list_ref is not None:
                number = self.numbering.label(*list_ref)
                prefix = f"{number} " if number else ""
            level = self.styles.heading_level(sid) if sid else 0
            if level:
                prefix = "#" * level + " " + prefix
            self._add(prefix + text.strip() + "".join(notes))
        elif notes:
            self._add("".join(notes))
        if ppr is not None and ppr.find(W + "sectPr") is not None:
            self.sections.append(ppr.find(W + "sectPr"))
            self.section += 1

    def _runs(self, element: Any, parts: list[str], notes: list[str], depth: int) -> None:
        """Text of a paragraph's runs in order, wherever they nest (links, fields, controls)."""
        if depth > MAX_DEPTH:
            return
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            if tag == W + "t":
                parts.append(child.text or "")
            elif tag == W + "tab" and element.tag == W + "r":
                parts.append("\t")
            elif tag in (W + "br", W + "cr"):
                kind = child.get(W + "type")
                if kind == "page":
                    self._break(parts)
                else:
                    parts.append("\n")
            elif tag == W + "lastRenderedPageBreak":
                self.rendered_breaks += 1
                self._break(parts)
            elif tag == W + "noBreakHyphen":
                parts.append("-")
            elif tag == W + "footnoteReference":
                self._note_ref(child, self.footnotes, "", parts, notes)
            elif tag == W + "endnoteReference":
                self._note_ref(child, self.endnotes, "E", parts, notes)
            elif tag == W + "commentReference":
                cid = str(child.get(W + "id"))
                if cid in self.comments and cid not in self.used_comments:
                    self.used_comments.add(cid)
                    notes.append("\n" + self.comments[cid])
            elif tag in (W + "delText", W + "instrText", W + "moveFrom", W + "del",
                         W + "pPr", W + "rPr", MC_FALLBACK):
                continue
            elif tag == W + "p":   # a paragraph in a text box inside this one
                parts.append("\n")
                self._runs(child, parts, notes, depth + 1)
                parts.append("\n")
            else:
                self._runs(child, parts, notes, depth + 1)

    def _note_ref(self, ref: Any, table: dict[str, str], mark: str, parts: list[str],
                  notes: list[str]) -> None:
        nid = str(ref.get(W + "id"))
        parts.append(f"[^{mark}{nid}]")
        if nid in table:
            notes.append(f"\n[^{mark}{nid}]: {table[nid]}")

    def _break(self, parts: list[str]) -> None:
        """A page break inside a paragraph: end the text so far as its own block.

        Inside a table the table stays whole, on the page where it starts."""
        if self.table_depth:
            self.break_in_table = True
            return
        before = "".join(parts)
        if before.strip():
            self._add(before)
            parts.clear()
        self.pending_break = True

    def _table(self, tbl: Any, depth: int) -> None:
        self.table_depth += 1
        try:
            rows = self._rows(tbl, depth)
        finally:
            self.table_depth -= 1
        if rows:
            self._add("\n".join(rows))
        if self.break_in_table and not self.table_depth:
            self.break_in_table = False
            self.pending_break = True

    def _rows(self, tbl: Any, depth: int) -> list[str]:
        rows = []
        for tr in tbl.iterfind(W + "tr"):
            cells = []
            for tc in tr.iter(W + "tc"):
                if tc.getparent() is not tr and tc.getparent().tag != W + "sdtContent":
                    continue
                texts: list[str] = []
                for p in tc.iter(W + "p"):
                    parts: list[str] = []
                    notes: list[str] = []
                    self._runs(p, parts, notes, depth + 1)
                    chunk = " ".join("".join(parts).split())
                    if chunk:
                        texts.append(chunk + "".join(notes).replace("\n", " "))
                cells.append(" ".join(texts))
            if any(cells):
                rows.append(" | ".join(cells))
        return rows

    # --- headers and footers --------------------------------------------------------

    def headers_and_footers(self) -> tuple[list[str], list[str]]:
        headers: list[str] = []
        footers: list[str] = []
        for sect in self.sections:
            for tag, out in ((W + "headerReference", headers), (W + "footerReference", footers)):
                for ref in sect.iterfind(tag):
                    rid = ref.get(R + "id")
                    try:
                        element = self.part.related_parts[rid].element
                    except (KeyError, AttributeError):
                        continue
                    parts: list[str] = []
                    for p in element.iter(W + "p"):
                        chunk: list[str] = []
                        self._runs(p, chunk, [], 0)
                        parts.append("".join(chunk).strip())
                    text = clean_text(" ".join(t for t in parts if t))
                    if text and text not in out:
                        out.append(text)
        return headers, footers


def _paragraph_texts(element: Any) -> str:
    parts = []
    for p in element.iter(W + "p"):
        text = "".join((t.text or "") for t in p.iter(W + "t"))
        if text.strip():
            parts.append(text.strip())
    return " ".join(parts)


def _notes(xml: Any | None, kind: str) -> dict[str, str]:
    notes: dict[str, str] = {}
    if xml is None:
        return notes
    for note in xml.iterfind(W + kind):
        if note.get(W + "type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        text = clean_text(_paragraph_texts(note))
        if text:
            notes[str(note.get(W + "id"))] = text
    return notes


def _comments(xml: Any | None) -> dict[str, str]:
    comments: dict[str, str] = {}
    if xml is None:
        return comments
    for comment in xml.iterfind(W + "comment"):
        text = clean_text(_paragraph_texts(comment))
        if text:
            author = clean_text(comment.get(W + "author") or "someone")
            comments[str(comment.get(W + "id"))] = f"[Comment by {author}: {text}]"
    return comments


def read_docx(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    return extract_docx(path, request.progress)


def extract_docx(path: Path, progress: Callable[[int], None] | None = None) -> Extracted:
    """Read a Word package into located pages; raise ExtractionFailed with a reason if we can't."""
    check_zip(path)
    package, part = open_package(path)
    reader = DocxReader(part)
    try:
        reader.read_body(progress)
        headers, footers = reader.headers_and_footers()
    except ExtractionFailed:
        raise
    except MemoryError as exc:
        raise ExtractionFailed(TOO_LARGE, "the Word file needs more memory than an extraction "
                               "worker may use") from exc
    except RecursionError as exc:
        raise ExtractionFailed(CORRUPT, "not a readable Word file: its structure is nested too "
                               "deeply (damaged file)") from exc
    title = author = None
    try:
        props = package.core_properties
        title, author = usable_title(props.title), usable_title(props.author)
    except Exception:
        pass
    blocks = reader.blocks
    if headers:
        blocks.insert(0, Block("\n".join(f"[Header: {h}]" for h in headers), 1, 0))
    if footers:
        last = blocks[-1] if blocks else Block("", 1, 0)
        blocks.append(Block("\n".join(f"[Footer: {f}]" for f in footers), last.section,
                            last.paragraph))
    if reader.rendered_breaks:
        pages = _pages_by_breaks(blocks)
    else:
        pages = _located_chunks(blocks, multi_section=reader.section > 1)
    kind = path.suffix.lower().lstrip(".") or "docx"
    return Extracted(type=kind if kind in ("docx", "docm", "dotx", "dotm") else "docx",
                     pages=pages, title=title, author=author)


def _pages_by_breaks(blocks: list[Block]) -> list[ExtractedPage]:
    pages: list[list[str]] = [[]]
    for block in blocks:
        if block.page_break_before and pages[-1]:
            pages.append([])
        pages[-1].append(block.text)
    return [ExtractedPage(number=i, text="\n\n".join(texts) + "\n" if texts else "")
            for i, texts in enumerate(pages, start=1)]


def _located_chunks(blocks: list[Block], multi_section: bool) -> list[ExtractedPage]:
    """Page-sized chunks at block boundaries, labelled with where they are: "§2 ¶15–¶31"."""
    chunks: list[list[Block]] = [[]]
    size = 0
    for block in blocks:
        if chunks[-1] and (size + len(block.text) > CHUNK_CHARS or block.page_break_before):
            chunks.append([])
            size = 0
        chunks[-1].append(block)
        size += len(block.text) + 2
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        if not chunk:
            pages.append(ExtractedPage(number=number, text=""))
            continue
        numbered = [b for b in chunk if b.paragraph > 0] or chunk
        first, last = numbered[0], numbered[-1]
        where = f"¶{first.paragraph}" if first.paragraph == last.paragraph \
            else f"¶{first.paragraph}–¶{last.paragraph}"
        if multi_section:
            where = f"§{first.section} {where}" if first.section == last.section \
                else f"§{first.section}–§{last.section} {where}"
        pages.append(ExtractedPage(number=number, label=where,
                                   text="\n\n".join(b.text for b in chunk) + "\n"))
    return pages


def python_docx_version() -> str:
    try:
        from importlib.metadata import version

        return version("python-docx")
    except Exception:
        return "not installed"
