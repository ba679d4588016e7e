"""``open_demo``: the app's demo documents join the library and the recorded run replays with
the library's document ids; no settings, key or network (the worker runs with a guard that
refuses every connection but 127.0.0.1)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import events as ev
from engine.rlm.citations import parse_markers
from engine.worker import demo
from tests.engine.worker.harness import ROOT, Reply, WorkerProcess

DEMO = ROOT / "resources" / "demo"
OFFLINE = ROOT / "tests" / "support" / "offline"


@pytest.fixture()
def worker(tmp_path: Path) -> Iterator[WorkerProcess]:
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join([str(OFFLINE), env.get("PYTHONPATH", "")])
    process = WorkerProcess(env)
    guard = ""
    try:
        # A document already in the library: the demo's get other ids than the recording's.
        (tmp_path / "notes.txt").write_text("Some earlier notes.\n", encoding="utf-8")
        assert process.call("ingest", {"paths": [str(tmp_path / "notes.txt")]}).ok
        yield process
        guard = process.stderr()
    finally:
        process.close()
    assert "OFFLINE-GUARD" not in guard


def cited(reply: Reply) -> list[dict[str, object]]:
    [event] = [e for e in reply.events if e["type"] == "answer_citations"]
    citations: list[dict[str, object]] = event["citations"]
    return citations


def test_the_demo_replays_with_the_librarys_ids(worker: WorkerProcess) -> None:
    reply = worker.call("open_demo", {"folder": str(DEMO)})
    result = reply.result
    by_name = {Path(d["path"]).name: d for d in result["documents"]}
    assert sorted(by_name) == ["amendment.pdf", "lease.pdf", "letter.pdf"]
    assert result["collection"] == "Demo"
    assert all(d["collection"] == "Demo" for d in by_name.values())
    recorded = [line for line in (DEMO / "run.jsonl").read_text("utf-8").splitlines()]
    assert result["events_sent"] == len(reply.events) == len(recorded)
    citations = cited(reply)
    assert [c["status"] for c in citations] == ["verified", "verified", "verified",
                                                "relocated"]
    for citation in citations:   # each names the library's document of that file
        doc = by_name[Path(str(citation["path"])).name]
        assert citation["doc_id"] == doc["id"] and citation["title"] == doc["title"]
        assert Path(str(citation["path"])).parent == DEMO / "documents"
    # Really rewritten: the recording's lease is document 1, which is notes.txt here.
    recorded_ids = {name: int(doc) for doc, name in re.findall(
        r'"doc_id": (\d+), "path": "demo/documents/(\w+\.pdf)"', "".join(recorded))}
    assert recorded_ids["lease.pdf"] == 1 and by_name["lease.pdf"]["id"] != 1
    # The answer's markers name the same documents as its citations, in the event and the run.
    [answer] = [e for e in reply.events if e["type"] == "answer"]
    for text in (answer["text"], result["run"]["answer"]):
        markers = parse_markers(text)
        assert [m.doc_id for m in markers] == [c["doc_id"] for c in citations]
    assert result["run"]["status"] == "finished" and result["run"]["stop_reason"] == "answered"
    # The list of documents the model was shown names them by their new ids too.
    [started] = [e for e in reply.events if e["type"] == "run_started"]
    lease = by_name["lease.pdf"]
    assert f"- [{lease['id']}] {lease['title']}" in started["first_message"]
    # The viewer's page text of a cited page holds the quote.
    first = citations[0]
    page = worker.call("page_text", {"doc_id": first["doc_id"], "page": first["page"]}).result
    assert str(first["quote"]) in " ".join(page["text"].split())
    assert page["label"] == first["page_label"] == "3"


def test_opening_it_again_reuses_the_documents(worker: WorkerProcess) -> None:
    first = worker.call("open_demo", {"folder": str(DEMO)}).result
    second = worker.call("open_demo", {"folder": str(DEMO)}).result
    assert [d["id"] for d in second["documents"]] == [d["id"] for d in first["documents"]]
    documents = worker.call("documents", {"collection": "Demo"}).result
    assert len(documents) == 3
    settings = worker.call("settings_get").result   # nothing was set up to see the demo
    assert not settings["settings"]["root"]["model"]


def test_a_missing_demo_is_said_plainly(worker: WorkerProcess, tmp_path: Path) -> None:
    reply = worker.call("open_demo", {"folder": str(tmp_path / "nowhere")})
    assert not reply.ok and reply.line["kind"] == "config"
    assert "reinstall" in reply.line["error"] and not reply.events


def test_rewrite_leaves_unknown_ids_and_other_events_alone() -> None:
    answer = ev.AnswerReady(run_id="r", text='A [[cite doc=1 page=2 quote="x \\"y\\""]] and '
                                             "[[cite doc=9 page=1]].")
    out = demo.rewrite(answer, {1: 40}, {})
    assert isinstance(out, ev.AnswerReady)
    assert [(m.doc_id, m.page, m.quote) for m in parse_markers(out.text)] == [
        (40, 2, 'x "y"'), (9, 1, None)]
    started = ev.SubCallStarted(run_id="r", call_id="c", kind="llm_query", model="m",
                                prompt_preview="=== DOCUMENT 1: T === --- doc 1, page 2 --- "
                                "document 1 stays", prompt_chars=1)
    preview = demo.rewrite(started, {1: 7}, {})
    assert isinstance(preview, ev.SubCallStarted)
    assert preview.prompt_preview == ("=== DOCUMENT 7: T === --- doc 7, page 2 --- "
                                      "document 1 stays")
    cell = ev.CellFinished(run_id="r", iteration=1, cell=1, output="doc 1")
    assert demo.rewrite(cell, {1: 7}, {}) is cell
