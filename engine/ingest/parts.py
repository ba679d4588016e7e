"""Documents read from inside a file (an e-mail's attachments, a mailbox's messages): their
virtual paths "<file>#<name>", and which stored documents are parts of which file.

A part is stored as a document of its own (``Extracted.parts``, ``model.Part``), so it is
listed, selected, reviewed and cited like any file; its path ties it to the file it came
from. It has the file's size and modification time: it changes when the file does, is
missing when the file is, and is forgotten when the file is read again without it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from engine.ingest.formats import format_of
from engine.store.library import FileRef

SEPARATOR = b"#"


def part_ref(parent: FileRef, name: str) -> FileRef:
    """The virtual file of a part: the parent's path with "#name" added."""
    key = parent.key + SEPARATOR + os.fsencode(name)
    return FileRef(Path(os.fsdecode(key)), parent.size, parent.mtime_ns)


def holds_parts(key: bytes) -> bool:
    """Whether a file at this path is of a format whose documents hold parts."""
    fmt = format_of(Path(os.fsdecode(key)))
    return fmt is not None and fmt.parts


def parent_of(key: bytes, files: Iterable[bytes] | set[bytes]) -> bytes | None:
    """The file among ``files`` that the document at ``key`` is a part of, if any (the
    shortest such path: a part of a part belongs to the file at the top)."""
    found = files if isinstance(files, set) else set(files)
    start = 0
    while (at := key.find(SEPARATOR, start)) > 0:
        if key[:at] in found and holds_parts(key[:at]):
            return key[:at]
        start = at + 1
    return None


def index_parts(keys: Iterable[bytes]) -> dict[bytes, list[bytes]]:
    """Each file's stored parts, from the keys of a collection's documents, in order."""
    every = set(keys)
    index: dict[bytes, list[bytes]] = {}
    for key in sorted(every):
        if SEPARATOR in key and (parent := parent_of(key, every)) is not None:
            index.setdefault(parent, []).append(key)
    return index
