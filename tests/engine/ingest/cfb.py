"""A small writer of OLE compound files (version 3, [MS-CFB]) for test fixtures: Outlook
.msg files are such containers, and no maintained library writes them."""

from __future__ import annotations

import itertools
import struct
from typing import Union

Tree = dict[str, Union[bytes, "Tree"]]

SECTOR, MINI, CUTOFF = 512, 64, 4096
FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF


def write_cfb(tree: Tree) -> bytes:
    """The bytes of a compound file holding ``tree`` (name -> stream bytes or storage)."""
    entries: list[dict[str, object]] = [{"name": "Root Entry", "type": 5, "data": b""}]

    def add(children: Tree) -> int:
        ordered = sorted(children, key=lambda n: (len(n), n.upper()))
        ids = []
        for name in ordered:
            value = children[name]
            index = len(entries)
            entry: dict[str, object] = {"name": name}
            entries.append(entry)
            if isinstance(value, dict):
                entry.update(type=1, data=b"", child=add(value))
            else:
                entry.update(type=2, data=value)
            ids.append(index)
        for this, following in itertools.pairwise(ids):
            entries[this]["right"] = following
        return ids[0] if ids else NOSTREAM

    entries[0]["child"] = add(tree)
    mini = bytearray()
    minifat: list[int] = []
    big: list[tuple[dict[str, object], bytes]] = []
    for entry in entries[1:]:
        data = entry["data"]
        assert isinstance(data, bytes)
        if entry["type"] != 2:
            continue
        if len(data) < CUTOFF:
            if not data:
                entry["start"] = END
                continue
            count = -(-len(data) // MINI)
            first = len(minifat)
            minifat.extend(range(first + 1, first + count))
            minifat.append(END)
            entry["start"] = first
            mini.extend(data.ljust(count * MINI, b"\0"))
        else:
            big.append((entry, data))
    sectors: list[bytes] = []
    fat: list[int] = []

    def chain(data: bytes) -> int:
        count = max(1, -(-len(data) // SECTOR))
        first = len(sectors)
        for i in range(count):
            sectors.append(data[i * SECTOR:(i + 1) * SECTOR].ljust(SECTOR, b"\0"))
            fat.append(first + i + 1 if i + 1 < count else END)
        return first

    for entry, data in big:
        entry["start"] = chain(data)
    entries[0]["start"] = chain(bytes(mini)) if mini else END
    entries[0]["data"] = bytes(mini)
    minifat_start = chain(b"".join(struct.pack("<I", v) for v in minifat)) if minifat else END
    minifat_sectors = -(-len(minifat) * 4 // SECTOR)
    directory = b"".join(_entry(e) for e in entries)
    directory = directory.ljust(-(-len(directory) // SECTOR) * SECTOR, b"\0")
    dir_start = chain(directory)
    fat_count = 1
    while (len(sectors) + fat_count) > fat_count * (SECTOR // 4):
        fat_count += 1
    fat_first = len(sectors)
    fat.extend([FATSECT] * fat_count)
    fat.extend([FREE] * (fat_count * (SECTOR // 4) - len(fat)))
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    for i in range(fat_count):
        sectors.append(fat_bytes[i * SECTOR:(i + 1) * SECTOR])
    assert fat_count <= 109
    difat = [fat_first + i for i in range(fat_count)] + [FREE] * (109 - fat_count)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, fat_count, dir_start, 0, CUTOFF, minifat_start,
                            minifat_sectors, END, 0)
              + b"".join(struct.pack("<I", v) for v in difat))
    assert len(header) == SECTOR
    return header + b"".join(sectors)


def _entry(entry: dict[str, object]) -> bytes:
    name = str(entry["name"]).encode("utf-16-le") + b"\0\0"
    data = entry.get("data", b"")
    assert isinstance(data, bytes)
    size = len(data) if entry["type"] in (2, 5) else 0
    return (name.ljust(64, b"\0") + struct.pack("<HBB", len(name), entry["type"], 1)
            + struct.pack("<III", NOSTREAM, entry.get("right", NOSTREAM),
                          entry.get("child", NOSTREAM))
            + b"\0" * 16 + struct.pack("<IQQ", 0, 0, 0)
            + struct.pack("<IQ", entry.get("start", END) if size or entry["type"] == 5
                          else END, size))
