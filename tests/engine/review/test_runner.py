"""A review through the real path: cells answered by a scripted helper model, read into their
types, quotes checked, failures kept to one cell, the budget, resume after a stop."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from engine.cli.main import main
from engine.config import Limits
from engine.endpoints import Endpoint
from engine.providers.prices import Price, PriceTable
from engine.review import runner as review_runner
from engine.review.runner import ReviewRunner
from engine.rlm.clients import ClientPool
from engine.store import reviews as store
from engine.store.library import Library
from engine.store.trajectory import read_events
from tests.engine.ingest.makers import make_pdf
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply

RENT = store.ColumnSpec("Rent", "What is the monthly rent?", "money")
LAW = store.ColumnSpec("Governing law", "Which law governs?", "choice",
                       ("English", "New York"))
ENDS = store.ColumnSpec("End date", "When does the term end?", "date")


def library_with_leases(tmp_path: Path, count: int = 2) -> list[int]:
    folder = tmp_path / "leases"
    folder.mkdir()
    for i in range(count):
        make_pdf(folder / f"lease{i}.pdf",
                 [f"Lease {i} between Acme and Tenant {i}.",
                  f"The rent is EUR {1000 + i},00 per month. This lease is governed by "
                  "English law."])
    assert main(["ingest", str(folder), "--collection", "leases", "-q", "--ocr", "off"]) == 0
    with Library() as library:
        return [d.id for d in library.documents(collection="leases")]


def lease_answers(request: ChatRequest) -> Reply | str:
    """A helper that reads the document it was given, as a careful model would."""
    text = request.last_user
    question = re.search(r"Question: (.*)", text)
    assert question, "a direct cell sends one question"
    lease = re.search(r"Lease (\d+) between", text)
    assert lease
    n = int(lease.group(1))
    if "rent" in question.group(1):
        return (f"ANSWER: EUR {1000 + n}.00\nEXPLANATION: Page 2 sets the rent.\nQUOTES:\n"
                f'- page 2: "The rent is EUR {1000 + n},00 per month"')
    if "law" in question.group(1):
        return ('ANSWER: English\nEXPLANATION: The governing law clause.\nQUOTES:\n'
                '- page 1: "governed by English law"')     # on page 2, in fact: relocated
    return "ANSWER: NOT STATED\nEXPLANATION: The lease gives no end date.\nQUOTES:\n"


def make_runner(server: FakeOpenAI, **kwargs: Any) -> ReviewRunner:
    limits = Limits(max_retries=0)
    prices = PriceTable({"fake-sub": Price(input=1.0, output=2.0)})
    pool = ClientPool(Endpoint("fake-root", server.base_url), Endpoint("fake-sub",
                                                                        server.base_url),
                      prices, limits)
    return ReviewRunner(library_path=None, pool=pool, limits=limits, **kwargs)


async def run_review(runner: ReviewRunner, review_id: str, **plan: Any) -> Any:
    try:
        plans = await runner.plan(review_id, **plan)
        return plans, await runner.run(review_id, plans)
    finally:
        await runner.close()
        await runner.pool.aclose()


def test_cells_are_typed_cited_and_stored_as_they_finish(tmp_path: Path) -> None:
    doc_ids = library_with_leases(tmp_path)
    with Library() as library:
        review_id = store.create_review(library.conn, "Leases", "leases", [RENT, LAW, ENDS],
                                        doc_ids)
    seen: list[int] = []
    events: list[Any] = []
    with FakeOpenAI(lease_answers) as server:
        runner = make_runner(server, on_cell=lambda cell, progress: seen.append(progress.done),
                             emit=events.append)
        plans, outcome = asyncio.run(run_review(runner, review_id))
    assert {p.strategy for p in plans} == {"direct"} and len(plans) == 6
    assert outcome.stopped_reason is None and outcome.ran == 6 and seen == [1, 2, 3, 4, 5, 6]
    assert [e.type for e in events] == ["review_started"] + ["review_cell"] * 6 + \
        ["review_finished"]
    assert events[0].total == 6 and events[0].estimate_usd and events[-1].ran == 6
    assert events[-2].done == 6 and events[-2].cost_usd == outcome.progress.cost_usd
    with Library() as library:
        cells = {(c.doc_id, c.column_id): c for c in store.cells(library.conn, review_id)}
        record = store.require_review(library.conn, review_id)
    rent, law, ends = record.columns
    first = cells[(doc_ids[0], rent.id)]
    assert first.status == store.ANSWERED and first.strategy == "direct"
    assert first.value["currency"] == "EUR" and first.shown.startswith("EUR 1,00")
    assert [c["status"] for c in first.citations] == ["verified"]
    assert first.cost_usd and first.cost_usd > 0 and first.tokens > 0
    # Each cell is charged its own calls, however many ran at the same time.
    assert sum(c.cost_usd or 0 for c in cells.values()) == pytest.approx(
        outcome.progress.cost_usd)
    governing = cells[(doc_ids[1], law.id)]
    assert governing.value == "English"
    assert governing.citations[0]["status"] == "relocated" and governing.citations[0]["page"] == 2
    missing = cells[(doc_ids[0], ends.id)]
    assert missing.status == store.NOT_STATED and missing.shown == "Not in this document"
    assert record.status == "finished"


def test_a_failing_call_costs_one_cell_and_unreadable_answers_say_why(tmp_path: Path) -> None:
    doc_ids = library_with_leases(tmp_path)
    with Library() as library:
        review_id = store.create_review(library.conn, "Leases", "leases", [RENT, ENDS],
                                        doc_ids)

    def script(request: ChatRequest) -> Reply | str:
        question = request.last_user.split("Question:")[-1]
        if "Lease 1 between" in request.last_user and "rent" in question:
            return Reply(fault="500")
        if "end" in question:
            return "ANSWER: at the end of the second year\nEXPLANATION: clause 2"
        return lease_answers(request)

    with FakeOpenAI(script) as server:
        _, outcome = asyncio.run(run_review(make_runner(server), review_id))
    assert outcome.ran == 4 and outcome.progress.failed == 1
    with Library() as library:
        by_status = {c.status: c for c in store.cells(library.conn, review_id)}
    assert "the AI service failed" in by_status[store.FAILED].problem
    assert by_status[store.UNREADABLE].problem.startswith("could not read a date from:")
    assert by_status[store.UNREADABLE].raw == "at the end of the second year"


def test_the_budget_stops_the_review_and_resume_runs_only_what_is_missing(
        tmp_path: Path) -> None:
    doc_ids = library_with_leases(tmp_path, count=4)
    with Library() as library:
        review_id = store.create_review(library.conn, "Leases", "leases", [RENT, LAW],
                                        doc_ids)
    with FakeOpenAI(lease_answers) as server:
        # One call costs about $0.0003 at these prices: a budget of two calls, one at a time.
        runner = make_runner(server, budget_usd=0.0005, concurrency=1)
        _, stopped = asyncio.run(run_review(runner, review_id))
        assert stopped.stopped_reason == "budget" and 1 <= stopped.ran < 8
        asked = len(server.requests)
        with Library() as library:
            done = len(store.cells(library.conn, review_id))
            assert store.get_review(library.conn, review_id).status == "stopped"
        plans, resumed = asyncio.run(run_review(make_runner(server), review_id))
        assert len(plans) == 8 - done and resumed.stopped_reason is None
        assert len(server.requests) == asked + len(plans)     # nothing answered twice
    with Library() as library:
        assert len(store.cells(library.conn, review_id)) == 8


def test_a_long_document_is_answered_by_its_own_recursive_run(tmp_path: Path,
                                                              monkeypatch: Any) -> None:
    doc_ids = library_with_leases(tmp_path, count=1)
    with Library() as library:
        review_id = store.create_review(library.conn, "Leases", "leases", [RENT], doc_ids)
    monkeypatch.setattr(review_runner, "DEFAULT_WINDOW_TOKENS", 500)   # nothing fits

    final = ('```repl\nhits = [p for p in range(1, 3) if "rent" in context]\n'
             'FINAL("ANSWER: EUR 1000.00\\nEXPLANATION: The rent clause.\\nQUOTES:\\n'
             '- page 2: \\"The rent is EUR 1000,00 per month\\"")\n```')

    def script(request: ChatRequest) -> Reply | str:
        assert request.model == "fake-root"
        return final

    with FakeOpenAI(script) as server:
        runner = make_runner(server, runs_folder=tmp_path / "runs")
        plans, outcome = asyncio.run(run_review(runner, review_id))
    assert [p.strategy for p in plans] == ["rlm"] and outcome.ran == 1
    with Library() as library:
        cell, = store.cells(library.conn, review_id)
    assert cell.strategy == "rlm" and cell.run_id and cell.status == store.ANSWERED
    assert cell.value == {"amount": "1000", "currency": "EUR"}
    assert cell.citations[0]["status"] == "verified"
    # The run that produced it is kept, as a question's record is.
    kinds = [e.type for e in read_events(tmp_path / "runs" / f"{cell.run_id}.jsonl")]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"


@pytest.mark.parametrize("stop_after", [1])
def test_cancel_leaves_the_cells_in_flight_to_resume(tmp_path: Path, stop_after: int) -> None:
    doc_ids = library_with_leases(tmp_path, count=3)
    with Library() as library:
        review_id = store.create_review(library.conn, "Leases", "leases", [RENT], doc_ids)

    async def cancelled(runner: ReviewRunner) -> Any:
        cancel = asyncio.Event()
        runner.on_cell = lambda cell, progress: cancel.set()
        try:
            plans = await runner.plan(review_id)
            return await runner.run(review_id, plans, cancel)
        finally:
            await runner.close()
            await runner.pool.aclose()

    with FakeOpenAI(lambda r: Reply(content=str(lease_answers(r)), latency=0.3)) as server:
        outcome = asyncio.run(cancelled(make_runner(server, concurrency=1)))
    assert outcome.stopped_reason == "cancelled" and outcome.ran == stop_after
    with Library() as library:
        assert len(store.missing_cells(library.conn, review_id)) == 3 - stop_after


def test_answers_slow_down_for_a_service_that_refuses_more_than_three_at_once(
        tmp_path: Path) -> None:
    doc_ids = library_with_leases(tmp_path, count=6)
    with Library() as library:
        review_id = store.create_review(library.conn, "Leases", "leases", [RENT, LAW],
                                        doc_ids)
    events: list[Any] = []
    with FakeOpenAI(lambda r: Reply(content=str(lease_answers(r)), latency=0.05)) as server:
        server.limit_in_flight(3, retry_after=0.05)
        # No retries: only the adaptive limit carries the review through the 429s.
        _, outcome = asyncio.run(run_review(make_runner(server, concurrency=8,
                                                        emit=events.append), review_id))
        refused = server.rate_limited
    assert outcome.ran == 12 and outcome.progress.failed == 0 and refused > 0
    slowed = [e for e in events if e.type == "concurrency_changed"]
    assert slowed and slowed[0].limit < 8 and slowed[0].run_id == review_id
