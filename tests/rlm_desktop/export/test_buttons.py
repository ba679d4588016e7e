"""Where Export… is offered: beside a finished answer in the Ask panel (and its link), on a
replayed run in the run panel, and on a History row; never while a question runs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl

from rlm_desktop.ask.render import EXPORT_LINK, Turn
from rlm_desktop.replies import RunRecord
from rlm_desktop.run.history import HistoryPanel
from rlm_desktop.run.panel import RunPanel
from tests.rlm_desktop.run.test_history_citations import run
from tests.rlm_desktop.run_samples import SampleRun


def test_the_run_panel_offers_export_once_the_shown_run_has_an_answer(qtbot: Any) -> None:
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.resize(620, 900)
    panel.show()
    sample = SampleRun()
    sample.run(steps=2, child_at=())
    panel.begin("Which clauses?")
    for event in sample.events[:3]:
        panel.add_event(event)
    panel.flush()
    assert not panel.export_button.isVisible()        # live: nothing to export yet
    panel.show_run(RunRecord.from_json({"run_id": "r1", "question": "Which clauses?",
                                        "answer": "Two.", "stop_reason": "answered",
                                        "status": "finished"}), sample.events)
    panel.flush()
    assert panel.export_button.isVisible()
    pressed: list[bool] = []
    panel.export_requested.connect(lambda: pressed.append(True))
    panel.export_button.click()
    assert pressed == [True]


def test_a_history_row_exports_with_its_question(qtbot: Any) -> None:
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.show()
    asked: list[tuple[str, str]] = []
    panel.export_requested.connect(lambda run_id, question: asked.append((run_id, question)))
    panel.set_runs([run("r2", {}), run("r1", {})])
    panel.select_run("r1")
    panel.export_button.click()
    assert asked == [("r1", "Question r1?")]
    running = RunRecord.from_json({"run_id": "r9", "question": "Still going?",
                                   "status": "running", "started_at": "2030-01-01"})
    panel.set_runs([running])
    assert not panel.export_button.isEnabled()


def test_the_ask_panel_offers_the_latest_answer_and_each_answers_link(window: Any,
                                                                      qtbot: Any) -> None:
    panel = window.ask_panel
    asked: list[tuple[str, str]] = []
    panel.export_requested.connect(lambda run_id, question: asked.append((run_id, question)))
    panel.turns = [Turn(question="First?", status="done", answer="One.", run_id="r1"),
                   Turn(question="Second?", status="failed", error="No model.")]
    panel._render()
    assert not panel.export_button.isVisible()         # the latest did not answer
    panel.turns.append(Turn(question="Third?", status="done", answer="Three.", run_id="r3"))
    panel._render()
    assert panel.export_button.isVisible()
    panel.export_button.click()
    panel.view.anchorClicked.emit(QUrl(EXPORT_LINK + "r1"))
    panel.view.anchorClicked.emit(QUrl(EXPORT_LINK + "no-such-run"))   # a link in an answer
    assert asked == [("r3", "Third?"), ("r1", "First?")]
    assert panel.answer_text().count("Export…") == 2
