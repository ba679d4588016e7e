"""The library: collections of documents, their extracted pages, and the queries the CLI and
GUI need. Every document is written in one transaction, so a kill leaves no half of one."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from engine import secrets
from engine.errors import ConfigError
from engine.store.db import connect, now, transaction

OK, WARNING, FAILED, MISSING = "ok", "warning", "failed", "missing"
DEFAULT_COLLECTION = "default"
MAX_COLLECTION_NAME = 100



class ExtractedLike(Protocol):
    """What an extractor hands the store (``engine.ingest.model.Extracted``)."""

    type: str
    title: str | None
    author: str | None
    warnings: list[str]

    @property
    def pages(self) -> list[Any]: ...

    @property
    def chars(self) -> int: ...


def estimate_tokens(chars: int) -> int:
    """About four characters a token, as the run's first message also estimates."""
    return (chars + 3) // 4


def display_path(path: Path | str) -> str:
    """A path as printable text, whatever bytes its name holds (newlines shown as \\n)."""
    text = os.fsencode(path).decode("utf-8", errors="backslashreplace")
    return text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def path_key(path: Path | str) -> bytes:
    return os.fsencode(path)


def path_fields(key: bytes) -> dict[str, str]:
    """A stored path for JSON: ``path`` the real one (a newline stays a newline; a byte that
    is not UTF-8 becomes Python's lone-surrogate escape, as ``os.fsdecode`` gives it, so
    ``os.fsencode`` turns it back into the same bytes), ``display_path`` a printable form
    for people, and ``path_base64`` the exact bytes when they are not UTF-8, for readers
    other than Python."""
    fields = {"path": os.fsdecode(key), "display_path": display_path(os.fsdecode(key))}
    try:
        key.decode("utf-8")
    except UnicodeDecodeError:
        fields["path_base64"] = base64.b64encode(key).decode("ascii")
    return fields


@dataclass(frozen=True)
class FileRef:
    """A file as found on disk: its path, how it prints, and what stat said about it."""

    path: Path
    size: int
    mtime_ns: int

    @cached_property
    def key(self) -> bytes:
        return path_key(self.path)

    @cached_property
    def display(self) -> str:
        return display_path(self.path)


@dataclass
class DocumentRecord:
    id: int
    collection: str
    path: str
    path_key: bytes
    content_hash: str | None
    size: int
    mtime_ns: int
    type: str
    title: str
    pages: int
    chars: int
    tokens: int
    status: str
    error: str | None
    error_kind: str | None
    added_at: str
    updated_at: str
    extractor: str | None = None

    @property
    def fs_path(self) -> Path:
        return Path(os.fsdecode(self.path_key))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "collection": self.collection, **path_fields(self.path_key),
                "title": self.title, "type": self.type, "pages": self.pages,
                "chars": self.chars, "tokens": self.tokens, "status": self.status,
                "error": self.error, "error_kind": self.error_kind, "size": self.size,
                "hash": self.content_hash, "updated_at": self.updated_at}


_DOC_COLUMNS = ("d.id, c.name AS collection, d.path, d.path_key, d.content_hash, d.size, "
                "d.mtime_ns, d.type, d.title, d.pages, d.chars, d.tokens, d.status, d.error, "
                "d.error_kind, d.added_at, d.updated_at, t.extractor")
_DOC_FROM = ("documents d JOIN collections c ON c.id = d.collection_id "
             "LEFT JOIN contents t ON t.hash = d.content_hash")


def _record(row: sqlite3.Row) -> DocumentRecord:
    return DocumentRecord(**dict(zip(row.keys(), row, strict=True)))


def check_collection_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_COLLECTION_NAME or any(ord(ch) < 32 for ch in name):
        raise ConfigError(f"{name!r} is not a usable collection name: use 1 to "
                          f"{MAX_COLLECTION_NAME} printable characters")
    return name


class Library:
    """The document store; one per process is plenty (SQLite handles other processes)."""

    def __init__(self, path: Path | None = None) -> None:
        self.conn = connect(path)
        self._passwords_to_forget: list[str] = []
        self.path = Path(self.conn.execute("PRAGMA database_list").fetchone()["file"])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- collections ------------------------------------------------------------------

    def collection_id(self, name: str, create: bool = False) -> int | None:
        name = check_collection_name(name)
        row = self.conn.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        if row is not None:
            return int(row["id"])
        if not create:
            return None
        with transaction(self.conn):
            self.conn.execute("INSERT OR IGNORE INTO collections (name, created_at) VALUES (?, ?)",
                              (name, now()))
        row = self.conn.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        return int(row["id"])

    def require_collection(self, name: str) -> int:
        found = self.collection_id(name)
        if found is None:
            names = [c["name"] for c in self.collections()]
            known = f"; the collections are: {', '.join(names)}" if names else ""
            raise ConfigError(f"no collection named {name!r} in the document store{known}. "
                              f"Add files with: rlm ingest PATH --collection {name}")
        return found

    def collections(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT c.name, c.created_at, COUNT(d.id) AS documents, "
            "COALESCE(SUM(d.status IN ('ok', 'warning')), 0) AS readable, "
            "COALESCE(SUM(d.status = 'failed'), 0) AS failed, "
            "COALESCE(SUM(d.status = 'missing'), 0) AS missing, "
            "COALESCE(SUM(d.pages), 0) AS pages, COALESCE(SUM(d.tokens), 0) AS tokens "
            "FROM collections c LEFT JOIN documents d ON d.collection_id = c.id "
            "GROUP BY c.id ORDER BY c.name")
        return [dict(row) for row in rows]

    # --- documents --------------------------------------------------------------------

    def documents(self, collection: str | None = None, ids: list[int] | None = None,
                  status: str | None = None) -> list[DocumentRecord]:
        where: list[str] = []
        params: list[Any] = []
        if collection is not None:
            where.append("d.collection_id = ?")
            params.append(self.require_collection(collection))
        if status is not None:
            where.append("d.status = ?")
            params.append(status)
        sql = f"SELECT {_DOC_COLUMNS} FROM {_DOC_FROM}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if ids is not None:
            order = {doc_id: i for i, doc_id in enumerate(ids)}
            found = [_record(r) for r in self.conn.execute(sql, params)]
            chosen = [d for d in found if d.id in order]
            return sorted(chosen, key=lambda d: order[d.id])
        sql += " ORDER BY c.name, d.path"
        return [_record(r) for r in self.conn.execute(sql, params)]

    def known(self, collection_id: int) -> dict[bytes, DocumentRecord]:
        """Every document of a collection by path bytes (one query: planning stays fast)."""
        rows = self.conn.execute(f"SELECT {_DOC_COLUMNS} FROM {_DOC_FROM} "
                                 "WHERE d.collection_id = ?", (collection_id,))
        return {bytes(r["path_key"]): _record(r) for r in rows}

    def content_extractor(self, content_hash: str) -> str | None:
        row = self.conn.execute("SELECT extractor FROM contents WHERE hash = ?",
                                (content_hash,)).fetchone()
        return None if row is None else str(row["extractor"])

    def save_extracted(self, collection_id: int, file: FileRef, content_hash: str,
                       extracted: ExtractedLike, extractor: str) -> DocumentRecord:
        """Store a freshly read document (its pages once per content) in one transaction."""
        pages = extracted.pages
        chars = extracted.chars
        warnings = list(extracted.warnings)
        if chars == 0 and not warnings:
            warnings.append("no text was found in this file")
        values = (extracted.type, extracted.title, extracted.author, len(pages), chars,
                  estimate_tokens(chars), json.dumps(warnings), extractor)
        with transaction(self.conn):
            current = self.content_extractor(content_hash)
            if current is not None and current != extractor:   # read again by a newer reader
                self.conn.execute("DELETE FROM pages WHERE content_hash = ?", (content_hash,))
                self.conn.execute("UPDATE contents SET type = ?, title = ?, author = ?, "
                                  "pages = ?, chars = ?, tokens = ?, warnings = ?, "
                                  "extractor = ? WHERE hash = ?", (*values, content_hash))
                inserted = 1
            else:
                inserted = self.conn.execute(
                    "INSERT OR IGNORE INTO contents (hash, type, title, author, pages, chars, "
                    "tokens, warnings, extractor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?)", (content_hash, *values, now())).rowcount
            if inserted:
                offset = 0
                rows = []
                for page in pages:
                    rows.append((content_hash, page.number, page.label, page.kind, offset,
                                 offset + len(page.text), page.text))
                    offset += len(page.text)
                self.conn.executemany(
                    "INSERT INTO pages (content_hash, page, label, kind, start, end, text) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            return self._upsert(collection_id, file, content_hash)

    def link_content(self, collection_id: int, file: FileRef,
                     content_hash: str) -> DocumentRecord:
        """A file whose content is already stored (a copy, or a file renamed): no extraction."""
        with transaction(self.conn):
            return self._upsert(collection_id, file, content_hash)

    def _upsert(self, collection_id: int, file: FileRef, content_hash: str) -> DocumentRecord:
        content = self.conn.execute("SELECT * FROM contents WHERE hash = ?",
                                    (content_hash,)).fetchone()
        warnings = json.loads(content["warnings"] or "[]")
        status = WARNING if warnings else OK
        title = content["title"] or display_path(file.path.name) or file.display
        return self._write_document(
            collection_id, file, content_hash=content_hash, type=content["type"],
            title=title, pages=content["pages"], chars=content["chars"],
            tokens=content["tokens"], status=status,
            error="; ".join(warnings) if warnings else None, error_kind=None)

    def save_failure(self, collection_id: int, file: FileRef, kind: str, reason: str,
                     doc_type: str) -> DocumentRecord:
        with transaction(self.conn):
            return self._write_document(collection_id, file, content_hash=None, type=doc_type,
                                        title=display_path(file.path.name), pages=0, chars=0,
                                        tokens=0, status=FAILED, error=reason, error_kind=kind)

    def _write_document(self, collection_id: int, file: FileRef, **values: Any) -> DocumentRecord:
        stamp = now()
        old = self.conn.execute("SELECT id, content_hash FROM documents WHERE collection_id = ? "
                                "AND path_key = ?", (collection_id, file.key)).fetchone()
        fields = {"path": file.display, "size": file.size, "mtime_ns": file.mtime_ns,
                  "updated_at": stamp, **values}
        if old is None:
            fields.update(collection_id=collection_id, path_key=file.key, added_at=stamp)
            names = ", ".join(fields)
            marks = ", ".join("?" for _ in fields)
            doc_id = self.conn.execute(f"INSERT INTO documents ({names}) VALUES ({marks})",
                                       list(fields.values())).lastrowid
        else:
            doc_id = old["id"]
            sets = ", ".join(f"{name} = ?" for name in fields)
            self.conn.execute(f"UPDATE documents SET {sets} WHERE id = ?",
                              [*fields.values(), doc_id])
            if old["content_hash"] and old["content_hash"] != values.get("content_hash"):
                self._drop_if_orphan(old["content_hash"])
        row = self.conn.execute(f"SELECT {_DOC_COLUMNS} FROM {_DOC_FROM} WHERE d.id = ?",
                                (doc_id,)).fetchone()
        return _record(row)

    def _drop_if_orphan(self, content_hash: str) -> None:
        kept = self.conn.execute("SELECT password_kept FROM contents WHERE hash = ?",
                                 (content_hash,)).fetchone()
        dropped = self.conn.execute("DELETE FROM contents WHERE hash = ? AND NOT EXISTS "
                                    "(SELECT 1 FROM documents WHERE content_hash = ?)",
                                    (content_hash, content_hash)).rowcount
        if dropped and kept is not None and kept["password_kept"]:
            self._passwords_to_forget.append(content_hash)

    def mark_password_kept(self, content_hash: str) -> None:
        """The keyring keeps this content's PDF password: forget it when the content goes."""
        with transaction(self.conn):
            self.conn.execute("UPDATE contents SET password_kept = 1 WHERE hash = ?",
                              (content_hash,))

    def _forget_passwords(self) -> None:
        """After a removal is committed: the kept passwords of contents no document uses."""
        while self._passwords_to_forget:
            secrets.forget_pdf_password(self._passwords_to_forget.pop())

    def touch(self, doc_id: int, file: FileRef) -> None:
        """Same content, new modification time (a copy or `touch`): remember the new stat."""
        with transaction(self.conn):
            self.conn.execute("UPDATE documents SET size = ?, mtime_ns = ?, path = ? "
                              "WHERE id = ?", (file.size, file.mtime_ns, file.display, doc_id))

    def mark_missing(self, doc_ids: list[int]) -> None:
        if not doc_ids:
            return
        with transaction(self.conn):
            self.conn.executemany("UPDATE documents SET status = ?, error = ?, error_kind = ?, "
                                  "updated_at = ? WHERE id = ?",
                                  [(MISSING, "the file is no longer there (moved or deleted); "
                                    "`rlm ingest --prune` removes it from the library",
                                    MISSING, now(), i) for i in doc_ids])

    def remove(self, doc_ids: list[int]) -> int:
        """Forget documents (never the files); pages no other document uses go too."""
        removed = 0
        for doc_id in doc_ids:
            with transaction(self.conn):
                row = self.conn.execute("SELECT content_hash FROM documents WHERE id = ?",
                                        (doc_id,)).fetchone()
                if row is None:
                    continue
                self.conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
                if row["content_hash"]:
                    self._drop_if_orphan(row["content_hash"])
                removed += 1
        self._forget_passwords()
        return removed

    # --- sources and whole collections (the app's re-scan and delete) ------------------

    def remember_sources(self, collection_id: int, paths: list[Path]) -> None:
        """Remember the folders and files a collection was ingested from (absolute paths)."""
        stamp = now()
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT OR IGNORE INTO sources (collection_id, path_key, path, added_at) "
                "VALUES (?, ?, ?, ?)",
                [(collection_id, path_key(p), display_path(p), stamp) for p in paths])

    def sources(self, name: str) -> list[Path]:
        """The remembered roots of a collection, in the order they were first added."""
        rows = self.conn.execute("SELECT path_key FROM sources WHERE collection_id = ? "
                                 "ORDER BY id", (self.require_collection(name),))
        return [Path(os.fsdecode(bytes(r["path_key"]))) for r in rows]

    def source_paths(self) -> dict[str, list[str]]:
        """Every collection's remembered roots as printable paths, by collection name."""
        found: dict[str, list[str]] = {}
        for row in self.conn.execute("SELECT c.name, s.path FROM sources s JOIN collections c "
                                     "ON c.id = s.collection_id ORDER BY s.id"):
            found.setdefault(row["name"], []).append(row["path"])
        return found

    def forget_source(self, collection_id: int, path: Path) -> None:
        with transaction(self.conn):
            self.conn.execute("DELETE FROM sources WHERE collection_id = ? AND path_key = ?",
                              (collection_id, path_key(path)))

    def delete_collection(self, name: str) -> int:
        """Forget a collection and its documents (never the files); returns how many."""
        collection_id = self.require_collection(name)
        with transaction(self.conn):
            rows = self.conn.execute("SELECT DISTINCT content_hash FROM documents WHERE "
                                     "collection_id = ? AND content_hash IS NOT NULL",
                                     (collection_id,)).fetchall()
            count = self.conn.execute("DELETE FROM documents WHERE collection_id = ?",
                                      (collection_id,)).rowcount
            for row in rows:
                self._drop_if_orphan(row["content_hash"])
            self.conn.execute("DELETE FROM sources WHERE collection_id = ?", (collection_id,))
            self.conn.execute("DELETE FROM collections WHERE id = ?", (collection_id,))
        self._forget_passwords()
        return int(count)

    def content_warnings(self, hashes: list[str]) -> dict[str, list[str]]:
        """The extraction warnings of stored contents, by hash."""
        found: dict[str, list[str]] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            for row in self.conn.execute(f"SELECT hash, warnings FROM contents WHERE hash IN "
                                         f"({marks})", chunk):
                try:
                    found[row["hash"]] = list(json.loads(row["warnings"] or "[]"))
                except ValueError:
                    found[row["hash"]] = []
        return found

    # --- pages ------------------------------------------------------------------------

    def pages(self, content_hash: str) -> Iterator[sqlite3.Row]:
        """A document's pages in order (page, label, kind, start, end, text), streamed."""
        yield from self.conn.execute("SELECT page, label, kind, start, end, text FROM pages "
                                     "WHERE content_hash = ? ORDER BY page", (content_hash,))

    def page(self, content_hash: str, page: int) -> sqlite3.Row | None:
        """One page of a document (page, label, kind, start, end, text), or None."""
        return self.conn.execute("SELECT page, label, kind, start, end, text FROM pages "
                                 "WHERE content_hash = ? AND page = ?",
                                 (content_hash, page)).fetchone()

    def page_count(self, content_hash: str) -> int:
        row = self.conn.execute("SELECT pages FROM contents WHERE hash = ?",
                                (content_hash,)).fetchone()
        return 0 if row is None else int(row["pages"])

    def counts(self) -> dict[str, int]:
        row = self.conn.execute(
            "SELECT (SELECT COUNT(*) FROM collections) AS collections, "
            "(SELECT COUNT(*) FROM documents) AS documents, "
            "(SELECT COUNT(*) FROM contents) AS contents, "
            "(SELECT COUNT(*) FROM pages) AS pages").fetchone()
        return dict(row)
