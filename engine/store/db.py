"""The SQLite connection of the document store: where it lives, WAL mode, numbered migrations."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.config import data_dir
from engine.errors import ConfigError
from engine.store.migrations import MIGRATIONS

STORE_NAME = "library.db"
BUSY_TIMEOUT_MS = 15_000


def store_path() -> Path:
    """The one .db file of the library, in the platform's data directory."""
    return data_dir() / STORE_NAME


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the store; ConfigError says what to do on failure."""
    path = path or store_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000,
                               check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"cannot open the document store {path}: {exc}; check that the "
                          "folder is writable") from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ConfigError(f"the document store {path} is damaged or not a database ({exc}); "
                          "move it aside and ingest again (your original files are untouched)"
                          ) from exc
    try:
        migrate(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise ConfigError(f"cannot upgrade the document store {path} ({exc}); it is unchanged. "
                          "Check that the disk is not full and no other program holds it, then "
                          "try again") from exc
    except ConfigError:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: all of it is stored, or (on any error or a kill) none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply each numbered migration not yet applied, each in its own transaction."""
    conn.execute("CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, "
                 "name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    done = {row[0] for row in conn.execute("SELECT id FROM migrations")}
    newest = max(MIGRATIONS) if MIGRATIONS else 0
    if done and max(done) > newest:
        raise ConfigError("the document store was written by a newer version of rlm "
                          f"(schema {max(done)}, this version knows {newest}); upgrade rlm")
    applied = []
    for number in sorted(MIGRATIONS):
        if number in done:
            continue
        name, statements = MIGRATIONS[number]
        with transaction(conn):
            # Another process opening a new store at the same moment may have applied it
            # while we waited for the write lock.
            if conn.execute("SELECT 1 FROM migrations WHERE id = ?", (number,)).fetchone():
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)",
                         (number, name, now()))
        applied.append(number)
    return applied


def now() -> str:
    """UTC timestamp as ISO 8601 text (sorts and reads well)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
