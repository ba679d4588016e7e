"""Word 97–2003 binary text (MS-DOC): the FIB, the piece table (CLX) in the table stream,
paragraph and character properties from their FKP pages; fields show their results,
deleted revisions are left out, tables come out as rows of cells."""

from __future__ import annotations

import bisect
import re
import struct
from dataclasses import dataclass

from engine.ingest.model import CORRUPT, ExtractionFailed
from engine.ingest.readers.paragraphs import Paragraph

WORD97_IDENT = 0xA5EC
WORD95_IDENT = 0xA5DC
F_COMPLEX = 0x0004
F_ENCRYPTED = 0x0100
F_WHICH_TABLE = 0x0200
F_OBFUSCATED = 0x8000
MAX_PIECES = 1_000_000
MAX_FKP_PAGES = 200_000

# fibRgFcLcb97 pair indexes (MS-DOC 2.5.6) and fibRgLw97 indexes (2.5.5).
FC_PLCF_BTE_CHPX, FC_PLCF_BTE_PAPX, FC_CLX = 12, 13, 33
LW_CCP_TEXT = 3        # then ccpFtn, ccpHdd, reserved (macros), ccpAtn, ccpEdn, ccpTxbx, ...

SPRM_DELETED = 0x0800            # sprmCFRMarkDel
SPRM_IN_TABLE = (0x2416,)        # sprmPFInTable
SPRM_ROW_END = (0x2417, 0x244C)  # sprmPFTtp, sprmPFInnerTtp
SPRM_ITAP = 0x6649               # sprmPItap: table depth
SPRM_OUTLINE = 0x2640            # sprmPOutLvl
SPRM_TDEF_TABLE = 0xD608
_OPERAND_SIZE = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}
_TERMINATORS = re.compile("[\r\x07\x0c]")
_FIELD_MARKS = re.compile("[\x13\x14\x15]")


class NotWord97(Exception):
    """The stream is a Word 6.0/95 (or older) document, whose layout differs."""


@dataclass(frozen=True)
class Piece:
    cp_start: int
    cp_end: int
    fc: int              # byte offset of the first character in the WordDocument stream
    compressed: bool     # one cp1252 byte per character (else UTF-16LE)

    def fc_of(self, cp: int) -> int:
        return self.fc + (cp - self.cp_start) * (1 if self.compressed else 2)


def u16(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<H", data, offset)[0])


def u32(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<I", data, offset)[0])


@dataclass
class Fib:
    """What the File Information Block says about where everything is."""

    flags: int
    stories: list[int]               # ccpText, ccpFtn, ccpHdd, ccpMcr, ccpAtn, ccpEdn, ccpTxbx, ...
    pairs: list[tuple[int, int]]     # (fc, lcb) in the table stream

    @property
    def encrypted(self) -> bool:
        return bool(self.flags & (F_ENCRYPTED | F_OBFUSCATED))

    @property
    def table_stream(self) -> str:
        return "1Table" if self.flags & F_WHICH_TABLE else "0Table"

    def pair(self, index: int) -> tuple[int, int]:
        return self.pairs[index] if index < len(self.pairs) else (0, 0)

    @classmethod
    def parse(cls, word: bytes) -> Fib:
        if len(word) < 34:
            raise ExtractionFailed(CORRUPT, "not a readable Word file: its header is cut short")
        ident, flags = u16(word, 0), u16(word, 0x0A)
        if ident == WORD95_IDENT:
            raise NotWord97()
        if ident != WORD97_IDENT:
            raise ExtractionFailed(CORRUPT, "not a readable Word file: its header is not a "
                                   "Word header (damaged file)")
        if flags & (F_ENCRYPTED | F_OBFUSCATED):   # the rest of the header is scrambled
            return cls(flags, [], [])
        try:
            offset = 32
            csw = u16(word, offset)
            offset += 2 + csw * 2
            cslw = u16(word, offset)
            lw = [u32(word, offset + 2 + 4 * i) for i in range(cslw)]
            offset += 2 + cslw * 4
            count = u16(word, offset)
            pairs = [(u32(word, offset + 2 + 8 * i), u32(word, offset + 6 + 8 * i))
                     for i in range(count)]
        except struct.error as exc:
            raise ExtractionFailed(CORRUPT, "not a readable Word file: its header is cut "
                                   "short") from exc
        return cls(flags, lw[LW_CCP_TEXT:LW_CCP_TEXT + 8], pairs)


def read_pieces(table: bytes, fib: Fib, word_size: int) -> list[Piece]:
    """The piece table: which runs of character positions sit where, in which encoding."""
    fc, lcb = fib.pair(FC_CLX)
    if not lcb or fc + lcb > len(table):
        raise ExtractionFailed(CORRUPT, "not a readable Word file: its piece table is missing "
                               "(damaged file)")
    clx, pos = table[fc:fc + lcb], 0
    while pos < len(clx) and clx[pos] == 0x01:          # Prc: property modifiers, skipped
        if pos + 3 > len(clx):
            break
        pos += 3 + u16(clx, pos + 1)
    if pos + 5 > len(clx) or clx[pos] != 0x02:
        raise ExtractionFailed(CORRUPT, "not a readable Word file: its piece table is damaged")
    size = min(u32(clx, pos + 1), len(clx) - pos - 5)
    plc = clx[pos + 5:pos + 5 + size]
    count = (len(plc) - 4) // 12
    if count <= 0 or count > MAX_PIECES:
        raise ExtractionFailed(CORRUPT, "not a readable Word file: its piece table is damaged")
    cps = struct.unpack_from(f"<{count + 1}I", plc, 0)
    pieces = []
    total = 0
    for i in range(count):
        raw = u32(plc, 4 * (count + 1) + 8 * i + 2)
        compressed = bool(raw & 0x40000000)
        start = (raw & 0x3FFFFFFF) // 2 if compressed else raw & 0x3FFFFFFF
        piece = Piece(cps[i], cps[i + 1], start, compressed)
        if piece.cp_end <= piece.cp_start or piece.fc_of(piece.cp_end) > word_size:
            continue   # an empty or impossible piece: its text is not in the file
        total += piece.fc_of(piece.cp_end) - piece.fc
        if total > word_size:   # pieces that reuse the same bytes over and over: crafted
            raise ExtractionFailed(CORRUPT, "not a readable Word file: its piece table "
                                   "claims more text than the file holds (damaged or "
                                   "crafted file)")
        pieces.append(piece)
    if not pieces:
        raise ExtractionFailed(CORRUPT, "not a readable Word file: its piece table points "
                               "outside the file (damaged file)")
    return pieces


def piece_text(word: bytes, piece: Piece) -> str:
    length = piece.cp_end - piece.cp_start
    if piece.compressed:
        return word[piece.fc:piece.fc + length].decode("cp1252", errors="replace")
    return word[piece.fc:piece.fc + 2 * length].decode("utf-16-le", errors="replace")


def _sprms(grpprl: bytes) -> list[tuple[int, bytes]]:
    """The (sprm, operand) pairs of a property list; stops at the first malformed one."""
    out, pos = [], 0
    while pos + 2 <= len(grpprl):
        sprm = u16(grpprl, pos)
        pos += 2
        spra = sprm >> 13
        if spra == 6:
            if sprm == SPRM_TDEF_TABLE:
                if pos + 2 > len(grpprl):
                    break
                size, pos = u16(grpprl, pos) - 1, pos + 2
            else:
                if pos >= len(grpprl):
                    break
                size, pos = grpprl[pos], pos + 1
        else:
            size = _OPERAND_SIZE[spra]
        if size < 0 or pos + size > len(grpprl):
            break
        out.append((sprm, grpprl[pos:pos + size]))
        pos += size
    return out


def _fkp_pages(table: bytes, word: bytes, fib: Fib, index: int) -> list[bytes]:
    fc, lcb = fib.pair(index)
    if lcb < 12 or fc + lcb > len(table):
        return []
    count = min((lcb - 4) // 8, MAX_FKP_PAGES)
    pages = []
    for i in range(count):
        pn = u32(table, fc + 4 * (count + 1) + 4 * i) & 0x3FFFFF
        page = word[pn * 512:pn * 512 + 512]
        if len(page) == 512 and 1 <= page[511] <= 0x65:
            pages.append(page)
    return pages


@dataclass
class ParagraphProps:
    heading: int = 0
    in_table: bool = False
    row_end: bool = False


@dataclass
class ParagraphRuns:
    """Paragraph properties by byte offset of the WordDocument stream."""

    starts: list[int]
    ends: list[int]
    props: list[ParagraphProps]

    def at(self, fc: int) -> ParagraphProps:
        i = bisect.bisect_right(self.starts, fc) - 1
        return self.props[i] if i >= 0 and fc < self.ends[i] else ParagraphProps()


def paragraph_runs(table: bytes, word: bytes, fib: Fib) -> ParagraphRuns:
    """What each run of paragraphs says (style heading, table cell, row end)."""
    runs: dict[int, tuple[int, ParagraphProps]] = {}
    for page in _fkp_pages(table, word, fib, FC_PLCF_BTE_PAPX):
        crun = page[511]
        for i in range(crun):
            start = u32(page, 4 * i)
            offset = page[4 * (crun + 1) + 13 * i] * 2
            props = ParagraphProps()
            if offset and offset < 511:
                cb = page[offset]
                if cb:
                    grpprl = page[offset + 1:offset + 2 * cb]
                else:
                    grpprl = page[offset + 2:offset + 2 + 2 * page[offset + 1]]
                if len(grpprl) >= 2:
                    istd = u16(grpprl, 0)
                    props.heading = istd if 1 <= istd <= 9 else 0
                    for sprm, operand in _sprms(grpprl[2:]):
                        if (sprm in SPRM_IN_TABLE and operand[:1] != b"\x00") or \
                                (sprm == SPRM_ITAP and len(operand) >= 4 and u32(operand, 0)):
                            props.in_table = True
                        elif sprm in SPRM_ROW_END and operand[:1] != b"\x00":
                            props.row_end = True
                        elif sprm == SPRM_OUTLINE and operand and operand[0] < 9:
                            props.heading = operand[0] + 1
            runs[start] = (u32(page, 4 * (i + 1)), props)
    starts = sorted(runs)
    return ParagraphRuns(starts, [runs[s][0] for s in starts], [runs[s][1] for s in starts])


def deleted_runs(table: bytes, word: bytes, fib: Fib) -> list[tuple[int, int]]:
    """Byte ranges of the WordDocument stream whose characters are deleted revisions."""
    out = []
    for page in _fkp_pages(table, word, fib, FC_PLCF_BTE_CHPX):
        crun = page[511]
        for i in range(crun):
            offset = page[4 * (crun + 1) + i] * 2
            if not offset or offset >= 511:
                continue
            grpprl = page[offset + 1:offset + 1 + page[offset]]
            if any(sprm == SPRM_DELETED and operand[:1] in (b"\x01", b"\x81")
                   for sprm, operand in _sprms(grpprl)):
                out.append((u32(page, 4 * i), u32(page, 4 * (i + 1))))
    return sorted(out)


class Story:
    """The text between two character positions, with where each character came from."""

    def __init__(self, word: bytes, pieces: list[Piece], start: int, end: int) -> None:
        self.parts: list[tuple[int, Piece, str]] = []    # (cp where the text starts, piece, text)
        for piece in pieces:
            lo, hi = max(start, piece.cp_start), min(end, piece.cp_end)
            if lo < hi:
                text = piece_text(word, piece)[lo - piece.cp_start:hi - piece.cp_start]
                self.parts.append((lo, piece, text))
        self.text = "".join(t for _, _, t in self.parts)
        self.offsets = []
        total = 0
        for _, _, text in self.parts:
            self.offsets.append(total)
            total += len(text)

    def fc_at(self, index: int) -> int | None:
        """The stream byte offset of the character at ``index`` of ``text``."""
        i = bisect.bisect_right(self.offsets, index) - 1
        if i < 0:
            return None
        cp, piece, _ = self.parts[i]
        return piece.fc_of(cp + index - self.offsets[i])

    def hidden(self, deleted: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Index ranges of ``text`` not to show: deleted revisions, field codes and marks."""
        out: list[tuple[int, int]] = []
        if deleted:
            starts = [d[0] for d in deleted]
            for (cp, piece, text), base in zip(self.parts, self.offsets, strict=True):
                width = 1 if piece.compressed else 2
                lo = piece.fc_of(cp)
                hi = lo + len(text) * width
                j = max(0, bisect.bisect_right(starts, lo) - 1)
                while j < len(deleted) and deleted[j][0] < hi:
                    a, b = max(lo, deleted[j][0]), min(hi, deleted[j][1])
                    if a < b:
                        out.append((base + (a - lo) // width, base + (b - lo + width - 1) // width))
                    j += 1
        stack: list[list[int]] = []     # per open field: [begin index, separator index or -1]
        for mark in _FIELD_MARKS.finditer(self.text):
            at, char = mark.start(), mark.group()
            if char == "\x13":
                stack.append([at, -1])
            elif char == "\x14" and stack:
                stack[-1][1] = at
            elif char == "\x15" and stack:
                begin, separator = stack.pop()
                if separator < 0:    # no result shown: the whole field is its code
                    out.append((begin, at + 1))
                else:
                    out.append((begin, separator + 1))
                    out.append((at, at + 1))
            else:
                out.append((at, at + 1))
        return sorted(out)


def story_paragraphs(story: Story, deleted: list[tuple[int, int]],
                     runs: ParagraphRuns) -> list[Paragraph]:
    """The story's visible paragraphs and cells, each with its paragraph properties."""
    kept: list[tuple[int, int]] = []
    pos = 0
    for a, b in story.hidden(deleted):
        if a > pos:
            kept.append((pos, a))
        pos = max(pos, b)
    if pos < len(story.text):
        kept.append((pos, len(story.text)))
    paragraphs: list[Paragraph] = []
    buffer: list[str] = []
    for a, b in kept:
        segment = story.text[a:b]
        last = 0
        for found in _TERMINATORS.finditer(segment):
            buffer.append(segment[last:found.start()])
            last = found.end()
            text = _visible("".join(buffer))
            buffer.clear()
            fc = story.fc_at(a + found.start())
            prop = runs.at(fc) if fc is not None else ParagraphProps()
            char = found.group()
            paragraphs.append(Paragraph(text, prop.heading, prop.in_table or char == "\x07",
                                        cell_end=char == "\x07" and not prop.row_end,
                                        row_end=char == "\x07" and prop.row_end))
        buffer.append(segment[last:])
    tail = _visible("".join(buffer))
    if tail.strip():
        paragraphs.append(Paragraph(tail))
    return paragraphs


def _visible(text: str) -> str:
    return text.replace("\x0b", "\n").replace("\x1e", "-").replace("\x1f", "") \
        .replace("\x02", "")


def word95_text(word: bytes, flags: int) -> str:
    """A Word 6.0/95 document saved without fast-save: its text is one cp1252 run."""
    if flags & F_COMPLEX:
        raise ExtractionFailed(CORRUPT, "this Word 6.0/95 file was fast-saved, a layout rlm "
                               "does not read; open it in Word or LibreOffice and save it as "
                               ".docx")
    start, end = u32(word, 0x18), u32(word, 0x1C)
    if not 0 < start < end <= len(word):
        raise ExtractionFailed(CORRUPT, "not a readable Word file: its text range is damaged")
    return word[start:end].decode("cp1252", errors="replace")
