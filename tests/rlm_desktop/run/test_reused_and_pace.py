"""The run panel says when a helper question's answer was reused (no cost), and, in the
details view, how many helper questions go out at once as the AI service slows us down."""

from __future__ import annotations

from typing import Any

import pytest

from engine import events as ev
from rlm_desktop.run.calls import CallsTable
from rlm_desktop.run.panel import RunPanel
from rlm_desktop.run.tree import RunTree

IDS: dict[str, Any] = {"run_id": "r", "depth": 0}


def events() -> list[dict[str, Any]]:
    made = [
        ev.RunStarted(**IDS, question="q", root_model="big", sub_model="mini",
                      context_chars=100, documents=1, limits={"max_iterations": 5}),
        ev.IterationStarted(**IDS, iteration=1, max_iterations=5),
        ev.ModelResponse(**IDS, iteration=1, model="big", text="```repl\nx\n```",
                         prompt_tokens=10, completion_tokens=5, cost_usd=0.01),
        ev.CellStarted(**IDS, iteration=1, cell=1, code="x"),
    ]
    for number, cached in ((1, False), (2, True)):
        made.append(ev.SubCallStarted(**IDS, call_id=f"r:{number}", kind="llm_query",
                                      model="mini", prompt_preview="read page 1",
                                      prompt_chars=11, iteration=1, cell=1))
        made.append(ev.SubCallFinished(
            **IDS, call_id=f"r:{number}", kind="llm_query", model="mini",
            response_preview="it says yes", response_chars=11,
            prompt_tokens=0 if cached else 20, completion_tokens=0 if cached else 3,
            cost_usd=0.0 if cached else 0.002, latency_s=0.0 if cached else 0.7,
            cached=cached))
    made += [
        ev.ConcurrencyChanged(**IDS, previous=32, limit=16, reason="rate_limited",
                              ceiling=32, pause_s=2.0),
        ev.UsageTotals(**IDS, calls=2, prompt_tokens=30, completion_tokens=8, cached_tokens=0,
                       cost_usd=0.012, known_cost_usd=0.012),
        ev.CellFinished(**IDS, iteration=1, cell=1, output="ok"),
    ]
    return [event.to_json() for event in made]


def test_the_tree_counts_no_model_call_for_a_reused_answer() -> None:
    tree = RunTree()
    for event in events():
        assert tree.apply(event)
    first, second = tree.calls["r:1"], tree.calls["r:2"]
    assert (first.cached, second.cached) == (False, True)
    assert tree.root is not None and tree.root.usage.calls == 2   # the reply and one call
    assert tree.pace is not None and tree.pace["limit"] == 16


@pytest.fixture
def panel(qtbot: Any) -> RunPanel:
    widget = RunPanel()
    qtbot.addWidget(widget)
    widget.resize(620, 900)
    widget.show()
    return widget


def test_the_panel_says_reused_and_shows_the_pace_in_the_details_view(panel: RunPanel) -> None:
    panel.begin("q")
    for event in events():
        panel.add_event(event)
    panel.flush()
    assert panel.helpers_box.value.text() == "2"
    assert panel.helpers_box.caption.text() == "Helper questions · 1 reused at no cost"
    assert "reused at no cost" in panel.helpers_box.toolTip()
    assert not panel.pace_label.isVisible()        # the plain view leaves it out
    panel.set_details(True)
    panel.flush()
    assert panel.pace_label.isVisible()
    assert panel.pace_label.text() == ("Helper questions at a time: 32 → 16 (the AI service "
                                       "asked us to slow down; waiting 2 s as it asked)")
    tables = panel.findChildren(CallsTable)
    assert tables
    table = tables[0]
    reused = table.topLevelItem(1)
    assert reused.text(0).endswith("→ (asked before: same answer reused, at no cost) it says yes")
    assert reused.text(2) == "reused"
    assert "nothing was sent" in reused.toolTip(0)
    assert table.topLevelItem(0).text(2).startswith("$")
