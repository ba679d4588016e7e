"""The live run panel: timeline, sub-query tables, helper runs, totals, Stop, replay, badge."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication

from rlm_desktop.replies import AskResult, RunRecord
from rlm_desktop.run import format as fmt
from rlm_desktop.run.calls import CallsTable
from rlm_desktop.run.cards import CellView, ChildRunBlock, RunTimeline, StepCard
from rlm_desktop.run.highlighter import PythonHighlighter
from rlm_desktop.run.items import OutcomeCard
from rlm_desktop.run.panel import RunPanel
from rlm_desktop.run.sandbox_badge import SandboxBadge, SandboxDetails, describe, details_html
from tests.rlm_desktop.run_samples import SANDBOX_STATUS, UNSANDBOXED_STATUS, SampleRun
from tests.support.fake_openai import ChatRequest, FakeOpenAI
from tests.support.harness import ask, repl


@pytest.fixture
def panel(qtbot: Any) -> RunPanel:
    widget = RunPanel()
    qtbot.addWidget(widget)
    widget.resize(620, 900)
    widget.show()
    return widget


def feed(panel: RunPanel, sample: SampleRun, question: str = "Which clauses?") -> None:
    panel.begin(question)
    for event in sample.events:
        panel.add_event(event)
    panel.flush()


def direct(widget: Any, cls: type) -> list[Any]:
    return widget.findChildren(cls, options=Qt.FindChildOption.FindDirectChildrenOnly)


def root_cells(panel: RunPanel) -> list[CellView]:
    assert panel.timeline is not None
    return [view for card in panel.timeline.steps for view in card.views
            if isinstance(view, CellView)]


def test_events_build_the_timeline_in_order(panel: RunPanel) -> None:
    panel.set_details(True)        # looks at code, output and token counts
    sample = SampleRun()
    sample.run(steps=6, calls_per_cell=12, child_at=(4,), finish=False)
    feed(panel, sample)
    timeline = panel.timeline
    assert isinstance(timeline, RunTimeline)
    assert [card.title.text() for card in timeline.steps] == [f"Step {n}" for n in range(1, 7)]
    assert timeline.steps[0].of.text() == "of 30"
    cells = root_cells(panel)
    assert [c.node.number for c in cells] == [1, 2, 3, 4, 5, 6]
    assert cells[0].code.block.toPlainText().startswith("print(len(context))")
    assert cells[0].output is not None and "Master Services" in cells[0].output.full
    assert cells[4].error is not None and "KeyError" in cells[4].error.full
    assert cells[4].status.text().startswith("error after")
    assert panel.status_label.full == "Working · step 6 of 30 · reading the output"
    assert panel.stop_button.isVisible() and panel.stop_button.isEnabled()
    assert panel.pending() == 0


def test_status_says_what_the_run_is_doing(panel: RunPanel) -> None:
    panel.set_details(True)        # looks at code, output and token counts
    sample = SampleRun()
    sample.run(steps=3, calls_per_cell=4, child_at=(), finish=False)
    events = sample.events
    first_call = next(i for i, e in enumerate(events) if e["type"] == "subcall_started")
    starts = [e for e in events if e["type"] == "subcall_started"]
    finishes = [e for e in events if e["type"] == "subcall_finished"]
    panel.begin("q")
    for event in [*events[:first_call], *starts]:       # a batch: four calls at once
        panel.add_event(event)
    panel.flush()
    assert panel.status_label.full == "Working · step 3 of 30 · 4 helper questions waiting"
    panel.add_event(finishes[0])
    panel.flush()
    assert panel.status_label.full.endswith("· 3 helper questions waiting")
    step = next(e for e in events if e["type"] == "iteration_started")
    panel.add_event(step | {"iteration": 4})
    panel.flush()
    assert panel.status_label.full == "Working · step 4 of 30 · waiting for gpt-5"


def test_elapsed_ticks_while_live_and_stops_at_the_end(panel: RunPanel) -> None:
    panel.begin("q")
    assert panel.time_box.value.text() == "0:00"
    panel._started_at -= 65                                  # as if begun 65 s ago
    panel._ticker.timeout.emit()
    assert panel.time_box.value.text() == "1:05"
    panel.finish(None, "stopped")
    panel.flush()
    panel._started_at -= 60
    panel._ticker.timeout.emit()
    assert panel.time_box.value.text() == "1:05"             # frozen at the end
    assert not panel._ticker.isActive()


def test_the_timeline_follows_the_newest_step_unless_scrolled_up(panel: RunPanel,
                                                                 qtbot: Any) -> None:
    sample = SampleRun()
    sample.run(steps=12, calls_per_cell=3, child_at=(), finish=False)
    half = len(sample.events) // 2
    panel.begin("q")
    for event in sample.events[:half]:
        panel.add_event(event)
    panel.flush()
    bar = panel.scroll_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum(), timeout=3000)
    bar.setValue(0)                                          # the person scrolls up to read
    for event in sample.events[half:]:
        panel.add_event(event)
    panel.flush()
    QApplication.processEvents()
    assert bar.value() == 0


def test_sub_queries_sit_under_the_cell_that_made_them(panel: RunPanel) -> None:
    panel.set_details(True)        # looks at code, output and token counts
    sample = SampleRun()
    sample.run(steps=4, calls_per_cell=12, child_at=(4,), finish=False)
    feed(panel, sample)
    cells = root_cells(panel)
    assert [c.calls.topLevelItemCount() if c.calls else 0 for c in cells] == [0, 0, 12, 1]
    table = cells[2].calls
    assert isinstance(table, CallsTable)
    first = table.topLevelItem(0)
    # The instruction every prompt of the batch repeats is said once, in the tooltip.
    assert table.shared.startswith("Quote every clause that limits liability")
    assert first.text(0).startswith("…31 --- 14.1 LIMITATION")
    assert "\n→ Clause 14." in first.text(0)
    assert "Quote every clause" in cells[2].calls_title.toolTip()
    assert first.text(1) and first.text(2).startswith("$") and first.text(3).endswith(" s")
    assert "depth 1" in first.toolTip(0)
    assert cells[2].calls_title.text().startswith("12 helper questions to gpt-5-mini")
    # The table shows at most VISIBLE_ROWS rows, then scrolls.
    assert table.height() < 12 * table._row_height


def test_helper_runs_nest_under_their_rlm_query(panel: RunPanel, qtbot: Any) -> None:
    panel.set_details(True)        # looks at code, output and token counts
    sample = SampleRun()
    sample.run(steps=4, calls_per_cell=2, child_at=(4,), child_steps=3)
    feed(panel, sample)
    cell = root_cells(panel)[3]
    assert cell.calls is not None
    assert cell.calls.topLevelItem(0).text(0).startswith("Helper analysis")
    (block,) = cell.children_.values()
    assert isinstance(block, ChildRunBlock)
    assert block.timeline is None  # folded: only its summary line is built
    assert "step 3 of 30" in block.summary.text() and "answered" in block.summary.text()
    # Activating the rlm_query row opens the helper run's own steps.
    cell.calls.itemActivated.emit(cell.calls.topLevelItem(0), 0)
    assert block.expanded and isinstance(block.timeline, RunTimeline)
    panel.flush()
    nested = block.timeline
    assert [c.title.text() for c in nested.steps] == ["Step 1", "Step 2", "Step 3"]
    nested_cells = [v for card in nested.steps for v in card.views if isinstance(v, CellView)]
    assert nested_cells[2].calls is not None and nested_cells[2].calls.topLevelItemCount() == 3
    assert nested.outcome is not None and nested.outcome.title.text() == "Answer"


def test_totals_update_as_events_arrive(panel: RunPanel) -> None:
    sample = SampleRun(budget_usd=None)
    sample.run(steps=3, calls_per_cell=5, child_at=(), finish=False)
    half = len(sample.events) // 2
    panel.begin("q")
    for event in sample.events[:half]:
        panel.add_event(event)
    panel.flush()
    seen = panel.tree.totals()
    assert panel.calls_box.value.text() == f"{seen.calls:,}"
    first_cost = panel.cost_box.value.text()
    for event in sample.events[half:]:
        panel.add_event(event)
    panel.flush()
    assert panel.calls_box.value.text() == f"{sample.calls:,}"
    assert panel.tokens_box.value.text() == f"{sample.prompt_tokens + sample.completion_tokens:,}"
    assert panel.cost_box.value.text() != first_cost
    assert panel.cost_box.value.text().startswith("$")
    assert not panel.budget_row.isVisible()


def test_unknown_price_shows_unknown_not_zero(panel: RunPanel) -> None:
    sample = SampleRun(unpriced=True, budget_usd=None)
    sample.run(steps=3, calls_per_cell=3, child_at=(), finish=False)
    feed(panel, sample)
    assert panel.cost_box.value.text() == "unknown"
    assert "gpt-5-mini" in panel.cost_box.toolTip()
    assert panel.cost_box.caption.text() == f"Cost · {fmt.money(sample.known_cost)} known"
    assert "$0.00" not in panel.cost_box.value.text()
    table = root_cells(panel)[2].calls
    assert table is not None and table.topLevelItem(0).text(2) == "unknown"


def test_budget_bar_follows_the_cost(panel: RunPanel) -> None:
    sample = SampleRun(budget_usd=0.05)
    sample.run(steps=3, calls_per_cell=3, child_at=(), finish=False)
    feed(panel, sample)
    assert panel.budget_row.isVisible()
    share = sample.known_cost / 0.05
    assert panel.budget_bar.share == pytest.approx(min(1.0, share))
    assert "of $0.050 budget" in panel.budget_label.text()


def test_stop_button_and_escape(panel: RunPanel, qtbot: Any) -> None:
    sample = SampleRun()
    sample.run(steps=2, child_at=(), finish=False)
    feed(panel, sample)
    with qtbot.waitSignal(panel.stop_requested, timeout=1000):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert panel.stop_button.text() == "Stopping…" and not panel.stop_button.isEnabled()
    assert panel.status_label.full.startswith("Stopping…")
    emitted: list[bool] = []
    panel.stop_requested.connect(lambda: emitted.append(True))
    panel.request_stop()
    assert emitted == []  # asked once only
    panel.finish(AskResult.from_json(sample.result("cancelled")))
    panel.flush()
    assert panel.status_label.full.startswith("Stopped by you")
    assert not panel.stop_button.isVisible()


def test_escape_stops_when_the_panel_has_focus(panel: RunPanel, qtbot: Any) -> None:
    panel.begin("q")
    panel.activateWindow()
    panel.scroll_area.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.scroll_area, timeout=2000)
    with qtbot.waitSignal(panel.stop_requested, timeout=1000):
        qtbot.keyClick(panel.scroll_area, Qt.Key.Key_Escape)
    assert panel.stopping


def test_finish_with_a_partial_answer_keeps_everything(panel: RunPanel) -> None:
    sample = SampleRun()
    sample.run(steps=3, child_at=(), finish=False)
    feed(panel, sample)
    panel.finish(AskResult.from_json(sample.result("max_iterations")))
    panel.flush()
    assert len(panel.timeline.steps) == 3
    outcome = panel.timeline.outcome
    assert isinstance(outcome, OutcomeCard)
    assert outcome.title.text() == "Partial answer · Stopped at the step limit"
    assert outcome.answer.full.startswith("Two clauses")
    assert panel.status_label.full == "Stopped at the step limit · partial answer"
    assert panel.time_box.value.text() == "1:15"  # the reply's duration
    assert not panel.live and not panel.stop_button.isVisible()


def test_finish_with_an_error_marks_the_run_failed(panel: RunPanel) -> None:
    panel.set_details(True)        # looks at code, output and token counts
    sample = SampleRun()
    sample.run(steps=3, calls_per_cell=4, child_at=(), finish=False)
    feed(panel, sample)
    running = root_cells(panel)[-1]
    panel.add_event(sample.events[0] | {"type": "cell_started", "iteration": 3, "cell": 9,
                                        "code": "llm_query('more')"})
    message = "The engine stopped unexpectedly (exit code 9). It has been restarted."
    panel.finish(None, message)
    panel.flush()
    assert panel.status_label.full == "Failed"
    assert panel.status_icon.kind == "warn"
    assert len(panel.timeline.steps) == 3 and running.output is not None
    last = root_cells(panel)[-1]
    assert last.node.number == 9 and last.status.text() == "did not finish"
    outcome = panel.timeline.outcome
    assert outcome is not None and message in outcome.error.text()
    assert not panel.stop_button.isVisible()


def test_show_run_replays_read_only(panel: RunPanel, qtbot: Any) -> None:
    sample = SampleRun()
    sample.run(steps=5, child_at=(4,))
    run = {"run_id": "r1", "question": "Which clauses limit liability?",
           "answer": "Two clauses.", "stop_reason": "answered", "partial": False,
           "cost_usd": sample.known_cost, "duration_s": 42.0, "status": "finished",
           "usage": sample.result()["usage"]}
    panel.show_run(RunRecord.from_json(run), sample.events)
    qtbot.waitUntil(lambda: panel.pending() == 0, timeout=5000)
    assert panel.read_only and not panel.live
    assert not panel.stop_button.isVisible()
    assert len(panel.timeline.steps) == 5
    assert panel.status_label.full == "Saved run · Answered"
    assert panel.time_box.value.text() == "0:42"
    assert panel.question_label.text() == "Which clauses limit liability?"
    emitted: list[bool] = []
    panel.stop_requested.connect(lambda: emitted.append(True))
    panel.request_stop()
    assert emitted == []


def test_show_run_of_an_interrupted_run(panel: RunPanel) -> None:
    sample = SampleRun()
    sample.run(steps=2, child_at=(), finish=False)
    run = {"run_id": "r1", "question": "q", "answer": "", "stop_reason": "worker_died",
           "status": "interrupted", "error": "the engine stopped before this run finished"}
    panel.show_run(RunRecord.from_json(run), sample.events)
    panel.flush()
    assert panel.status_label.full == "Saved run · Interrupted: the engine stopped"
    assert len(panel.timeline.steps) == 2


def test_clear_and_begin_start_fresh(panel: RunPanel) -> None:
    sample = SampleRun()
    sample.run(steps=2, child_at=())
    feed(panel, sample)
    panel.clear()
    assert panel.timeline is None and panel.empty.isVisible() and panel.tree.root is None
    assert panel.cost_box.value.text() == "–"
    panel.begin("Next question")
    assert panel.status_label.full == "Starting…" and panel.live


def test_sandbox_badge_calm_and_warning(panel: RunPanel, qtbot: Any) -> None:
    sample = SampleRun()
    sample.run(steps=1, child_at=(), finish=False)
    feed(panel, sample)
    assert panel.badge.state == "enforced"
    assert panel.badge.text() == "Sandboxed: files, network, processes"
    badge = SandboxBadge()
    qtbot.addWidget(badge)
    badge.set_status(UNSANDBOXED_STATUS)
    assert badge.state == "partial" and badge.text() == "Partly sandboxed: files"
    assert "settings allow" in badge.toolTip()
    badge.set_compact(True)                                  # a narrow panel
    assert badge.text() == "Partly sandboxed" and "Partly sandboxed: files" in badge.toolTip()
    badge.set_compact(False)
    assert describe({"isolation": {}})[:2] == ("none", "Not sandboxed")
    assert describe(None)[0] == "unknown"
    badge.click()
    assert isinstance(badge.details, SandboxDetails)
    text = badge.details.text.text()
    assert "System-call filter (seccomp)" in text and "Landlock ABI 3 has no network" in text
    badge.details.close()


def test_sandbox_details_list_every_layer(panel: RunPanel) -> None:
    text = details_html(SANDBOX_STATUS, panel.palette())
    for name in ("File access rules (Landlock)", "Network rules (Landlock)",
                 "Memory, CPU time and file limits", "Opening a network connection",
                 "Memory limit: 3.0 GB", "Landlock version 6"):
        assert name in text
    assert text.count("✓") >= 10


def test_highlighter_colours_keywords_strings_and_comments(qtbot: Any) -> None:
    document = QTextDocument()
    document.setPlainText('def look(x):\n    return llm_query(x)  # ask\ns = """a\nb"""\n')
    highlighter = PythonHighlighter(document)
    highlighter.rehighlight()

    def colour_at(block: int, column: int) -> str | None:
        for span in document.findBlockByNumber(block).layout().formats():
            if span.start <= column < span.start + span.length:
                return span.format.foreground().color().name()
        return None

    formats = {k: f.foreground().color().name() for k, f in highlighter.formats.items()}
    assert colour_at(0, 0) == formats["keyword"]            # def
    assert colour_at(0, 4) == formats["definition"]         # look
    assert colour_at(1, 4) == formats["keyword"]            # return
    assert colour_at(1, 11) == formats["rlm"]               # llm_query
    assert colour_at(1, 25) == formats["comment"]           # # ask
    assert colour_at(2, 4) == formats["string"]             # """a
    assert colour_at(3, 0) == formats["string"]             # b""" (still the string)
    assert colour_at(0, 9) is None                          # x: plain text
    assert len(set(formats.values())) >= 6


def test_a_burst_of_1000_events_never_stalls_the_window(panel: RunPanel, qtbot: Any) -> None:
    sample = SampleRun()
    sample.run(steps=30, calls_per_cell=37, child_at=(4, 9, 14, 19, 24, 29), child_steps=3)
    events = sample.events
    assert len(events) >= 1000
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(2)
    heartbeat.timeout.connect(beat)
    panel.begin("A long question")
    heartbeat.start()
    QApplication.processEvents()
    started = time.perf_counter()
    for event in events:          # the whole burst arrives in one callback
        panel.add_event(event)
    burst_s = time.perf_counter() - started
    last[0] = time.perf_counter()
    qtbot.waitUntil(lambda: panel.pending() == 0, timeout=30_000)
    total_s = time.perf_counter() - started
    heartbeat.stop()
    stall = max(gaps) if gaps else 0.0
    print(f"\n1000-event burst: {len(events)} events, add_event loop {burst_s * 1000:.1f} ms, "
          f"longest tick {panel.longest_tick_s * 1000:.1f} ms over {panel.ticks} ticks, "
          f"longest event-loop gap {stall * 1000:.1f} ms, all shown after {total_s:.2f} s")
    assert burst_s < 0.25
    assert panel.longest_tick_s < 0.25
    assert stall < 0.25
    # The final tree: what the generator emitted, counted from the events themselves.
    root_steps = {e["iteration"] for e in events
                  if e["type"] == "iteration_started" and e["depth"] == 0}
    root_cells_expected = [e for e in events if e["type"] == "cell_started" and e["depth"] == 0]
    root_calls = [e for e in events if e["type"] == "subcall_started" and e["depth"] == 0]
    child_ids = {e["run_id"] for e in events if e["type"] == "run_started" and e["depth"] == 1}
    assert len(panel.timeline.steps) == len(root_steps) == 30
    cells = root_cells(panel)
    assert len(cells) == len(root_cells_expected)
    assert sum(c.calls.topLevelItemCount() for c in cells if c.calls) == len(root_calls)
    blocks = [b for c in cells for b in c.children_.values()]
    assert {b.node.run_id for b in blocks} == child_ids and len(child_ids) == 6
    assert all(b.node.depth == 1 and len(b.node.steps) == 3 for b in blocks)
    assert panel.calls_box.value.text() == f"{sample.calls:,}"
    assert panel.timeline.outcome is not None
    assert all(isinstance(w, StepCard) for w in panel.timeline.steps)


def real_script(request: ChatRequest) -> str:
    """Root: look and batch three sub-queries, start a helper run, answer. The helper (the
    sub-model with a system prompt) searches and asks one sub-query; plain calls summarise."""
    if request.model == "fake-root":
        return [repl('print(len(context))\nparts = llm_query_batched([f"Summarise part {i}" '
                     'for i in range(3)])\nprint(parts)'),
                repl('found = rlm_query("Find the secret code in the lease.")\nprint(found)'),
                repl('FINAL("The code is " + found)')][min(request.assistant_turns, 2)]
    if request.system:
        return [repl('import re\ncode = re.search(r"code is (\\d+)", context).group(1)\n'
                     'print(llm_query("Is " + code + " a code?"))'),
                repl("FINAL(code)")][min(request.assistant_turns, 1)]
    return "A short summary."


def test_a_real_engine_trajectory(panel: RunPanel, tmp_path: Path, capsys: Any) -> None:
    """The engine's own event stream (a sandboxed REPL, the fake model server) fills the
    panel: three sub-queries under cell 1, a helper run nested under cell 2's rlm_query."""
    panel.set_details(True)        # looks at code and output
    with FakeOpenAI(real_script) as server:
        outcome = ask(server, tmp_path, capsys, "What is the secret code?")
    assert outcome.code == 0, outcome.stderr
    panel.begin("What is the secret code?")
    for event in outcome.events():
        panel.add_event(event.to_json())
    panel.finish(AskResult.from_json(outcome.result))
    panel.flush()
    cells = root_cells(panel)
    assert [len(c.node.calls) for c in cells] == [3, 1, 0]
    assert [c.kind for c in cells[0].node.calls] == ["llm_query"] * 3
    (block,) = cells[1].children_.values()
    block.set_expanded(True)
    panel.flush()
    helper_cells = [v for card in block.timeline.steps for v in card.views
                    if isinstance(v, CellView)]
    assert helper_cells[0].node.calls[0].depth == 2
    assert "re.search" in helper_cells[0].node.code
    assert helper_cells[0].output.full == "A short summary."
    assert panel.timeline.outcome.answer.full == "The code is 7319"
    assert panel.status_label.full == "Answered"
    assert panel.calls_box.value.text() == str(outcome.result["usage"]["calls"])
    assert panel.badge.state == "enforced"


def visible_words(widget: Any) -> str:
    """Every label's text a person can see in ``widget`` (hidden ones left out)."""
    from PySide6.QtWidgets import QLabel

    return "\n".join(label.text() for label in widget.findChildren(QLabel)
                     if label.isVisibleTo(widget))


def test_the_plain_view_shows_steps_helper_questions_cost_and_time_only(
        panel: RunPanel, qtbot: Any) -> None:
    sample = SampleRun()
    sample.run(steps=6, calls_per_cell=12, child_at=(4,), finish=False)
    feed(panel, sample)
    QApplication.processEvents()       # the layout shows the new timeline in a queued call
    assert not panel.details and not panel.details_button.isChecked()   # plain by default
    cells = root_cells(panel)
    # No code, no output, no traceback: a failed cell is one plain sentence.
    assert all(not c.code.isVisibleTo(panel) for c in cells)
    assert all(c.output is None and c.error is None for c in cells)
    assert cells[4].error_row is not None and cells[4].error_row.isVisibleTo(panel)
    words = visible_words(panel)
    assert "Show details to see what went wrong" in words
    assert "KeyError" not in words and "Traceback" not in words
    assert "token" not in words.casefold() and "Model calls" not in words
    asking = next(c for c in cells if c.calls is not None)
    assert asking.calls is not None and asking.calls.isColumnHidden(1)
    assert asking.calls_title is not None
    assert asking.calls_title.text().startswith("12 helper questions to gpt-5-mini · $")
    # The header counts steps and helper questions instead of tokens and calls.
    assert panel.steps_box.isVisibleTo(panel) and panel.steps_box.value.text() == "6"
    questions = [call for call in panel.tree.calls.values() if call.kind == "llm_query"]
    assert len(questions) > 12 and panel.helpers_box.value.text() == f"{len(questions):,}"
    assert not panel.tokens_box.isVisibleTo(panel) and not panel.calls_box.isVisibleTo(panel)
    # Show details: the same run, with its code, output, errors and tokens.
    toggled: list[bool] = []
    panel.details_toggled.connect(toggled.append)
    qtbot.mouseClick(panel.details_button, Qt.MouseButton.LeftButton)
    panel.flush()
    QApplication.processEvents()
    assert toggled == [True] and panel.details
    assert panel.details_button.text() == "Hide details"
    cells = root_cells(panel)
    assert cells[0].code.isVisibleTo(panel)
    assert cells[0].code.block.toPlainText().startswith("print(len(context))")
    assert cells[4].error is not None and "KeyError" in cells[4].error.full
    assert panel.tokens_box.isVisibleTo(panel) and not panel.steps_box.isVisibleTo(panel)
    asking = next(c for c in cells if c.calls is not None)
    assert asking.calls is not None and not asking.calls.isColumnHidden(1)


def test_the_plain_view_says_a_run_error_in_one_sentence(panel: RunPanel) -> None:
    sample = SampleRun()
    sample.run(steps=2, calls_per_cell=1, child_at=(), finish=False)
    feed(panel, sample)
    panel.finish(None, 'Traceback (most recent call last):\n  File "<cell>"\nKeyError: 1')
    panel.flush()
    outcome = panel.timeline.outcome
    assert outcome is not None
    assert outcome.error.text() == ("Something went wrong in the model's code. Show details "
                                    "to see the error.")
    panel.set_details(True)
    panel.flush()
    assert panel.timeline.outcome is not None
    assert "KeyError" in panel.timeline.outcome.error.text()
