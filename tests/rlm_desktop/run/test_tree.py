"""The run panel's Qt-free model: events folded into runs, steps, cells and sub-queries."""

from __future__ import annotations

from datetime import UTC, datetime

from engine import events as ev
from rlm_desktop.run import format as fmt
from rlm_desktop.run.tree import CellNode, NoticeNode, ResponseNode, RunTree
from tests.rlm_desktop.run_samples import SampleRun


def build(events: list[dict]) -> RunTree:
    tree = RunTree()
    for event in events:
        tree.apply(event)
    return tree


def cells(run) -> list[CellNode]:
    return [item for step in run.steps for item in step.items if isinstance(item, CellNode)]


def test_events_in_order_build_steps_cells_and_calls() -> None:
    sample = SampleRun()
    sample.run(steps=6, calls_per_cell=12, child_at=(4,), child_steps=3)
    tree = build(sample.events)
    root = tree.root
    assert root is not None and root.run_id == "r1"
    assert [s.number for s in root.steps] == [1, 2, 3, 4, 5, 6]
    assert all(s.max_iterations == 30 for s in root.steps)
    assert [c.number for c in cells(root)] == [1, 2, 3, 4, 5, 6]
    assert [len(c.calls) for c in cells(root)] == [0, 0, 12, 1, 0, 0]
    # Each step holds the model's reply first, then its cell.
    assert [type(i) for i in root.steps[0].items] == [ResponseNode, CellNode]
    assert isinstance(root.steps[1].items[0], NoticeNode)  # the retry came before the reply
    assert root.answer and root.stop_reason == "answered" and root.finished
    assert cells(root)[4].error and "KeyError" in cells(root)[4].error
    assert root.sandbox and root.sandbox["enforced"] is True
    assert tree.budget_usd == 1.0
    assert tree.events == len(sample.events) and tree.ignored == 0


def test_child_runs_nest_under_their_rlm_query() -> None:
    sample = SampleRun()
    sample.run(steps=4, calls_per_cell=2, child_at=(4,), child_steps=3)
    tree = build(sample.events)
    call = cells(tree.root)[3].calls[0]
    assert call.kind == "rlm_query" and call.depth == 1
    child = call.child
    assert child is not None and child.depth == 1 and child.up is call
    assert child.question.startswith("Does this amendment")
    assert [s.number for s in child.steps] == [1, 2, 3]
    assert [len(c.calls) for c in cells(child)] == [0, 0, 3]
    assert all(c.depth == 2 for c in cells(child)[2].calls)
    assert child.finished and child.answer
    # The helper's calls count in the rlm_query, its cell, its step and the root run.
    child_calls = sum(1 for e in sample.events if e["type"] == "usage_totals" and e["depth"] == 1)
    assert child.usage.calls == child_calls == call.usage.calls
    assert call.prompt_tokens + call.completion_tokens == child.usage.tokens
    assert tree.root.usage.calls == sample.calls
    assert tree.orphans == []


def test_interleaved_calls_land_in_the_cell_that_made_them() -> None:
    ids = {"run_id": "r", "depth": 0}
    kid = {"run_id": "r.1", "depth": 1, "parent_run_id": "r", "parent_call_id": "r:2"}
    events = [
        ev.RunStarted(**ids, question="q", root_model="m", sub_model="s", context_chars=10,
                      documents=1, limits={"max_iterations": 5}),
        ev.IterationStarted(**ids, iteration=1, max_iterations=5),
        ev.CellStarted(**ids, iteration=1, cell=1, code="a = llm_query_batched(p)"),
        ev.SubCallStarted(**ids, call_id="r:1", kind="llm_query", model="s",
                          prompt_preview="one", prompt_chars=3, iteration=1, cell=1),
        ev.SubCallStarted(**ids, call_id="r:2", kind="rlm_query", model="s",
                          prompt_preview="two", prompt_chars=3, iteration=1, cell=1),
        ev.RunStarted(**kid, question="two", root_model="s", sub_model="s", context_chars=5,
                      documents=0, limits={"max_iterations": 5}),
        ev.IterationStarted(**kid, iteration=1, max_iterations=5),
        ev.CellStarted(**kid, iteration=1, cell=1, code="llm_query('x')"),
        ev.SubCallStarted(**kid, call_id="r.1:1", kind="llm_query", model="s",
                          prompt_preview="x", prompt_chars=1, iteration=1, cell=1),
        # The parent's first call finishes while the child is busy.
        ev.SubCallFinished(**ids, call_id="r:1", kind="llm_query", model="s",
                           response_preview="ONE", prompt_tokens=10, completion_tokens=2,
                           cost_usd=0.001),
        ev.SubCallFinished(**kid, call_id="r.1:1", kind="llm_query", model="s",
                           response_preview="X", prompt_tokens=5, completion_tokens=1,
                           cost_usd=0.0005),
        ev.CellFinished(**kid, iteration=1, cell=1, output="X"),
        ev.RunFinished(**kid, stop_reason="answered", duration_s=1.0),
        ev.SubCallFinished(**ids, call_id="r:2", kind="rlm_query", model="s",
                           response_preview="TWO", prompt_tokens=5, completion_tokens=1,
                           cost_usd=0.0005),
        ev.CellFinished(**ids, iteration=1, cell=1, output="done"),
    ]
    tree = build([e.to_json() for e in events])
    (cell,) = cells(tree.root)
    assert [c.call_id for c in cell.calls] == ["r:1", "r:2"]
    assert cell.calls[0].response_preview == "ONE" and cell.calls[0].finished
    child = cell.calls[1].child
    assert child is not None
    (child_cell,) = cells(child)
    assert [c.call_id for c in child_cell.calls] == ["r.1:1"]
    assert cell.usage.calls == 2  # r:1 itself and the helper's one call (r:2 is not a call)
    assert abs(tree.root.usage.known_cost_usd - 0.0015) < 1e-12


def test_totals_prefer_the_usage_event_and_unknown_prices_stay_unknown() -> None:
    sample = SampleRun(unpriced=True)
    sample.run(steps=3, calls_per_cell=4, child_at=())
    tree = build(sample.events)
    totals = tree.totals()
    assert totals.calls == sample.calls
    assert totals.tokens == sample.prompt_tokens + sample.completion_tokens
    assert totals.cost_usd is None
    assert totals.unpriced_models == ["gpt-5-mini"]
    assert totals.known_cost_usd > 0
    assert tree.root.usage.cost_usd is None and tree.root.usage.unpriced == 4
    assert fmt.money(totals.cost_usd) == "unknown"


def test_totals_without_usage_events_come_from_the_tree() -> None:
    sample = SampleRun()
    sample.run(steps=3, calls_per_cell=4, child_at=())
    tree = build([e for e in sample.events if e["type"] != "usage_totals"])
    totals = tree.totals()
    assert totals.calls == sample.calls
    assert abs((totals.cost_usd or 0) - sample.known_cost) < 1e-9


def test_close_keeps_what_arrived_and_marks_the_rest_unfinished() -> None:
    sample = SampleRun()
    sample.run(steps=3, calls_per_cell=4, child_at=(), finish=False)
    events = sample.events[:-3]  # cut inside step 3: calls started, the cell never finished
    tree = build(events)
    root = tree.close("worker_died", error="The engine stopped unexpectedly.")
    assert root.stop_reason == "worker_died" and root.error.startswith("The engine")
    assert root.answer is None
    last = cells(root)[-1]
    assert last.interrupted and not last.finished
    assert any(c.interrupted for c in last.calls)
    assert all(c.finished for c in cells(root)[:-1])
    assert len(root.steps) == 3


def test_close_without_any_event_still_gives_a_run() -> None:
    tree = RunTree()
    root = tree.close("failed", error="No model is set up.", question="Why?")
    assert tree.root is root and root.question == "Why?" and root.error == "No model is set up."


def test_close_fills_a_missing_answer_but_keeps_the_events_ending() -> None:
    sample = SampleRun()
    sample.run(steps=2, child_at=())
    tree = build(sample.events)
    root = tree.close("cancelled", answer="other")
    assert root.stop_reason == "answered" and root.answer.startswith("Two clauses")


def test_other_events_are_ignored_and_lost_starts_still_show() -> None:
    tree = RunTree()
    assert not tree.apply(ev.IngestProgress(files_done=1, files_total=2, pages_done=3).to_json())
    assert not tree.apply({"type": "mystery", "run_id": "r"})
    ids = {"run_id": "r", "depth": 0}
    tree.apply(ev.CellStarted(**ids, iteration=2, cell=1, code="x").to_json())
    tree.apply(ev.SubCallFinished(**ids, call_id="r:9", kind="llm_query", model="s",
                                  response_preview="late").to_json())
    (cell,) = cells(tree.root)
    assert cell.calls[0].response_preview == "late" and tree.root.steps[0].number == 2
    assert tree.ignored == 2


def test_versions_grow_up_the_tree() -> None:
    sample = SampleRun()
    sample.run(steps=4, calls_per_cell=2, child_at=(4,), finish=False)
    tree = build(sample.events)
    call = cells(tree.root)[3].calls[0]
    before = (tree.root.version, cells(tree.root)[3].version, tree.root.steps[0].version)
    child = call.child
    tree.apply(ev.Notice(run_id=child.run_id, depth=1, parent_call_id=call.call_id,
                         level="info", message="hello").to_json())
    assert tree.root.version > before[0] and cells(tree.root)[3].version > before[1]
    assert tree.root.steps[0].version == before[2]  # an unrelated step is untouched


def test_formatting_for_people() -> None:
    assert fmt.money(None) == "unknown"
    assert fmt.money(0.00042) == "$0.00042"
    assert fmt.money(0.0123) == "$0.012"
    assert fmt.money(1.5) == "$1.50"
    assert fmt.money(0) == "$0.00"
    assert fmt.clock(75) == "1:15" and fmt.clock(3725) == "1:02:05"
    assert fmt.seconds(0.42) == "0.42 s" and fmt.seconds(125) == "2 min 05 s"
    assert fmt.compact(12_345) == "12.3k" and fmt.compact(999) == "999"
    assert fmt.stop_title("max_iterations") == "Stopped at the step limit"
    assert fmt.stop_title("something_new") == "Something new"
    assert fmt.notice_text("the price of model 'x' is unknown, so its cost is not counted; "
                           "add it with --prices FILE").endswith("add it in Settings, Prices")
    assert fmt.reply_prose("Look:\n```repl\nprint(1)\n```\nThen more.") == "Look:\n\nThen more."
    assert fmt.plain_error('Traceback (most recent call last):\n  File "x"\nKeyError: 1') == \
        "Something went wrong in the model's code. Show details to see the error."
    assert fmt.plain_error("The AI service refused the key.\nMore lines.") == \
        "The AI service refused the key."
    now = datetime(2025, 11, 20, 15, 0, tzinfo=UTC).astimezone()
    assert fmt.when(now.isoformat(), now=now).startswith("Today")
    assert fmt.when("2019-01-02T03:04:05.000Z", now=now).endswith("2019")


def test_a_held_back_answer_is_a_plain_notice_in_its_step() -> None:
    ids = {"run_id": "r", "depth": 0}
    tree = RunTree()
    tree.apply(ev.IterationStarted(**ids, iteration=2, max_iterations=30).to_json())
    tree.apply(ev.AnswerHeldBack(**ids, iteration=2, answer="The code\nis " + "9" * 400,
                                 reason=ev.HoldReason.UNSEEN_OUTPUT, unseen_chars=8).to_json())
    (notice,) = tree.root.steps[0].items
    assert isinstance(notice, NoticeNode) and notice.level == "info"
    assert notice.message.startswith(
        "The model answered before reading its results; it was shown them and asked to "
        "confirm. The answer it gave first: The code is 999")
    assert len(notice.message) < 450 and notice.message.endswith("…")
    tree.apply(ev.AnswerHeldBack(**ids, iteration=2, answer="x",
                                 reason=ev.HoldReason.FIRST_REPLY).to_json())
    assert "before looking at the documents" in tree.root.steps[0].items[1].message
