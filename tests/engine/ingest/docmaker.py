"""Word 97 binary files made on the spot for tests: a minimal OLE compound file holding a
WordDocument stream (FIB, text pieces, FKP pages) and a 1Table stream (piece table, bin
tables), written from the MS-DOC and MS-CFB specifications."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

SECTOR = 512
END, FREE, FAT_SECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
TEXT_AT = 0x800
SPRM_IN_TABLE, SPRM_ROW_END, SPRM_DELETED = 0x2416, 0x2417, 0x0800


def write_ole(path: Path, streams: dict[str, bytes]) -> Path:
    """A version-3 compound file; each stream padded to 4096 bytes (no mini stream)."""
    data = {name: blob.ljust(max(4096, -(-len(blob) // SECTOR) * SECTOR), b"\0")
            for name, blob in streams.items()}
    entries = 1 + len(data)
    dir_sectors = -(-entries * 128 // SECTOR)
    stream_sectors = sum(len(b) // SECTOR for b in data.values())
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + dir_sectors + stream_sectors:
        fat_sectors += 1
    fat = [FAT_SECT] * fat_sectors
    chains: list[int] = []

    def chain(count: int) -> int:
        start = len(fat)
        fat.extend(range(start + 1, start + count))
        fat.append(END)
        chains.append(start)
        return start

    dir_start = chain(dir_sectors)
    starts = {name: chain(len(blob) // SECTOR) for name, blob in data.items()}
    fat.extend([FREE] * (fat_sectors * 128 - len(fat)))
    header = bytearray(SECTOR)
    struct.pack_into("<8s16sHHHHH6sIIIIIIIII", header, 0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
                     b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, fat_sectors, dir_start,
                     0, 4096, END, 0, END, 0)
    difat = list(range(fat_sectors)) + [FREE] * (109 - fat_sectors)
    struct.pack_into("<109I", header, 76, *difat)
    directory = bytearray()
    names = list(data)
    directory += _entry("Root Entry", 5, child=1 if names else FREE, start=END, size=0)
    for i, name in enumerate(names, start=1):
        right = i + 1 if i < len(names) else FREE
        directory += _entry(name, 2, right=right, start=starts[name], size=len(data[name]))
    directory = directory.ljust(dir_sectors * SECTOR, b"\0")
    for i in range(entries, dir_sectors * 4):   # unused entries
        struct.pack_into("<III", directory, i * 128 + 68, FREE, FREE, FREE)
    body = struct.pack(f"<{len(fat)}I", *fat) + bytes(directory) + b"".join(data.values())
    path.write_bytes(bytes(header) + body)
    return path


def _entry(name: str, kind: int, *, left: int = FREE, right: int = FREE, child: int = FREE,
           start: int, size: int) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return struct.pack("<64sHBBIII16sI8s8sIII", encoded, len(encoded), kind, 1, left, right,
                       child, b"\0" * 16, 0, b"\0" * 8, b"\0" * 8, start, size, 0)


@dataclass
class DocText:
    """What to write: the text of each story and the properties of ranges of it."""

    body: str
    footnotes: str = ""
    unicode_from: int | None = None         # characters from here on stored as UTF-16
    # paragraph mark index (in the whole text) -> sprms (b"" for none) and style istd
    marks: dict[int, tuple[int, bytes]] = field(default_factory=dict)
    deleted: list[tuple[int, int]] = field(default_factory=list)   # character index ranges
    encrypted: bool = False


def _sprm(sprm: int, operand: int = 1) -> bytes:
    return struct.pack("<HB", sprm, operand)


def make_doc(path: Path, doc: DocText) -> Path:
    """A .doc whose main text is ``doc.body`` (paragraphs end in \\r, cells in \\x07)."""
    text = doc.body + (doc.footnotes + "\r" if doc.footnotes else "")
    split = len(text) if doc.unicode_from is None else doc.unicode_from
    first, second = text[:split].encode("cp1252"), text[split:].encode("utf-16-le")
    second_at = TEXT_AT + len(first) + (len(first) % 2)
    fc = [TEXT_AT + i for i in range(split)] + \
        [second_at + 2 * i for i in range(len(text) - split)] + [second_at + len(second)]
    width = [1] * split + [2] * (len(text) - split)
    word = bytearray(TEXT_AT) + first + b"\0" * (len(first) % 2) + second
    word += b"\0" * (-len(word) % SECTOR)

    pieces = [(0, split, (TEXT_AT * 2) | 0x40000000)] if split else []
    if split < len(text):
        pieces.append((split, len(text), second_at))
    cps = [p[0] for p in pieces] + [len(text)]
    plc = struct.pack(f"<{len(cps)}I", *cps) + b"".join(
        struct.pack("<HIH", 0, p[2], 0) for p in pieces)
    table = bytearray(b"\x02" + struct.pack("<I", len(plc)) + plc)

    papx_runs = []   # (fc start, fc end, grpprl with istd)
    for mark, (istd, sprms) in sorted(doc.marks.items()):
        papx_runs.append((fc[mark], fc[mark] + width[mark], struct.pack("<H", istd) + sprms))
    chpx_runs = [(fc[a], fc[b - 1] + width[b - 1], _sprm(SPRM_DELETED)) for a, b in doc.deleted]
    plcs = {}
    for name, runs in (("papx", papx_runs), ("chpx", chpx_runs)):
        if not runs:
            continue
        pn = len(word) // SECTOR
        word += _fkp(runs, papx=name == "papx")
        plcs[name] = (len(table), struct.pack("<III", runs[0][0], runs[-1][1], pn))
        table += plcs[name][1]

    pairs = [(0, 0)] * 93
    pairs[33] = (0, 1 + 4 + len(plc))
    if "chpx" in plcs:
        pairs[12] = (plcs["chpx"][0], len(plcs["chpx"][1]))
    if "papx" in plcs:
        pairs[13] = (plcs["papx"][0], len(plcs["papx"][1]))
    lw = [0] * 22
    lw[3] = len(doc.body)
    lw[4] = len(doc.footnotes)
    flags = 0x0200 | (0x0100 if doc.encrypted else 0)
    fib = struct.pack("<HHHHHH", 0xA5EC, 0xC1, 0, 0x409, 0, flags).ljust(32, b"\0")
    fib += struct.pack("<H", 14) + b"\0" * 28 + struct.pack("<H", 22)
    fib += struct.pack("<22I", *lw) + struct.pack("<H", 93)
    fib += b"".join(struct.pack("<II", *p) for p in pairs) + struct.pack("<H", 0)
    word[:len(fib)] = fib
    return write_ole(path, {"WordDocument": bytes(word), "1Table": bytes(table)})


def _fkp(runs: list[tuple[int, int, bytes]], *, papx: bool) -> bytes:
    """One FKP page covering ``runs`` (with property-less runs filling the gaps)."""
    filled: list[tuple[int, int, bytes | None]] = []
    for start, end, grpprl in runs:
        if filled and filled[-1][1] < start:
            filled.append((filled[-1][1], start, None))
        filled.append((start, end, grpprl))
    page = bytearray(SECTOR)
    crun = len(filled)
    struct.pack_into(f"<{crun + 1}I", page, 0, *[r[0] for r in filled], filled[-1][1])
    entry = 13 if papx else 1
    free = 510
    for i, (_, _, grpprl) in enumerate(filled):
        if grpprl is None:
            continue
        if papx:   # cb = 0, then the grpprl's length in words
            even = grpprl + b"\0" * (len(grpprl) % 2)
            blob = bytes([0, len(even) // 2]) + even
        else:
            blob = bytes([len(grpprl)]) + grpprl
        free = (free - len(blob)) & ~1
        page[free:free + len(blob)] = blob
        page[4 * (crun + 1) + entry * i] = free // 2
    page[511] = crun
    return bytes(page)
