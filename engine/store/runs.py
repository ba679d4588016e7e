"""Questions asked through the app, recorded in the store: runs, their events, history queries.

``RunRecorder`` writes from a background thread and commits a batch every
~100 ms (and at once on ``flush``), so a run streaming a thousand events costs
a handful of transactions, not a thousand. The query functions take a
connection, so each thread can use its own.
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.events import StopReason
from engine.store.db import connect

log = logging.getLogger(__name__)

RUNNING, FINISHED, INTERRUPTED = "running", "finished", "interrupted"
PREVIEW_CHARS = 300
BATCH_INTERVAL_S = 0.1
# The answer's citations are checked as a run ends: its check is among its last events.
CITATION_TAIL_EVENTS = 16
_CITATIONS_PREFIX = '{"type":"answer_citations"'   # as the worker encodes events
_RUN_FIELDS = ("run_id", "conversation", "collection", "question", "answer", "stop_reason",
               "partial", "cost_usd", "usage", "status", "error", "started_at", "finished_at",
               "duration_s")


def timestamp() -> str:
    """UTC ISO 8601 with milliseconds, so runs started in the same second still sort."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def _run_json(row: sqlite3.Row, preview: bool) -> dict[str, Any]:
    data = dict(row)
    data["partial"] = bool(data["partial"])
    try:
        data["usage"] = json.loads(data["usage"] or "{}")
    except ValueError:
        data["usage"] = {}
    if preview:
        data["answer"] = (data["answer"] or "")[:PREVIEW_CHARS]
        data.pop("usage")
    return data


def history(conn: sqlite3.Connection, collection: str | None = None,
            limit: int = 1000) -> list[dict[str, Any]]:
    """Runs newest first, answers cut to their first 300 characters."""
    sql = f"SELECT {', '.join(_RUN_FIELDS)} FROM runs"
    params: list[Any] = []
    if collection is not None:
        sql += " WHERE collection = ?"
        params.append(collection)
    sql += " ORDER BY started_at DESC, rowid DESC LIMIT ?"
    params.append(limit)
    runs = [_run_json(row, preview=True) for row in conn.execute(sql, params)]
    for run in runs:
        run["citation_counts"] = citation_counts(conn, run["run_id"])
    return runs


def citation_counts(conn: sqlite3.Connection, run_id: str) -> dict[str, int]:
    """How many of a run's answer's citations ended with each status (``verified``,
    ``not_found``...); empty when none were checked. Reads only the run's last few events."""
    rows = conn.execute("SELECT json FROM run_events WHERE run_id = ? ORDER BY seq DESC "
                        "LIMIT ?", (run_id, CITATION_TAIL_EVENTS))
    for (text,) in rows:
        if not text.startswith(_CITATIONS_PREFIX):
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        citations = data.get("citations")
        if data.get("depth") or not isinstance(citations, list):
            continue
        return dict(Counter(str(c.get("status") or "unknown") for c in citations
                            if isinstance(c, dict)))
    return {}


def load_run(conn: sqlite3.Connection, run_id: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT {', '.join(_RUN_FIELDS)} FROM runs WHERE run_id = ?",
                       (run_id,)).fetchone()
    return None if row is None else _run_json(row, preview=False)


def run_events(conn: sqlite3.Connection, run_id: str) -> list[dict[str, Any]]:
    """A run's events in the order they were emitted (a damaged row is skipped)."""
    events = []
    for (text,) in conn.execute("SELECT json FROM run_events WHERE run_id = ? ORDER BY seq",
                                (run_id,)):
        try:
            events.append(json.loads(text))
        except ValueError:
            continue
    return events


def delete_run(conn: sqlite3.Connection, run_id: str) -> bool:
    """Forget a run and its events (the trajectory log file is left alone)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM run_events WHERE run_id = ?", (run_id,))
        deleted = conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,)).rowcount
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return deleted > 0


def mark_interrupted(conn: sqlite3.Connection) -> int:
    """Runs left "running" by a worker that was killed: their events stay, the run is closed."""
    cursor = conn.execute(
        "UPDATE runs SET status = ?, stop_reason = COALESCE(stop_reason, ?), finished_at = ?, "
        "error = COALESCE(error, ?), partial = 1 WHERE status = ?",
        (INTERRUPTED, StopReason.WORKER_DIED, timestamp(),
         "the engine stopped before this run finished", RUNNING))
    return cursor.rowcount


@dataclass
class _Flush:
    done: threading.Event = field(default_factory=threading.Event)


_STOP = object()


class RunRecorder:
    """Queues run records and events; a thread writes them in batches, in order."""

    def __init__(self, path: Path | None = None, interval: float = BATCH_INTERVAL_S) -> None:
        self.path = path
        self.interval = interval
        self.error: str | None = None   # the last write failure, for the log and tests
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._seq: dict[str, int] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._main, name="run-recorder", daemon=True)
        self._thread.start()

    # --- called from any thread -------------------------------------------------------

    def start_run(self, run_id: str, question: str, *, conversation: str | None = None,
                  collection: str | None = None) -> None:
        self._queue.put(("start", (run_id, conversation, collection, question, RUNNING,
                                   timestamp())))

    def add_event(self, run_id: str, event_json: str) -> None:
        """Record one event (already encoded as JSON text) after the ones before it."""
        with self._lock:
            seq = self._seq.get(run_id, 0) + 1
            self._seq[run_id] = seq
        self._queue.put(("event", (run_id, seq, event_json)))

    def finish_run(self, run_id: str, *, answer: str, stop_reason: StopReason, partial: bool,
                   usage: dict[str, Any], error: str | None, duration_s: float) -> None:
        with self._lock:
            self._seq.pop(run_id, None)
        self._queue.put(("finish", (answer, stop_reason, int(partial), usage.get("cost_usd"),
                                    json.dumps(usage), FINISHED, error, timestamp(),
                                    round(duration_s, 3), run_id)))

    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until everything queued so far is committed; False on timeout."""
        marker = _Flush()
        self._queue.put(marker)
        return marker.done.wait(timeout)

    def close(self, timeout: float | None = 10.0) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout)

    # --- the writer thread --------------------------------------------------------------

    def _main(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.path)
        except Exception as exc:  # the worker goes on; runs are just not recorded
            self.error = f"cannot open the store to record runs: {exc}"
            log.error("%s", self.error)
        try:
            while True:
                batch = self._collect()
                if conn is not None and any(not isinstance(i, _Flush) and i is not _STOP
                                            for i in batch):
                    self._write(conn, [i for i in batch if isinstance(i, tuple)])
                for item in batch:
                    if isinstance(item, _Flush):
                        item.done.set()
                if batch and batch[-1] is _STOP:
                    return
        finally:
            if conn is not None:
                conn.close()

    def _collect(self) -> list[Any]:
        """The next batch: what arrives within ``interval`` of the first item, cut short by a
        flush or stop marker."""
        batch = [self._queue.get()]
        deadline = time.monotonic() + self.interval
        while not isinstance(batch[-1], _Flush) and batch[-1] is not _STOP:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _write(self, conn: sqlite3.Connection, items: list[tuple[str, tuple[Any, ...]]]) -> None:
        try:
            self._apply(conn, items)
        except sqlite3.Error as exc:
            # One bad row (say, an event of a run deleted meanwhile) must not cost the
            # others: write them one by one, skipping what fails.
            log.warning("recording runs: batch failed (%s); writing rows one by one", exc)
            for item in items:
                try:
                    self._apply(conn, [item])
                except sqlite3.Error as one:
                    self.error = f"could not record {item[0]} of run {item[1][0]!r}: {one}"
                    log.warning("%s", self.error)

    @staticmethod
    def _apply(conn: sqlite3.Connection, items: list[tuple[str, tuple[Any, ...]]]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for kind, values in items:
                if kind == "start":
                    conn.execute("INSERT OR IGNORE INTO runs (run_id, conversation, "
                                 "collection, question, status, started_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", values)
                elif kind == "event":
                    conn.execute("INSERT OR REPLACE INTO run_events (run_id, seq, json) "
                                 "VALUES (?, ?, ?)", values)
                else:
                    conn.execute("UPDATE runs SET answer = ?, stop_reason = ?, partial = ?, "
                                 "cost_usd = ?, usage = ?, status = ?, error = ?, "
                                 "finished_at = ?, duration_s = ? WHERE run_id = ?", values)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
