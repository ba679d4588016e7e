"""The plain view is the default; Show details is one click away and remembered."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings

from engine.config import config_dir
from rlm_desktop.library.model import TOKENS
from rlm_desktop.run.panel import RunPanel
from rlm_desktop.window.main_window import MainWindow
from rlm_desktop.worker_client import WorkerClient
from tests.rlm_desktop.recording_panels import RecordingHistoryPanel


def settings() -> QSettings:
    return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)


def window(qtbot: Any, client: WorkerClient) -> MainWindow:
    win = MainWindow(client, run_panel=RunPanel(), history_panel=RecordingHistoryPanel(),
                     settings=settings(), offer_setup=False)
    qtbot.addWidget(win)
    return win


def test_plain_by_default_and_the_choice_is_remembered(qtbot: Any,
                                                       stand_in: WorkerClient) -> None:
    first = window(qtbot, stand_in)
    assert not first.details and not first.details_action.isChecked()
    assert isinstance(first.run_panel, RunPanel) and not first.run_panel.details
    assert first.library.table.isColumnHidden(TOKENS)
    view_menu = [a.text() for a in first.menus["view"].actions()]
    assert "Show &details" in view_menu
    # The run panel's own button switches every panel, and the window remembers it.
    first.run_panel.details_button.click()
    assert first.details and first.details_action.isChecked()
    assert not first.library.table.isColumnHidden(TOKENS)
    first.close()
    second = window(qtbot, stand_in)
    assert second.details and isinstance(second.run_panel, RunPanel)
    assert second.run_panel.details and second.run_panel.details_button.isChecked()
    second.details_action.trigger()                   # View > Show details, off again
    assert not second.details and not second.run_panel.details
    assert settings().value("view/details", True, type=bool) is False
