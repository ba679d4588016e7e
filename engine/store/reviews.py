"""Review tables in the store: reviews, their columns (questions) and rows (documents), and
one answer per cell, each written the moment it is finished.

The functions take a connection, so each thread can use its own. Writing a cell is one
short transaction: a crash or a kill loses at most the cells still being answered, and
``missing_cells`` then says what a resume has left to do.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from engine.errors import ConfigError
from engine.store.db import now, transaction

# Cell statuses. A cell with no row has not been answered yet.
ANSWERED, NOT_STATED, UNREADABLE = "answered", "not_stated", "unreadable"
FAILED, STOPPED = "failed", "stopped"
DONE_STATUSES = (ANSWERED, NOT_STATED, UNREADABLE)     # what a resume does not run again
CELL_STATUSES = (*DONE_STATUSES, FAILED, STOPPED)


@dataclass(frozen=True)
class ColumnSpec:
    """A question asked of every document, and the type its answer is read as."""

    name: str
    question: str
    kind: str = "text"
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnRecord(ColumnSpec):
    id: int = 0
    position: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "position": self.position, "name": self.name,
                "question": self.question, "kind": self.kind, "choices": list(self.choices)}


@dataclass
class CellRecord:
    """One document's answer to one column: typed value, the model's raw words, why it could
    not be read, its explanation and checked citations, and the person's marks."""

    review_id: str
    doc_id: int
    column_id: int
    status: str
    raw: str = ""
    value: Any = None
    shown: str = ""
    problem: str = ""
    explanation: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)
    strategy: str = ""
    run_id: str | None = None
    cost_usd: float | None = None
    tokens: int = 0
    seconds: float = 0.0
    finished_at: str = ""
    reviewed: bool = False
    flagged: bool = False
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class ReviewRecord:
    id: str
    name: str
    collection: str | None
    status: str
    budget_usd: float | None
    created_at: str
    updated_at: str
    columns: list[ColumnRecord] = field(default_factory=list)
    doc_ids: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "collection": self.collection,
                "status": self.status, "budget_usd": self.budget_usd,
                "created_at": self.created_at, "updated_at": self.updated_at,
                "columns": [c.to_json() for c in self.columns], "doc_ids": list(self.doc_ids)}


def new_review_id() -> str:
    return "rv_" + secrets.token_hex(6)


def create_review(conn: sqlite3.Connection, name: str, collection: str | None,
                  columns: list[ColumnSpec], doc_ids: list[int],
                  budget_usd: float | None = None, review_id: str | None = None) -> str:
    """A new review with its columns and rows; returns its id."""
    review_id = review_id or new_review_id()
    stamp = now()
    with transaction(conn):
        conn.execute("INSERT INTO reviews (id, name, collection, status, budget_usd, "
                     "created_at, updated_at) VALUES (?, ?, ?, 'new', ?, ?, ?)",
                     (review_id, name, collection, budget_usd, stamp, stamp))
        _insert_columns(conn, review_id, columns)
        _insert_rows(conn, review_id, doc_ids)
    return review_id


def add_columns(conn: sqlite3.Connection, review_id: str,
                columns: list[ColumnSpec]) -> list[int]:
    """Columns added at the end; their cells are missing until run. Returns their ids."""
    require_review(conn, review_id)
    with transaction(conn):
        ids = _insert_columns(conn, review_id, columns)
        _touch(conn, review_id)
    return ids


def add_documents(conn: sqlite3.Connection, review_id: str, doc_ids: list[int]) -> int:
    """Rows added at the end (documents already in the review are skipped); returns how many."""
    require_review(conn, review_id)
    with transaction(conn):
        added = _insert_rows(conn, review_id, doc_ids)
        _touch(conn, review_id)
    return added


def _insert_columns(conn: sqlite3.Connection, review_id: str,
                    columns: list[ColumnSpec]) -> list[int]:
    start = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM review_columns "
                         "WHERE review_id = ?", (review_id,)).fetchone()[0]
    ids = []
    for offset, column in enumerate(columns):
        cursor = conn.execute(
            "INSERT INTO review_columns (review_id, position, name, question, kind, choices) "
            "VALUES (?, ?, ?, ?, ?, ?)", (review_id, start + offset, column.name,
                                          column.question, column.kind,
                                          json.dumps(list(column.choices))))
        ids.append(int(cursor.lastrowid or 0))
    return ids


def _insert_rows(conn: sqlite3.Connection, review_id: str, doc_ids: list[int]) -> int:
    start = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM review_rows "
                         "WHERE review_id = ?", (review_id,)).fetchone()[0]
    added = 0
    for doc_id in dict.fromkeys(doc_ids):
        cursor = conn.execute("INSERT OR IGNORE INTO review_rows (review_id, doc_id, position) "
                              "VALUES (?, ?, ?)", (review_id, doc_id, start + added))
        added += cursor.rowcount
    return added


def _touch(conn: sqlite3.Connection, review_id: str) -> None:
    conn.execute("UPDATE reviews SET updated_at = ? WHERE id = ?", (now(), review_id))


def require_review(conn: sqlite3.Connection, review_id: str) -> ReviewRecord:
    record = get_review(conn, review_id)
    if record is None:
        raise ConfigError(f"there is no review {review_id!r}; `rlm review list` shows them")
    return record


def get_review(conn: sqlite3.Connection, review_id: str) -> ReviewRecord | None:
    row = conn.execute("SELECT id, name, collection, status, budget_usd, created_at, "
                       "updated_at FROM reviews WHERE id = ?", (review_id,)).fetchone()
    if row is None:
        return None
    record = ReviewRecord(**dict(row))
    record.columns = [
        ColumnRecord(id=r["id"], position=r["position"], name=r["name"],
                     question=r["question"], kind=r["kind"],
                     choices=tuple(_json(r["choices"], [])))
        for r in conn.execute("SELECT * FROM review_columns WHERE review_id = ? "
                              "ORDER BY position", (review_id,))]
    record.doc_ids = [r[0] for r in conn.execute(
        "SELECT doc_id FROM review_rows WHERE review_id = ? ORDER BY position", (review_id,))]
    return record


def list_reviews(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every review, newest first, with its size and how many cells are done."""
    rows = conn.execute(
        "SELECT r.id, r.name, r.collection, r.status, r.budget_usd, r.created_at, "
        "r.updated_at, (SELECT COUNT(*) FROM review_columns c WHERE c.review_id = r.id) "
        "AS columns, (SELECT COUNT(*) FROM review_rows w WHERE w.review_id = r.id) AS rows, "
        "(SELECT COUNT(*) FROM review_cells x WHERE x.review_id = r.id AND x.status IN "
        f"({', '.join('?' * len(DONE_STATUSES))})) AS done, "
        "(SELECT SUM(cost_usd) FROM review_cells x WHERE x.review_id = r.id) AS cost_usd "
        "FROM reviews r ORDER BY r.created_at DESC, r.id", DONE_STATUSES)
    return [dict(row) for row in rows]


def set_status(conn: sqlite3.Connection, review_id: str, status: str) -> None:
    with transaction(conn):
        conn.execute("UPDATE reviews SET status = ?, updated_at = ? WHERE id = ?",
                     (status, now(), review_id))


def delete_review(conn: sqlite3.Connection, review_id: str) -> bool:
    with transaction(conn):
        return conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,)).rowcount > 0


def cells(conn: sqlite3.Connection, review_id: str) -> list[CellRecord]:
    """Every answered (or failed) cell of a review, in no particular order."""
    return [_cell(row) for row in conn.execute(
        "SELECT * FROM review_cells WHERE review_id = ?", (review_id,))]


def _cell(row: sqlite3.Row) -> CellRecord:
    data = dict(row)
    data["value"] = _json(data["value"], None)
    data["citations"] = _json(data["citations"], [])
    data["reviewed"], data["flagged"] = bool(data["reviewed"]), bool(data["flagged"])
    return CellRecord(**data)


def missing_cells(conn: sqlite3.Connection, review_id: str, *, again: tuple[str, ...] = (),
                  column_ids: list[int] | None = None,
                  doc_ids: list[int] | None = None) -> list[tuple[int, int]]:
    """(doc id, column id) of the cells to run, row by row: those never answered, and those
    whose status is in ``again`` (``("failed", "stopped")`` re-runs the failed ones)."""
    record = require_review(conn, review_id)
    done = {(c.doc_id, c.column_id): c.status for c in cells(conn, review_id)}
    wanted_columns = [c.id for c in record.columns
                      if column_ids is None or c.id in column_ids]
    wanted_docs = [d for d in record.doc_ids if doc_ids is None or d in doc_ids]
    return [(doc_id, column_id) for doc_id in wanted_docs for column_id in wanted_columns
            if (doc_id, column_id) not in done or done[(doc_id, column_id)] in again]


def save_cell(conn: sqlite3.Connection, cell: CellRecord) -> None:
    """Write a finished cell at once. A new answer clears "reviewed" (the person checked the
    old one) and keeps the flag and note."""
    values = cell.to_json()
    values["value"] = json.dumps(cell.value, ensure_ascii=False)
    values["citations"] = json.dumps(cell.citations, ensure_ascii=False)
    values["finished_at"] = cell.finished_at or now()
    names = [n for n in values if n not in ("reviewed", "flagged", "note")]
    with transaction(conn):
        conn.execute(
            f"INSERT INTO review_cells ({', '.join(names)}) VALUES "
            f"({', '.join('?' * len(names))}) ON CONFLICT (review_id, doc_id, column_id) DO "
            f"UPDATE SET {', '.join(f'{n} = excluded.{n}' for n in names[3:])}, reviewed = 0",
            [values[n] for n in names])


def mark_cell(conn: sqlite3.Connection, review_id: str, doc_id: int, column_id: int, *,
              reviewed: bool | None = None, flagged: bool | None = None,
              note: str | None = None) -> bool:
    """Record the person's check of a cell; False when the cell has no answer yet."""
    changes = {name: value for name, value in
               (("reviewed", reviewed), ("flagged", flagged), ("note", note))
               if value is not None}
    if not changes:
        return True
    with transaction(conn):
        cursor = conn.execute(
            f"UPDATE review_cells SET {', '.join(f'{n} = ?' for n in changes)} "
            "WHERE review_id = ? AND doc_id = ? AND column_id = ?",
            [int(v) if isinstance(v, bool) else v for v in changes.values()]
            + [review_id, doc_id, column_id])
    return cursor.rowcount > 0


def _json(text: str | None, default: Any) -> Any:
    try:
        return json.loads(text) if text else default
    except ValueError:
        return default
