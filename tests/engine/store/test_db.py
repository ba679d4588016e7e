"""The store file: WAL mode, migrations applied once, clear errors for what we cannot open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.store import db
from engine.store.migrations import MIGRATIONS


def test_store_lives_in_the_data_directory_and_migrates_once(tmp_path: Path) -> None:
    assert db.store_path().name == "library.db" and "rlm-desktop" in str(db.store_path())
    path = tmp_path / "lib.db"
    conn = db.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    applied = [r[0] for r in conn.execute("SELECT id FROM migrations ORDER BY id")]
    assert applied == sorted(MIGRATIONS)
    assert db.migrate(conn) == []                   # nothing left to apply
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"collections", "contents", "pages", "documents"} <= tables
    assert [tuple(r) for r in conn.execute("PRAGMA integrity_check")] == [("ok",)]
    conn.close()


def test_a_failed_migration_leaves_nothing_half_done(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "lib.db"
    db.connect(path).close()
    broken = {**MIGRATIONS, max(MIGRATIONS) + 1: (
        "broken", ["CREATE TABLE half_done (id INTEGER PRIMARY KEY)", "THIS IS NOT SQL"])}
    monkeypatch.setattr(db, "MIGRATIONS", broken)
    with pytest.raises(ConfigError, match="cannot upgrade the document store"):
        db.connect(path)
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "half_done" not in tables                # rolled back with its migration
    assert [r[0] for r in conn.execute("SELECT id FROM migrations")] == sorted(MIGRATIONS)


def test_newer_schemas_and_non_databases_are_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    conn = db.connect(newer)
    conn.execute("INSERT INTO migrations VALUES (99, 'future', 'now')")
    conn.close()
    with pytest.raises(ConfigError, match="newer version of rlm"):
        db.connect(newer)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError, match="move it aside"):
        db.connect(junk)


def test_transactions_roll_back_on_error(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "lib.db")
    with pytest.raises(RuntimeError), db.transaction(conn):
        conn.execute("INSERT INTO collections (name, created_at) VALUES ('x', 'now')")
        raise RuntimeError("boom")
    assert conn.execute("SELECT COUNT(*) FROM collections").fetchone()[0] == 0



def test_a_migration_applied_by_another_process_meanwhile_is_not_applied_twice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "library.db"
    first = sqlite3.connect(path, isolation_level=None)
    other = sqlite3.connect(path, isolation_level=None)
    real_transaction = db.transaction
    raced = []

    def another_process_wins_the_race(conn: sqlite3.Connection):  # type: ignore[no-untyped-def]
        if conn is first and not raced:   # between reading what is done and taking the lock
            raced.append(True)
            db.migrate(other)
        return real_transaction(conn)

    monkeypatch.setattr(db, "transaction", another_process_wins_the_race)
    assert db.migrate(first) == []
    assert [r[0] for r in first.execute("SELECT id FROM migrations ORDER BY id")] == sorted(
        MIGRATIONS)
    first.close()
    other.close()
