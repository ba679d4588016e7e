"""History: lists past questions, filters them, opens one, deletes one after confirmation."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMessageBox

from rlm_desktop.replies import RunRecord
from rlm_desktop.run.history import KIND_ROLE, META_ROLE, RUN_ID_ROLE, HistoryPanel
from rlm_desktop.widgets.safe_text import MarkdownView

HISTORY = [   # the worker's ``history`` rows
    {"run_id": "r3", "conversation": "c2", "collection": "acme",
     "question": "Who may terminate the lease, and how?", "answer": "Either party, with "
     "six months' notice [doc 2, p. 4].", "stop_reason": "answered", "cost_usd": 0.0421,
     "started_at": "2025-11-20T14:05:00.000Z", "duration_s": 75.2, "status": "finished",
     "partial": False},
    {"run_id": "r2", "conversation": "c1", "collection": "acme",
     "question": "Which clauses limit liability?", "answer": "Clause 14.2 caps it…",
     "stop_reason": "max_iterations", "cost_usd": None, "started_at":
     "2025-11-19T09:12:00.000Z", "duration_s": 300.0, "status": "finished", "partial": True},
    {"run_id": "r1", "conversation": "c0", "collection": "books",
     "question": "What happens to the whale?", "answer": "", "stop_reason": "worker_died",
     "cost_usd": 0.01, "started_at": "2024-03-02T10:00:00.000Z", "duration_s": None,
     "status": "interrupted", "partial": True},
]
RUNS = [RunRecord.from_json(run) for run in HISTORY]


def bold_at(view: MarkdownView, position: int) -> bool:
    cursor = QTextCursor(view.document())
    cursor.setPosition(position)
    return cursor.charFormat().fontWeight() > 400


@pytest.fixture
def panel(qtbot: Any) -> HistoryPanel:
    widget = HistoryPanel()
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    return widget


def shown_ids(panel: HistoryPanel) -> list[str]:
    return [panel.proxy.index(row, 0).data(RUN_ID_ROLE) for row in range(panel.proxy.rowCount())]


def test_empty_state_until_runs_arrive(panel: HistoryPanel) -> None:
    assert panel.stack.currentWidget() is panel.empty_page
    assert "No questions yet" in panel.empty.text()
    assert not panel.open_button.isEnabled() and not panel.delete_button.isEnabled()
    panel.set_runs(RUNS)
    assert panel.stack.currentWidget() is panel.view


def test_lists_runs_newest_first_with_cost_and_outcome(panel: HistoryPanel) -> None:
    panel.set_runs(list(reversed(RUNS)))                    # the order given does not matter
    assert shown_ids(panel) == ["r3", "r2", "r1"]
    first = panel.proxy.index(0, 0)
    assert first.data() == "Who may terminate the lease, and how?"
    meta = [panel.proxy.index(row, 0).data(META_ROLE) for row in range(3)]
    assert meta[0].startswith("acme · ") and meta[0].endswith(" · $0.042 · Answered")
    assert "cost unknown · Partial: step limit" in meta[1]  # never $0 for an unknown price
    assert meta[2].startswith("books · 2 Mar 2024") and meta[2].endswith("Interrupted")
    assert [panel.proxy.index(row, 0).data(KIND_ROLE) for row in range(3)] == \
        ["ok", "warn", "warn"]
    assert "Stopped at the step limit (partial answer)" in \
        panel.proxy.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    # The newest is selected and previewed.
    assert panel.selected_run().run_id == "r3"
    assert panel.preview_answer.text().startswith("Either party")
    assert isinstance(panel.preview_answer, MarkdownView)    # answers are Markdown
    assert "cost $0.042" in panel.preview_facts.text()


def test_the_preview_shows_citations_as_document_and_page(panel: HistoryPanel) -> None:
    run = RunRecord.from_json(dict(
        HISTORY[0], run_id="cited", started_at="2026-11-20T10:00:00Z",
        answer='**Six months** [[cite doc=4 page=7 quote="six (6) months"]].'))
    panel.set_runs([run])
    assert panel.preview_answer.text() == "Six months [doc 4, p. 7]."
    assert bold_at(panel.preview_answer, 1)                  # the Markdown is rendered


def test_filters_by_collection_and_search(panel: HistoryPanel) -> None:
    panel.set_runs(RUNS)
    assert panel.collections.isVisibleTo(panel)
    panel.collections.setCurrentText("books")
    assert shown_ids(panel) == ["r1"]
    panel.collections.setCurrentIndex(0)
    panel.search.setText("LIABILITY")
    assert shown_ids(panel) == ["r2"]
    panel.search.setText("six months")                      # answers are searched too
    assert shown_ids(panel) == ["r3"]


def test_one_collection_hides_the_collection_choice(panel: HistoryPanel) -> None:
    panel.set_runs(RUNS[:2])
    assert not panel.collections.isVisibleTo(panel)


def test_open_by_button_and_double_click(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_runs(RUNS)
    panel.select_run("r2")
    with qtbot.waitSignal(panel.open_requested, timeout=1000) as signal:
        qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    assert signal.args == ["r2"]
    index = panel.proxy.index(2, 0)
    with qtbot.waitSignal(panel.open_requested, timeout=1000) as signal:
        panel.view.doubleClicked.emit(index)
    assert signal.args == ["r1"]


def test_delete_only_after_confirmation(panel: HistoryPanel, qtbot: Any,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    panel.set_runs(RUNS)
    panel.select_run("r2")
    asked: list[str] = []
    deleted: list[str] = []
    panel.delete_requested.connect(deleted.append)
    monkeypatch.setattr(panel, "confirm_delete", lambda run: asked.append(run.run_id) or False)
    panel.delete_button.click()
    assert asked == ["r2"] and deleted == []
    monkeypatch.setattr(panel, "confirm_delete", lambda run: True)
    panel.delete_button.click()
    assert deleted == ["r2"]


def test_the_confirmation_asks_with_a_message_box(panel: HistoryPanel,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[QMessageBox] = []

    def answer(box: QMessageBox) -> int:
        seen.append(box)
        return QMessageBox.StandardButton.Cancel.value

    monkeypatch.setattr(QMessageBox, "exec", answer)
    assert panel.confirm_delete(RUNS[0]) is False
    text = seen[0].text()
    assert "Who may terminate the lease" in text and "documents are not affected" in text


def test_the_confirmation_shows_a_question_holding_tags_as_typed(
        panel: HistoryPanel, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: seen.append(box) or 0)
    evil = RunRecord(run_id="x", question='<img src="/dev/zero"><b>bold</b>')
    panel.confirm_delete(evil)
    assert seen[0].textFormat() == Qt.TextFormat.PlainText
    assert '<img src="/dev/zero">' in seen[0].text()


def test_set_runs_keeps_the_selection(panel: HistoryPanel) -> None:
    panel.set_runs(RUNS)
    panel.select_run("r2")
    panel.set_runs([RUNS[1], RUNS[2]])                       # r3 was deleted meanwhile
    assert panel.selected_run().run_id == "r2"
    panel.set_runs([])
    assert panel.selected_run() is None and panel.stack.currentWidget() is panel.empty_page
