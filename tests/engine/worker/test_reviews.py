"""The review commands through a real worker: create from questions and a template, run with
its events streamed, busy while running, cancel within 2 s, mark, export, delete."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.engine.ingest.makers import make_pdf
from tests.engine.review.test_runner import lease_answers
from tests.engine.worker.harness import WorkerProcess, write_settings
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply

RENT = {"question": "What is the monthly rent?", "kind": "money", "name": "Rent"}
LAW = {"question": "Which law governs?", "kind": "choice", "choices": ["English", "New York"]}


def script(request: ChatRequest) -> Reply | str:
    if "slow" in request.last_user.split("Question:")[-1]:
        return Reply(content="ANSWER: yes", latency=5.0)
    if "Lease 1 between" in request.last_user and "law" in request.last_user.split(
            "Question:")[-1]:
        return Reply(fault="500")
    return lease_answers(request)


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    home = tmp_path_factory.mktemp("review-home")
    env = dict(os.environ, XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), HOME=str(home))
    folder = home / "leases"
    folder.mkdir()
    for i in range(3):
        make_pdf(folder / f"lease{i}.pdf",
                 [f"Lease {i} between Acme and Tenant {i}.",
                  f"The rent is EUR {1000 + i},00 per month. This lease is governed by "
                  "English law."])
    with FakeOpenAI(script) as server:
        write_settings(home / "config", server.base_url, limits={"max_retries": 0})
        process = WorkerProcess(env)
        try:
            assert process.call("ingest", {"paths": [str(folder)], "collection": "leases"}).ok
            yield process
        finally:
            process.close()


def create(worker: WorkerProcess, **args: Any) -> dict[str, Any]:
    reply = worker.call("review_create", {"collection": "leases", **args})
    return dict(reply.result)


def test_a_review_runs_streams_its_answers_and_is_marked_and_exported(
        worker: WorkerProcess, tmp_path: Path) -> None:
    review = create(worker, columns=[RENT, LAW])
    assert review["name"] == "leases" and len(review["doc_ids"]) == 3
    assert [c["name"] for c in review["columns"]] == ["Rent", "Which law governs?"]
    run = worker.call("review_run", {"review_id": review["id"]}, timeout=120)
    assert run.result["ran"] == 6 and run.result["failed"] == 1
    assert run.result["stopped"] is None and run.result["cost_usd"] > 0
    types = run.types()
    assert types[0] == "review_started" and types[-1] == "review_finished"
    assert types.count("review_cell") == 6
    assert run.events[0]["estimate_usd"] > 0

    table = worker.call("review_table", {"review_id": review["id"]}).result
    assert [d["id"] for d in table["documents"]] == review["doc_ids"]
    assert all(d["display_path"].endswith(".pdf") for d in table["documents"])
    by_status: dict[str, list[dict[str, Any]]] = {}
    for cell in table["cells"]:
        by_status.setdefault(cell["status"], []).append(cell)
    assert len(by_status["answered"]) == 5
    assert "the AI service failed" in by_status["failed"][0]["problem"]
    rent = next(c for c in by_status["answered"] if c["column_id"] == review["columns"][0]["id"])
    assert rent["value"]["currency"] == "EUR" and rent["citations"][0]["status"] == "verified"

    marked = worker.call("review_mark", {"review_id": review["id"], "doc_id": rent["doc_id"],
                                         "column_id": rent["column_id"], "reviewed": True,
                                         "flagged": True, "note": "check the index"}).result
    assert marked["reviewed"] and marked["flagged"] and marked["note"] == "check the index"
    again = worker.call("review_table", {"review_id": review["id"]}).result
    stored = next(c for c in again["cells"] if c["doc_id"] == rent["doc_id"]
                  and c["column_id"] == rent["column_id"])
    assert stored["reviewed"] and stored["note"] == "check the index"

    # Marks sent without waiting (clicks in quick succession) are written in order: each
    # reply holds every change up to its own, and the replies come in that order.
    where = {"review_id": review["id"], "doc_id": rent["doc_id"],
             "column_id": rent["column_id"]}
    changes = [{"reviewed": i % 2 == 0} if i % 3 == 0 else {"flagged": i % 2 == 1}
               if i % 3 == 1 else {"note": f"note {i}"} for i in range(15)]
    sent = [worker.send("review_mark", {**where, **change}) for change in changes]
    replies = [worker.wait(request_id).result for request_id in sent]
    state = {"reviewed": True, "flagged": True, "note": "check the index"}
    for change, reply in zip(changes, replies, strict=True):
        state.update(change)
        assert {k: reply[k] for k in state} == state
    arrived = [json.loads(line)["id"] for line in worker.raw
               if json.loads(line).get("id") in sent and "event" not in json.loads(line)]
    assert arrived == sent

    # Re-run the failed one: only it is asked again (the fake fails it again).
    rerun = worker.call("review_run", {"review_id": review["id"], "again": ["failed"]},
                        timeout=60)
    assert rerun.result["ran"] == 1

    out = tmp_path / "review.xlsx"
    written = worker.call("review_export", {"review_id": review["id"], "path": str(out),
                                            "format": "xlsx"}).result
    assert written["bytes"] == out.stat().st_size > 0 and written["questions"] == 2
    grid = openpyxl.load_workbook(out)["Review"]
    assert [c.value for c in grid[1]] == ["Document", "Rent", "Which law governs?"]
    assert grid["B2"].value == 1000

    listed = worker.call("reviews").result
    assert any(r["id"] == review["id"] and r["done"] == 5 for r in listed)
    assert worker.call("review_delete", {"review_id": review["id"]}).result == {"deleted": True}
    gone = worker.call("review_table", {"review_id": review["id"]})
    assert not gone.ok and gone.line["kind"] == "config"


def test_one_run_at_a_time_and_cancel_stops_within_two_seconds(worker: WorkerProcess) -> None:
    review = create(worker, columns=[{"question": "Is it slow?", "kind": "yesno"}])
    first = worker.send("review_run", {"review_id": review["id"]})
    worker.wait_event(first, "review_started")
    busy = worker.call("review_run", {"review_id": review["id"]})
    assert not busy.ok and busy.line["kind"] == "busy" and "already running" in \
        busy.line["error"]
    started = time.monotonic()
    assert worker.call("cancel", {"target": first}).result == {"cancelled": True}
    reply = worker.wait(first, timeout=10)
    assert time.monotonic() - started < 2.0
    assert reply.result["stopped"] == "cancelled" and reply.result["ran"] == 0
    assert reply.types()[-1] == "review_finished"
    listed = {r["id"]: r for r in worker.call("reviews").result}
    assert listed[review["id"]]["status"] == "stopped" and not listed[review["id"]]["running"]


def test_a_template_and_words_for_mistakes(worker: WorkerProcess, tmp_path: Path) -> None:
    templates = worker.call("review_templates").result
    assert {t["name"] for t in templates} >= {"lease", "contract"}
    review = create(worker, template="lease", name="Due diligence")
    assert review["name"] == "Due diligence" and len(review["columns"]) > 5
    ids = review["doc_ids"][:1]
    picked = worker.call("review_create", {"document_ids": ids, "columns": [RENT]}).result
    assert picked["doc_ids"] == ids and picked["collection"] is None
    added = worker.call("review_add", {"review_id": picked["id"], "columns": [LAW],
                                       "document_ids": review["doc_ids"]}).result
    assert len(added["review"]["columns"]) == 2 and added["documents_added"] == 2
    for cmd, args, kind, words in [
        ("review_create", {"columns": [RENT]}, "usage", "say which documents"),
        ("review_create", {"collection": "leases"}, "config", "add at least one question"),
        ("review_create", {"collection": "leases", "columns": [{"question": "x",
                                                                "kind": "colour"}]},
         "config", ""),
        ("review_run", {"review_id": picked["id"], "again": ["bogus"]}, "usage", "again"),
        ("review_mark", {"review_id": picked["id"], "doc_id": ids[0], "column_id": 0,
                         "reviewed": True}, "config", "has not been found yet"),
        ("review_export", {"review_id": picked["id"], "path": str(tmp_path / "x.pdf")},
         "usage", "Excel (.xlsx), CSV (.csv) or Word (.docx)"),
        ("review_export", {"review_id": picked["id"], "path": str(tmp_path / "no" / "x.csv")},
         "config", "does not exist"),
    ]:
        reply = worker.call(cmd, args)
        assert not reply.ok and reply.line["kind"] == kind, (cmd, reply.line)
        assert words in reply.line["error"], reply.line


def _config_home(worker: WorkerProcess) -> str:
    hello = worker.call("hello").result
    return str(Path(hello["config_dir"]).parent)


def test_a_spending_limit_needs_the_models_prices(worker: WorkerProcess) -> None:
    prices = Path(_config_home(worker)) / "rlm-desktop" / "prices.json"
    kept = prices.read_text(encoding="utf-8")
    prices.write_text(json.dumps({"fake-root": {"input": 1.0, "output": 2.0}}),
                      encoding="utf-8")        # the helper model's price is unknown
    try:
        reply = worker.call("review_create", {"collection": "leases", "columns": [RENT],
                                              "budget_usd": 1.0})
        assert not reply.ok and reply.line["kind"] == "config"
        assert "set the limit to 0 for no limit" in reply.line["error"]
        assert worker.call("review_create", {"collection": "leases", "columns": [RENT]}).ok
    finally:
        prices.write_text(kept, encoding="utf-8")
