"""Questions through the worker: events in order, runs recorded, follow-ups, cancel, history."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.events import StopReason
from engine.store import runs as run_store
from engine.store.db import connect
from tests.engine.worker.harness import WorkerProcess, write_settings
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply, by_model
from tests.support.harness import repl, write_docs


def root_script(request: ChatRequest) -> Reply | str:
    """First question: set a variable and ask the sub-model; a follow-up reads the variable."""
    text = request.last_user
    if "Follow-up question: slow" in text or text.startswith("Question: slow"):
        return repl("import time\ntime.sleep(60)")
    if text.startswith("Question: cite"):
        return repl("d = next(d for d in documents if d['path'].endswith('beta.txt'))\n"
                    "FINAL('The code is 7319 ' + cite(d['id'], 1, 'the secret code is 7319'))")
    if "Follow-up question:" in text:
        if "variables you set earlier are gone" in text:
            return repl("FINAL('lost: ' + str('secret' in globals()))")
        return repl("FINAL('follow-up: ' + str(secret + 1))")
    if text.startswith("Question:"):
        return repl('secret = 41\nverdict = llm_query("What is the code? " + context[:200])\n'
                    'print(verdict)')
    return repl("FINAL(verdict)")


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[WorkerProcess, FakeOpenAI]]:
    script = by_model({"fake-root": root_script, "fake-sub": "the code is 7319"})
    with FakeOpenAI(script) as server:
        write_settings(Path(os.environ["XDG_CONFIG_HOME"]), server.base_url)
        worker = WorkerProcess()
        try:
            docs = write_docs(tmp_path / "docs")
            assert worker.call("ingest", {"paths": [str(docs)], "collection": "c"}).ok
            yield worker, server
        finally:
            worker.close()


def ask(worker: WorkerProcess, question: str, **args: Any) -> Any:
    return worker.call("ask", {"question": question, "collection": "c",
                               "document_ids": None, "conversation": None, **args})


def test_the_answers_citations_are_checked_streamed_and_recorded(
        setup: tuple[WorkerProcess, FakeOpenAI]) -> None:
    worker, _ = setup
    reply = ask(worker, "cite the code")
    [citation] = reply.result["citations"]
    assert citation["status"] == "relocated" and (citation["page"], citation["cited_page"]) == \
        (2, 1)
    assert citation["path"].endswith("beta.txt")
    types = reply.types()
    assert types.index("answer") < types.index("answer_citations") < types.index("run_finished")
    recorded = worker.call("run_events", {"run_id": reply.result["run_id"]}).result
    [event] = [e for e in recorded["events"] if e["type"] == "answer_citations"]
    assert event["citations"] == reply.result["citations"]


def test_ask_streams_events_in_order_and_records_the_run(
        setup: tuple[WorkerProcess, FakeOpenAI]) -> None:
    worker, _ = setup
    reply = ask(worker, "What is the code?")
    result = reply.result
    assert result["answer"] == "the code is 7319" and result["stop_reason"] == "answered"
    assert result["conversation"].startswith("c-") and result["run_id"]
    assert result["usage"]["calls"] == 3 and result["usage"]["cost_usd"] > 0
    assert result["sandbox"]["pid"] > 0
    types = reply.types()
    assert types[0] == "run_started" and types[-1] == "run_finished"
    assert types.index("sandbox_status") < types.index("iteration_started") \
        < types.index("cell_started") < types.index("subcall_started") \
        < types.index("subcall_finished") < types.index("answer")
    assert all(e["run_id"] == result["run_id"] for e in reply.events)
    # The store holds the same events in the same order, and the run's outcome.
    recorded = worker.call("run_events", {"run_id": result["run_id"]}).result
    assert recorded["events"] == reply.events
    run = recorded["run"]
    assert run["status"] == "finished" and run["answer"] == result["answer"]
    assert run["collection"] == "c" and run["conversation"] == result["conversation"]
    assert run["cost_usd"] == result["usage"]["cost_usd"]
    history = worker.call("history", {"collection": "c"}).result
    assert [h["run_id"] for h in history] == [result["run_id"]]
    assert history[0]["question"] == "What is the code?" and history[0]["status"] == "finished"
    assert worker.call("history", {"collection": "other"}).result == []
    # The trajectory log is written as for `rlm ask`.
    log = Path(os.environ["XDG_DATA_HOME"]) / "rlm-desktop" / "runs" / f"{result['run_id']}.jsonl"
    assert len(log.read_text(encoding="utf-8").splitlines()) == len(reply.events)
    assert worker.call("delete_run", {"run_id": result["run_id"]}).result == {"deleted": True}
    assert worker.call("history", {"collection": None}).result == []
    assert worker.call("run_events", {"run_id": result["run_id"]}).line["kind"] == "config"


def test_a_follow_up_reads_a_variable_the_first_question_set(
        setup: tuple[WorkerProcess, FakeOpenAI]) -> None:
    worker, server = setup
    first = ask(worker, "What is the code?").result
    follow = ask(worker, "And plus one?", conversation=first["conversation"]).result
    assert follow["answer"] == "follow-up: 42", follow
    assert follow["conversation"] == first["conversation"]
    assert follow["run_id"] != first["run_id"]
    assert follow["sandbox"]["pid"] == first["sandbox"]["pid"]      # the same REPL
    last = server.requests[-1]
    assert "What is the code?" in last.messages[1]["content"]        # history kept
    history = worker.call("history", {"collection": "c"}).result
    assert [h["run_id"] for h in history] == [follow["run_id"], first["run_id"]]
    assert worker.call("end_conversation", {"conversation": first["conversation"]}).result \
        == {"ended": True}
    gone = ask(worker, "again?", conversation=first["conversation"])
    assert gone.line["kind"] == "usage" and "start a new one" in gone.line["error"]


def test_cancel_stops_an_ask_within_two_seconds_and_the_next_follow_up_is_told(
        setup: tuple[WorkerProcess, FakeOpenAI]) -> None:
    worker, _ = setup
    first = ask(worker, "What is the code?").result
    ask_id = worker.send("ask", {"question": "slow", "collection": "c",
                                 "conversation": first["conversation"]})
    cancelled_at: list[float] = []

    def on_event(event: dict[str, Any]) -> None:
        if event["type"] == "cell_started" and not cancelled_at:
            busy = worker.call("ask", {"question": "x", "conversation": first["conversation"]})
            assert busy.line["kind"] == "busy"
            running = worker.call("delete_run", {"run_id": event["run_id"]})
            assert running.line["kind"] == "busy"
            assert worker.call("cancel", {"target": ask_id}).result == {"cancelled": True}
            cancelled_at.append(time.monotonic())

    reply = worker.wait(ask_id, on_event=on_event)
    assert time.monotonic() - cancelled_at[0] < 2.0
    assert reply.result["stop_reason"] == "cancelled"
    assert reply.events[-1]["type"] == "run_finished"
    runs = worker.call("history", {"collection": "c"}).result
    assert runs[0]["stop_reason"] == "cancelled" and runs[0]["status"] == "finished"
    # The REPL was killed mid-cell: the next question gets a fresh one and is told so.
    after = ask(worker, "still there?", conversation=first["conversation"]).result
    assert after["answer"] == "lost: False"
    assert after["sandbox"]["pid"] != first["sandbox"]["pid"]


def test_ask_errors_are_reported_with_their_kind(setup: tuple[WorkerProcess, FakeOpenAI],
                                                 tmp_path: Path) -> None:
    worker, _ = setup
    assert ask(worker, "  ").line["kind"] == "usage"
    nothing = worker.call("ask", {"question": "q"})
    assert nothing.line["kind"] == "usage" and "collection" in nothing.line["error"]
    unknown = ask(worker, "q", collection="nope")
    assert unknown.line["kind"] == "config" and "nope" in unknown.line["error"]
    by_id = worker.call("ask", {"question": "q", "document_ids": [999]})
    assert by_id.line["kind"] == "config" and "999" in by_id.line["error"]
    (Path(os.environ["XDG_CONFIG_HOME"]) / "rlm-desktop" / "config.json").write_text(
        '{"root": {"model": 5}}', encoding="utf-8")
    broken = ask(worker, "q")
    assert broken.line["kind"] == "config" and "root.model" in broken.line["error"]


def test_a_run_left_running_by_a_killed_worker_is_marked_interrupted(
        isolated_environment: Path) -> None:
    conn = connect()
    conn.execute("INSERT INTO runs (run_id, question, status, started_at) VALUES "
                 "('r1', 'q', 'running', '2026-01-01T00:00:00.000Z')")
    conn.execute("INSERT INTO run_events (run_id, seq, json) VALUES ('r1', 1, '{}')")
    conn.close()
    worker = WorkerProcess()
    try:
        run = worker.call("run_events", {"run_id": "r1"}).result
    finally:
        worker.close()
    assert run["run"]["status"] == "interrupted"
    assert run["run"]["stop_reason"] == StopReason.WORKER_DIED
    assert run["events"] == [{}]



def test_shutdown_cancels_a_running_ask_answers_it_and_exits(
        setup: tuple[WorkerProcess, FakeOpenAI]) -> None:
    worker, _ = setup
    ask_id = worker.send("ask", {"question": "slow", "collection": "c"})
    worker.wait_event(ask_id, "cell_started")
    started = time.monotonic()
    shutdown_id = worker.send("shutdown")
    assert worker.wait(ask_id).result["stop_reason"] == "cancelled"
    assert worker.wait(shutdown_id).result == {}
    assert worker.proc.wait(5) == 0
    assert time.monotonic() - started < 3.0
    finals = [line["id"] for line in map(json.loads, worker.raw) if "ok" in line]
    assert finals[-2:] == [ask_id, shutdown_id]     # the ask's answer, then the shutdown's


def test_end_of_input_during_an_ask_exits_zero_and_records_the_run(
        setup: tuple[WorkerProcess, FakeOpenAI]) -> None:
    worker, _ = setup
    ask_id = worker.send("ask", {"question": "slow", "collection": "c"})
    worker.wait_event(ask_id, "cell_started")
    started = time.monotonic()
    assert worker.close() == 0 and time.monotonic() - started < 3.0
    conn = connect()
    runs = run_store.history(conn)
    assert runs[0]["question"] == "slow" and runs[0]["stop_reason"] == "cancelled"
    assert runs[0]["status"] == "finished"


def test_ending_a_conversation_cancels_its_running_question(
        setup: tuple[WorkerProcess, FakeOpenAI]) -> None:
    worker, _ = setup
    ask_id = worker.send("ask", {"question": "slow", "collection": "c"})
    worker.wait_event(ask_id, "cell_started")
    started = worker._pending[ask_id][0]["event"]
    runs: list[dict[str, Any]] = []
    deadline = time.monotonic() + 5
    while not runs and time.monotonic() < deadline:   # recorded within ~100 ms
        runs = worker.call("history").result
    conversation = runs[0]["conversation"]
    assert started["type"] == "run_started"
    ended = worker.call("end_conversation", {"conversation": conversation})
    assert ended.result == {"ended": True}
    assert worker.wait(ask_id).result["stop_reason"] == "cancelled"
    assert worker.call("end_conversation", {"conversation": conversation}).result == \
        {"ended": False}


def test_a_question_about_a_review_table_sees_the_table_then_its_documents(
        setup: tuple[WorkerProcess, FakeOpenAI]) -> None:
    from engine.store import reviews as review_store
    from engine.store.library import Library
    worker, server = setup
    with Library() as library:
        docs = library.documents(collection="c")
        review_id = review_store.create_review(
            library.conn, "Board papers", "c",
            [review_store.ColumnSpec("Code", "What is the code?", "number")],
            [d.id for d in docs])
        beta = next(d for d in docs if d.path.endswith("beta.txt"))
        review_store.save_cell(library.conn, review_store.CellRecord(
            review_id=review_id, doc_id=beta.id, column_id=review_store.require_review(
                library.conn, review_id).columns[0].id, status="answered", value=7319,
            shown="7,319", explanation="Clause 9 gives it."))

    def root(request: ChatRequest) -> Reply | str:
        if request.model != "fake-root":
            return "unused"
        return repl("print(context[:600])" if request.assistant_turns == 0
                    else "FINAL('seen')")

    server.set_script(root)
    reply = worker.call("ask", {"question": "Which document has a code?",
                                "review_id": review_id})
    assert reply.ok, reply
    first, second = [r for r in server.requests if r.model == "fake-root"][:2]
    assert 'the review table "Board papers"' in first.last_user
    assert "=== DOCUMENT 0: Review table: Board papers" in second.last_user
    assert "- Code: 7,319" in second.last_user
    missing = worker.call("ask", {"question": "q", "review_id": "rv_nope"})
    assert not missing.ok and "there is no review 'rv_nope'" in missing.line["error"]
