"""The Source tab takes the keyboard when the person opens a page, and only then."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.rlm_desktop.ask.test_flow import add_lease, ask
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS
from tests.rlm_desktop.viewer.test_viewer import click_citation, quoting_script, shown
from tests.support.fake_openai import FakeOpenAI


def focused(qtbot: Any, window: Any, widget: Any) -> None:
    window.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget, timeout=2000)


def test_a_clicked_citation_gives_the_page_the_keyboard_at_once(
        qtbot: Any, window: Any, configured: FakeOpenAI, tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    configured.set_script(quoting_script("the secret code is 7319"))
    ask(qtbot, window, "What is the code?")
    focused(qtbot, window, window.ask_panel.view)     # the person clicks in the answer
    click_citation(window.ask_panel)
    viewer = window.viewer
    shown(qtbot, viewer, "pdf")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is viewer.scroll_area, timeout=2000)
    # No click into the page first: the keys work straight away.
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: viewer.page_label.text() == "p. 1 of 2", timeout=REPLY_TIMEOUT_MS)
    width = viewer.canvas.width()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Plus)
    qtbot.waitUntil(lambda: viewer.canvas.width() > width * 1.2, timeout=REPLY_TIMEOUT_MS)


def test_a_page_opened_without_a_click_leaves_the_question_box_alone(
        qtbot: Any, window: Any, tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    question = window.ask_panel.question
    focused(qtbot, window, question)
    window.show_source(window.library.model.documents()[0].id, 1)
    shown(qtbot, window.viewer, "pdf")
    qtbot.keyClicks(question, "which")
    assert QApplication.focusWidget() is question and question.toPlainText() == "which"


def test_typing_a_question_before_the_page_arrives_keeps_the_keyboard(
        qtbot: Any, window: Any, tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    question = window.ask_panel.question
    window.show_source(window.library.model.documents()[0].id, 1, focus=True)
    focused(qtbot, window, question)       # before the page is drawn, the person types
    shown(qtbot, window.viewer, "pdf")
    assert QApplication.focusWidget() is question
