"""Run records: batched writes in order, history, events, delete, and interrupted runs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from engine.events import StopReason
from engine.store import runs
from engine.store.db import connect


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "lib.db"
    connect(path).close()
    return path


def test_a_thousand_events_are_written_in_order_in_a_few_batches(
        store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batches: list[int] = []
    apply = runs.RunRecorder._apply

    def counting(conn: sqlite3.Connection, items: list[tuple[str, tuple[object, ...]]]) -> None:
        batches.append(len(items))
        apply(conn, items)

    monkeypatch.setattr(runs.RunRecorder, "_apply", staticmethod(counting))
    recorder = runs.RunRecorder(store)
    recorder.start_run("r1", "what?", conversation="c-1", collection="Cases")
    for i in range(1000):
        recorder.add_event("r1", json.dumps({"type": "notice", "n": i}))
    recorder.finish_run("r1", answer="x" * 500, stop_reason=StopReason.ANSWERED, partial=False,
                        usage={"calls": 3, "cost_usd": 0.25}, error=None, duration_s=1.23456)
    assert recorder.flush()
    recorder.close()
    assert sum(batches) == 1002 and len(batches) <= 10
    conn = connect(store)
    events = runs.run_events(conn, "r1")
    assert [e["n"] for e in events] == list(range(1000))
    run = runs.load_run(conn, "r1")
    assert run is not None
    assert run["status"] == "finished" and run["answer"] == "x" * 500
    assert run["cost_usd"] == 0.25 and run["usage"]["calls"] == 3 and run["duration_s"] == 1.235
    listed = runs.history(conn, "cases")
    assert len(listed) == 1 and len(listed[0]["answer"]) == 300 and "usage" not in listed[0]


def test_history_is_newest_first_and_filtered_by_collection(store: Path) -> None:
    recorder = runs.RunRecorder(store)
    for i, collection in enumerate(["a", "b", "a"]):
        recorder.start_run(f"r{i}", f"q{i}", collection=collection)
    recorder.close()
    conn = connect(store)
    assert [r["run_id"] for r in runs.history(conn)] == ["r2", "r1", "r0"]
    assert [r["run_id"] for r in runs.history(conn, "A")] == ["r2", "r0"]
    assert all(r["status"] == "running" for r in runs.history(conn))


def test_unfinished_runs_are_marked_interrupted_and_keep_their_events(store: Path) -> None:
    recorder = runs.RunRecorder(store)
    recorder.start_run("alive", "q")
    recorder.add_event("alive", "{}")
    recorder.start_run("done", "q")
    recorder.finish_run("done", answer="a", stop_reason=StopReason.ANSWERED, partial=False,
                        usage={}, error=None, duration_s=1.0)
    recorder.close()
    conn = connect(store)
    assert runs.mark_interrupted(conn) == 1
    run = runs.load_run(conn, "alive")
    assert run is not None and run["status"] == "interrupted"
    assert run["stop_reason"] == StopReason.WORKER_DIED and run["partial"] is True
    assert runs.run_events(conn, "alive") == [{}]
    assert runs.load_run(conn, "done")["status"] == "finished"  # type: ignore[index]
    assert runs.mark_interrupted(conn) == 0


def test_delete_and_a_bad_row_does_not_cost_the_rest_of_its_batch(store: Path) -> None:
    recorder = runs.RunRecorder(store)
    recorder.start_run("keep", "q")
    recorder.start_run("gone", "q")
    assert recorder.flush()
    conn = connect(store)
    assert runs.delete_run(conn, "gone") is True
    assert runs.delete_run(conn, "gone") is False
    recorder.add_event("gone", "{}")            # its run was deleted meanwhile
    recorder.add_event("keep", '{"n": 1}')
    assert recorder.flush()
    recorder.close()
    assert runs.run_events(conn, "keep") == [{"n": 1}]
    assert runs.run_events(conn, "gone") == []
    assert recorder.error is not None and "gone" in recorder.error


def test_a_store_that_cannot_be_opened_only_stops_recording(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    recorder = runs.RunRecorder(blocker / "lib.db")
    recorder.start_run("r", "q")
    assert recorder.flush()
    recorder.close()
    assert recorder.error is not None and "cannot open" in recorder.error
