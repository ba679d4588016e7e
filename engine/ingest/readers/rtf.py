"""RTF text with a bounded standard-library tokenizer: paragraphs, headings (outline levels),
table rows, Unicode and code-page characters, field results; font tables, pictures, binary
data, field codes and deleted text left out. Nesting depth and ``\\bin`` runs are bounded."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from pathlib import Path

from engine.ingest.model import (
    CORRUPT,
    EMPTY,
    TOO_LARGE,
    Extracted,
    ExtractionFailed,
    ReadRequest,
    usable_title,
)
from engine.ingest.readers.paragraphs import Paragraph, paragraph_blocks, paragraph_pages

MAX_DEPTH = 2000
MAX_BYTES = 512 * 1024 * 1024
_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])"
                    rb"|[\r\n]+|([^\\{}\r\n]+)", re.DOTALL)
# Destinations whose text is not the document's (tables of fonts and styles, pictures...).
SKIP = frozenset({
    "fonttbl", "colortbl", "stylesheet", "pict", "objdata", "fldinst", "header", "headerl",
    "headerr", "headerf", "footer", "footerl", "footerr", "footerf", "xmlnstbl", "rsidtbl",
    "generator", "themedata", "colorschememapping", "latentstyles", "datastore", "listtable",
    "listoverridetable", "filetbl", "revtbl", "pgdsctbl", "pnseclvl", "bkmkstart", "bkmkend",
    "nonshppict", "shpinst", "blipuid", "panose", "fchars", "lchars", "template", "operator",
    "company", "category", "keywords", "comment", "doccomm", "hlinkbase", "manager",
    "mmathPr", "wgrffmtfilter", "ftnsep", "ftnsepc", "aftnsep", "aftnsepc", "userprops",
    "private", "xe", "tc", "atnid", "atnauthor", "atrfstart", "atrfend", "atndate",
    "protusertbl", "passwordhash", "listpicture", "defchp", "defpap", "sp",
})
META = frozenset({"title", "author"})
SYMBOLS = {"emdash": "\u2014", "endash": "\u2013", "lquote": "\u2018", "rquote": "\u2019",
           "ldblquote": "\u201c", "rdblquote": "\u201d", "bullet": "\u2022", "tab": "\t",
           "line": "\n", "emspace": " ", "enspace": " ", "qmspace": " "}
CONTROL_SYMBOLS = {"~": "\u00a0", "_": "-", "-": "", "\\": "\\", "{": "{", "}": "}",
                   "\t": "\t"}


@dataclass
class _Group:
    """What one {group} inherits and sets."""

    skip: bool = False
    hidden: bool = False     # \v (hidden text) or \deleted (a deleted revision)
    uc: int = 1              # fallback characters after each \u
    meta: str = ""           # "title" / "author" while inside \info's fields


@dataclass
class _State:
    codepage: str = "cp1252"
    paragraphs: list[Paragraph] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    pending: bytearray = field(default_factory=bytearray)
    in_table: bool = False
    heading: int = 0
    meta: dict[str, str] = field(default_factory=dict)

    def flush_bytes(self) -> None:
        if self.pending:
            self.text.append(bytes(self.pending).decode(self.codepage, errors="replace"))
            self.pending.clear()

    def end(self, *, cell: bool = False, row: bool = False) -> None:
        self.flush_bytes()
        text = "".join(self.text)
        self.text.clear()
        self.paragraphs.append(Paragraph(text, self.heading, self.in_table or cell or row,
                                         cell_end=cell, row_end=row))


def parse_rtf(data: bytes) -> tuple[list[Paragraph], dict[str, str]]:
    """The paragraphs of an RTF document and its title and author."""
    state = _State()
    stack = [_Group()]
    skip_fallback = 0
    pos, size = 0, len(data)
    while pos < size:
        token = _TOKEN.match(data, pos)
        if token is None:          # a lone backslash at the end
            break
        pos = token.end()
        group = stack[-1]
        word, arg, hexbyte, symbol, brace, text = token.groups()
        if brace is not None:
            state.flush_bytes()
            skip_fallback = 0
            if brace == b"{":
                if len(stack) >= MAX_DEPTH:
                    raise ExtractionFailed(CORRUPT, "not a readable RTF file: its groups are "
                                           f"nested more than {MAX_DEPTH} deep (a damaged or "
                                           "crafted file)")
                stack.append(_Group(group.skip, group.hidden, group.uc, group.meta))
                if data.startswith(b"\\*", pos):    # an optional destination we do not know
                    stack[-1].skip = True
            elif len(stack) > 1:
                stack.pop()
            continue
        if word is not None:
            name = word.decode("ascii")
            if name == "bin":      # raw bytes: skip them, however many the file claims
                pos = min(size, pos + max(0, int(arg or 0)))
                continue
            if name == "u" and arg is not None:
                state.flush_bytes()
                if not group.skip and not group.hidden:
                    code = int(arg) % 65536
                    state.text.append(chr(code) if not 0xD800 <= code <= 0xDFFF else "\ufffd")
                skip_fallback = group.uc
                continue
            skip_fallback = 0
            _control(name, arg, state, group)
            continue
        if skip_fallback and (hexbyte is not None or text is not None):
            if text is not None and len(text) > skip_fallback:
                text = text[skip_fallback:]
                skip_fallback = 0
            else:
                skip_fallback -= 1 if hexbyte is not None else len(text or b"")
                skip_fallback = max(0, skip_fallback)
                continue
        if group.skip or group.hidden:
            continue
        if hexbyte is not None:
            byte = int(hexbyte, 16)
            if group.meta:
                state.meta[group.meta] = state.meta.get(group.meta, "") + bytes([byte]).decode(
                    state.codepage, errors="replace")
            else:
                state.pending.append(byte)
        elif symbol is not None:
            char = CONTROL_SYMBOLS.get(symbol.decode("latin-1"))
            if char is not None:
                state.flush_bytes()
                state.text.append(char)
        elif text is not None:
            decoded = text.decode(state.codepage, errors="replace")
            if group.meta:
                state.meta[group.meta] = state.meta.get(group.meta, "") + decoded
            else:
                state.flush_bytes()
                state.text.append(decoded)
    state.flush_bytes()
    if "".join(state.text).strip():
        state.end()
    return state.paragraphs, state.meta


def _control(name: str, arg: bytes | None, state: _State, group: _Group) -> None:
    """What one control word does to the text or the current group."""
    if name in SKIP:
        group.skip = True
    elif name in META:        # inside \info, which is skipped but for these
        group.meta, group.skip = name, False
    elif name == "info":
        group.skip = True
    elif name in ("v", "deleted"):
        group.hidden = arg != b"0"
    elif name == "plain":
        group.hidden = False
    elif name == "uc":
        group.uc = max(0, min(10, int(arg or 1)))
    elif name == "ansicpg":
        state.flush_bytes()
        state.codepage = _codec(arg)
    elif group.skip:
        return
    elif name in ("par", "sect", "page"):
        state.end()
    elif name == "cell" or name == "nestcell":
        state.end(cell=True)
    elif name == "row" or name == "nestrow":
        state.end(row=True)
    elif name == "intbl":
        state.in_table = True
    elif name == "pard":
        state.in_table = False
        state.heading = 0
    elif name == "outlinelevel":
        level = int(arg or 0)
        state.heading = level + 1 if 0 <= level < 9 else 0
    elif name in SYMBOLS and not group.hidden:
        state.flush_bytes()
        state.text.append(SYMBOLS[name])


def _codec(arg: bytes | None) -> str:
    name = f"cp{int(arg or 1252)}"
    try:
        codecs.lookup(name)
    except LookupError:
        return "cp1252"
    return name


def read_rtf(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    size = path.stat().st_size
    if size == 0:
        raise ExtractionFailed(EMPTY, "the file is empty (0 bytes)")
    if size > MAX_BYTES:
        raise ExtractionFailed(TOO_LARGE, f"refused: the RTF file is {size / 1e6:,.0f} MB, more "
                               "than rlm reads")
    data = path.read_bytes()
    if not data.lstrip()[:5] == b"{\\rtf":
        raise ExtractionFailed(CORRUPT, "not an RTF file: it does not start with {\\rtf (a "
                               "different kind of file with an .rtf name)")
    paragraphs, meta = parse_rtf(data)
    blocks = paragraph_blocks(paragraphs)
    if not blocks:
        raise ExtractionFailed(EMPTY, "the RTF file holds no text")
    return Extracted(type="rtf", pages=paragraph_pages(blocks),
                     title=usable_title(meta.get("title")), author=usable_title(meta.get("author")))
