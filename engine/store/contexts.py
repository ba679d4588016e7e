"""The REPL context of a selection of stored documents, written once and cached on disk.

The files are exactly what ``engine.context_format.build_context`` would produce
for the same documents (same header and page-marker lines, same offsets), but
streamed page by page from SQLite, so a library larger than memory still
works. They are cached under a key made from the selection's content, so a
second question over the same documents starts without writing anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.config import data_dir
from engine.context_format import ContextWriter, Page, PreparedContext
from engine.store.library import DocumentRecord, Library
from engine.store.pagekinds import PLACEHOLDERS

FORMAT_VERSION = 1
CONTEXT_NAME = "context.txt"          # the names engine/sandbox/context_file.py uses
DOCUMENTS_NAME = "documents.json"
# The same index for this process to read back: a cached question over 100,000 pages parses
# 100,000 page entries before its first model request, and pickle reads them three times
# faster than JSON. Read back with _PlainData, which refuses anything but lists, dicts,
# strings and numbers, so a tampered file can hold no code.
INDEX_NAME = "documents.pickle"
META_NAME = "meta.json"
MAX_CACHE_BYTES = 4 * 1024 * 1024 * 1024
MAX_CACHE_ENTRIES = 24
STALE_TEMP_S = 3600


def cache_dir() -> Path:
    return data_dir() / "contexts"


@dataclass(frozen=True)
class CachedContext(PreparedContext):
    """Context files on disk for one selection (``reused``: found in the cache)."""

    key: str
    reused: bool


def selection_key(docs: list[DocumentRecord]) -> str:
    """Changes whenever anything that ends up in the context does."""
    parts = [[d.id, d.title, d.path, d.type, d.content_hash, d.extractor] for d in docs]
    blob = json.dumps([FORMAT_VERSION, parts], ensure_ascii=False).encode("utf-8", "replace")
    return hashlib.sha256(blob).hexdigest()[:40]


def page_text(kind: str, text: str) -> str:
    """What the model sees for a page: its text, or why it has none."""
    return text or PLACEHOLDERS.get(kind, "")


def prepare_context(library: Library, docs: list[DocumentRecord],
                    directory: Path | None = None) -> CachedContext:
    """Context files for ``docs`` (each must have stored content), from the cache if there."""
    root = directory or cache_dir()
    key = selection_key(docs)
    final = root / key
    cached = _load(final, key)
    if cached is not None:
        return cached
    root.mkdir(parents=True, exist_ok=True)
    temp = root / f".tmp-{key}-{os.getpid()}-{time.monotonic_ns()}"
    temp.mkdir()
    try:
        chars, documents = _write(library, docs, temp)
        try:
            os.replace(temp, final)
        except OSError:  # another process wrote the same selection first: use theirs
            if _load(final, key) is None:   # ...or a damaged entry is in the way
                _remove(final)
                os.replace(temp, final)
    finally:
        if temp.exists():
            _remove(temp)
    _evict(root, keep=key)
    return CachedContext(final / CONTEXT_NAME, final / DOCUMENTS_NAME, chars, documents, key,
                         reused=False)


def _load(folder: Path, key: str) -> CachedContext | None:
    meta_path = folder / META_NAME
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not (folder / CONTEXT_NAME).is_file() or meta.get("format") != FORMAT_VERSION:
            return None
        documents = _read_index(folder)
        os.utime(meta_path)   # most recently used
    except (OSError, ValueError):
        return None
    return CachedContext(folder / CONTEXT_NAME, folder / DOCUMENTS_NAME, int(meta["chars"]),
                         documents, key, reused=True)


class _PlainData(pickle.Unpickler):
    """Lists, dicts, strings, numbers and None only: no class or function is ever looked up."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"not plain data: {module}.{name}")


def _read_index(folder: Path) -> list[dict[str, Any]]:
    """The documents' index: from its pickle when there (see INDEX_NAME), else its JSON."""
    try:
        with open(folder / INDEX_NAME, "rb") as fh:
            documents = _PlainData(fh).load()
        if isinstance(documents, list):
            return documents
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError,
            AttributeError, ImportError, IndexError):
        pass   # an older entry, or a damaged file: the JSON says the same
    with open(folder / DOCUMENTS_NAME, encoding="utf-8") as fh:
        loaded: list[dict[str, Any]] = json.load(fh)
    return loaded


def _write(library: Library, docs: list[DocumentRecord],
           folder: Path) -> tuple[int, list[dict[str, Any]]]:
    """Stream every page into context.txt, keeping ``build_context``'s format and offsets."""
    context_path = folder / CONTEXT_NAME
    # newline="" keeps offsets valid on Windows; "replace" keeps them one character each.
    with open(context_path, "w", encoding="utf-8", errors="replace", newline="") as out:
        writer = ContextWriter(out.write)
        for doc in docs:
            if doc.content_hash is None:
                raise ValueError(f"document {doc.id} has no stored text")
            pages = (Page(number=row["page"], text=page_text(row["kind"], row["text"]),
                          label=row["label"]) for row in library.pages(doc.content_hash))
            writer.add_document(doc.id, doc.title, doc.path, doc.type,
                                library.page_count(doc.content_hash), pages)
    offset, index = writer.offset, writer.index
    with open(folder / DOCUMENTS_NAME, "w", encoding="utf-8", errors="replace",
              newline="") as fh:
        json.dump(index, fh, ensure_ascii=False, separators=(",", ":"))
    with open(folder / INDEX_NAME, "wb") as fh:
        pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
    (folder / META_NAME).write_text(json.dumps({"format": FORMAT_VERSION, "chars": offset,
                                                "documents": len(docs),
                                                "created": time.time()}), encoding="utf-8")
    os.chmod(context_path, 0o444)
    return offset, index



def _remove(folder: Path) -> None:
    def writable(func: Any, path: str, _exc: Any) -> None:
        try:
            os.chmod(path, stat.S_IWRITE | stat.S_IREAD)
            func(path)
        except OSError:
            pass

    shutil.rmtree(folder, onerror=writable)


def _evict(root: Path, keep: str) -> None:
    """Keep the cache within its entry and byte budgets, dropping the least recently used."""
    entries = []
    now = time.time()
    for folder in root.iterdir():
        try:
            if folder.name.startswith(".tmp-"):
                if now - folder.stat().st_mtime > STALE_TEMP_S:
                    _remove(folder)
                continue
            used = (folder / META_NAME).stat().st_mtime
            size = sum(f.stat().st_size for f in folder.iterdir())
        except OSError:
            continue
        entries.append((folder.name == keep, used, size, folder))
    entries.sort(key=lambda e: (e[0], e[1]), reverse=True)
    total = 0
    for position, (is_kept, _, size, folder) in enumerate(entries):
        total += size
        if not is_kept and (position >= MAX_CACHE_ENTRIES or total > MAX_CACHE_BYTES):
            _remove(folder)   # a run still reading it keeps its open file (POSIX)
