"""The history's citation counts: from the run's own check (not a helper analysis's), read
from the last events of the run only."""

from __future__ import annotations

from pathlib import Path

from engine import events as ev
from engine.store import runs
from engine.store.db import connect
from engine.worker.jsonio import encode


def cite(status: str) -> dict[str, object]:
    return {"n": 1, "doc_id": 1, "page": 1, "quote": "q", "status": status}


def record(recorder: runs.RunRecorder, run_id: str, events: list[ev.Event]) -> None:
    recorder.start_run(run_id, "q")
    for event in events:
        recorder.add_event(run_id, encode(event.to_json()))


def test_counts_by_status_of_the_runs_own_check(tmp_path: Path) -> None:
    store = tmp_path / "lib.db"
    recorder = runs.RunRecorder(store)
    child = ev.AnswerCitations(run_id="c", depth=1, citations=[cite("verified")])
    own = ev.AnswerCitations(run_id="a", citations=[cite("verified"), cite("verified"),
                                                    cite("not_found"), cite("invalid")])
    finished = ev.RunFinished(run_id="a", stop_reason=ev.StopReason.ANSWERED, duration_s=1.0)
    record(recorder, "a", [child, own, finished])
    record(recorder, "b", [child, finished])
    record(recorder, "none", [])
    recorder.close()
    conn = connect(store)
    counts = {r["run_id"]: r["citation_counts"] for r in runs.history(conn)}
    assert counts == {"a": {"verified": 2, "not_found": 1, "invalid": 1}, "b": {}, "none": {}}


def test_only_the_last_events_are_read(tmp_path: Path) -> None:
    store = tmp_path / "lib.db"
    recorder = runs.RunRecorder(store)
    early = ev.AnswerCitations(run_id="a", citations=[cite("verified")])
    notes = [ev.Notice(run_id="a", level="info", message=str(i))
             for i in range(runs.CITATION_TAIL_EVENTS)]
    record(recorder, "a", [early, *notes])
    recorder.close()
    assert runs.citation_counts(connect(store), "a") == {}
