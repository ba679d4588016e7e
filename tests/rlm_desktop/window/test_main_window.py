"""MainWindow: layout memory, menus and shortcuts, drops, engine states, history, first start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QDialog,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from engine.config import config_dir
from rlm_desktop.window.main_window import MainWindow
from rlm_desktop.worker_client import WorkerClient
from tests.rlm_desktop.ask.test_flow import add_lease, ask
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS, drop_paths
from tests.rlm_desktop.recording_panels import RecordingHistoryPanel, RecordingRunPanel
from tests.support.fake_openai import FakeOpenAI, by_model
from tests.support.harness import repl


def new_window(qtbot: Any, client: Any, **kwargs: Any) -> MainWindow:
    kwargs.setdefault("offer_setup", False)
    win = MainWindow(client, run_panel=RecordingRunPanel(),
                     history_panel=RecordingHistoryPanel(), **kwargs)
    qtbot.addWidget(win)
    return win


def test_layout_is_remembered(qtbot: Any, stand_in: WorkerClient) -> None:
    store = QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)
    first = new_window(qtbot, stand_in, settings=store)
    first.show()
    first.resize(760, 540)          # the offscreen screen is 800 x 600
    first.splitter.setSizes([250, 400, 450])
    sizes = first.splitter.sizes()
    first.side_tabs.setCurrentWidget(first.history_panel)
    first.close()                              # saves
    second = new_window(qtbot, stand_in,
                        settings=QSettings(str(config_dir() / "window.ini"),
                                           QSettings.Format.IniFormat))
    second.show()
    assert second.size().width() == 760 and second.size().height() == 540
    assert second.splitter.sizes() == sizes
    assert second.side_tabs.currentWidget() is second.history_panel


def test_menus_shortcuts_and_accessible_names(qtbot: Any, stand_in: WorkerClient) -> None:
    win = new_window(qtbot, stand_in)
    win.show()
    titles = [a.text() for a in win.menuBar().actions()]
    assert titles == ["&File", "&Ask", "&View", "&Help"]
    shortcuts = {a.text().replace("&", ""): a.shortcut().toString()
                 for menu in win.menus.values() for a in menu.actions() if not a.isSeparator()}
    assert shortcuts["Add files…"] == "Ctrl+O"
    assert shortcuts["Add folder…"] == "Ctrl+Shift+O"
    assert shortcuts["Re-scan folders"] == "F5"
    assert shortcuts["New conversation"] == "Ctrl+N"
    assert shortcuts["Stop"] == "Ctrl+."
    assert shortcuts["Settings…"] == "Ctrl+,"
    assert shortcuts["Type a question"] == "Ctrl+L"
    assert shortcuts["History"] == "Ctrl+H"
    assert shortcuts["Quit"] == QKeySequence(QKeySequence.StandardKey.Quit).toString()
    # Every control a person can reach has a name a screen reader can say.
    kinds = (QAbstractButton, QLineEdit, QPlainTextEdit, QAbstractItemView)
    nameless = [type(w).__name__ + ":" + (getattr(w, "text", lambda: "")() or "")
                for panel in (win.library, win.ask_panel, win.banner)
                for w in panel.findChildren(QWidget)
                if isinstance(w, kinds) and not w.accessibleName()
                and not isinstance(w.parent(), QLineEdit)      # Qt's own clear button
                and "qt_" not in w.objectName()]
    assert nameless == []
    assert win.engine_label.text() == "Engine ready"
    assert win.windowTitle() == "RLM Desktop" and not win.windowIcon().isNull()


def test_drops_anywhere_on_the_window_reach_the_library(qtbot: Any, window: Any,
                                                        tmp_path: Path) -> None:
    from tests.engine.ingest.makers import make_pdf

    targets = [window.library.table.viewport(), window.ask_panel.view.viewport(),
               window.side_tabs]
    for n, target in enumerate(targets):
        make_pdf(tmp_path / f"doc{n}.pdf", [f"Page of document {n}."], title=f"Doc {n}")
        drop_paths(target, [tmp_path / f"doc{n}.pdf"])
        qtbot.waitUntil(lambda n=n: window.library.document_count() == n + 1,
                        timeout=REPLY_TIMEOUT_MS)


def test_an_engine_that_cannot_start_offers_a_restart(qtbot: Any) -> None:
    client = WorkerClient(command=[sys.executable, "-c", "import sys; sys.exit(2)"])
    win = new_window(qtbot, client)
    win.show()
    client.start()
    qtbot.waitUntil(lambda: client.state == "failed", timeout=REPLY_TIMEOUT_MS)
    assert win.banner.isVisible()
    assert "was not restarted again" in win.banner.text.text()
    assert win.banner.action.text() == "Restart engine"
    assert win.engine_label.text().startswith("Engine stopped")
    assert win.restart_engine_action.isEnabled()


def test_history_reopens_and_deletes_a_run(qtbot: Any, window: Any, configured: FakeOpenAI,
                                           tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    configured.set_script(by_model({"fake-root": repl("FINAL('7319')")}))
    ask(qtbot, window, "What is the code?")
    run_id = window.run_panel.finishes()[-1][1].run_id
    history = window.history_panel
    qtbot.waitUntil(lambda: any(r.run_id == run_id for r in history.runs or []),
                    timeout=REPLY_TIMEOUT_MS)
    window.side_tabs.setCurrentWidget(history)
    history.open_requested.emit(run_id)
    qtbot.waitUntil(lambda: window.run_panel.calls[-1][0] == "show_run",
                    timeout=REPLY_TIMEOUT_MS)
    _, run, events = window.run_panel.calls[-1]
    assert run.question == "What is the code?" and run.answer == "7319"
    assert events[0]["type"] == "run_started" and events[-1]["type"] == "run_finished"
    assert window.side_tabs.currentWidget() is window.run_panel
    history.delete_requested.emit(run_id)
    qtbot.waitUntil(lambda: not any(r.run_id == run_id for r in history.runs or []),
                    timeout=REPLY_TIMEOUT_MS)


class RecordingWizard(QDialog):
    opened: ClassVar[list[RecordingWizard]] = []

    def __init__(self, client: Any, parent: QWidget) -> None:
        super().__init__(parent)
        RecordingWizard.opened.append(self)


def test_first_start_without_a_model_offers_the_setup(qtbot: Any, worker: Any) -> None:
    from engine.config import Settings, save_settings

    save_settings(Settings())                  # no model chosen yet
    RecordingWizard.opened = []
    win = new_window(qtbot, worker, offer_setup=True, wizard_factory=RecordingWizard)
    win.show()
    qtbot.waitUntil(lambda: bool(RecordingWizard.opened), timeout=REPLY_TIMEOUT_MS)
    wizard = RecordingWizard.opened[0]
    assert wizard.isVisible()
    wizard.reject()                           # "Skip: browse my library first"
    assert win._settings.value("setup/skipped", False, type=bool)
    # Next start: no wizard pops up, a banner offers it instead.
    RecordingWizard.opened = []
    second = new_window(qtbot, worker, offer_setup=True, wizard_factory=RecordingWizard)
    second.show()
    qtbot.waitUntil(lambda: second.banner.isVisible(), timeout=REPLY_TIMEOUT_MS)
    assert "No AI model is set up yet" in second.banner.text.text()
    assert not RecordingWizard.opened
    second.banner.action.click()
    assert RecordingWizard.opened and RecordingWizard.opened[0].isVisible()


def test_composes_with_the_real_panels_and_dialogs(qtbot: Any, worker: Any,
                                                   configured: FakeOpenAI,
                                                   tmp_path: Path) -> None:
    from rlm_desktop.run.history import HistoryPanel
    from rlm_desktop.run.panel import RunPanel
    from rlm_desktop.settings.dialog import SettingsDialog
    from rlm_desktop.settings.wizard import SetupWizard
    from tests.rlm_desktop.ask.test_flow import needle_script
    from tests.support.fake_openai import Reply, sequence

    win = MainWindow(worker, offer_setup=False)
    qtbot.addWidget(win)
    win.show()
    assert isinstance(win.run_panel, RunPanel) and isinstance(win.history_panel, HistoryPanel)
    qtbot.waitUntil(lambda: win.library.loaded, timeout=REPLY_TIMEOUT_MS)
    add_lease(qtbot, win, tmp_path / "docs")
    # A whole question through the real run panel.
    configured.set_script(needle_script())
    ask(qtbot, win, "What is the secret code?")
    run_panel = win.run_panel
    qtbot.waitUntil(lambda: not run_panel.pending(), timeout=REPLY_TIMEOUT_MS)
    assert run_panel.question == "What is the secret code?" and not run_panel.live
    assert run_panel.tree.root is not None
    run_id = win.ask_panel.turns[-1].run_id
    history = win.history_panel
    qtbot.waitUntil(lambda: history.select_run(run_id), timeout=REPLY_TIMEOUT_MS)
    history.open_selected()
    qtbot.waitUntil(lambda: run_panel.read_only and not run_panel.pending(),
                    timeout=REPLY_TIMEOUT_MS)
    assert run_panel.question == "What is the secret code?"
    # The real Stop button stops a live run and both panels say so.
    configured.set_script(by_model({"fake-root": sequence(
        repl("x = 1\nprint(x)"), Reply(content=repl("FINAL(x)"), latency=60))}))
    win.ask_panel.new_conversation()        # the scripted replies count from a fresh start
    win.ask_panel.ask("Slow one?")
    qtbot.waitUntil(lambda: win.ask_panel.turns[-1].iteration >= 2, timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: run_panel.stop_button.isVisible() and
                    run_panel.stop_button.isEnabled(), timeout=REPLY_TIMEOUT_MS)
    run_panel.stop_button.click()
    assert win.ask_panel.turns[-1].status == "stopping"
    qtbot.waitUntil(lambda: not win.ask_panel.running, timeout=REPLY_TIMEOUT_MS)
    assert win.ask_panel.turns[-1].stop_reason == "cancelled"
    # Ctrl+. from the Ask panel marks the run panel as stopping too.
    win.ask_panel.new_conversation()
    win.ask_panel.ask("Slow again?")
    qtbot.waitUntil(lambda: win.ask_panel.turns[-1].iteration >= 2, timeout=REPLY_TIMEOUT_MS)
    win.ask_panel.stop_action.trigger()
    assert run_panel.stopping
    qtbot.waitUntil(lambda: not win.ask_panel.running, timeout=REPLY_TIMEOUT_MS)
    # The dialogs open from the menus, non-modal to the rest of the work.
    win.settings_action.trigger()
    assert isinstance(win.settings_dialog, SettingsDialog) and win.settings_dialog.isVisible()
    win.settings_dialog.reject()
    win.open_setup()
    assert isinstance(win.wizard, SetupWizard) and win.wizard.isVisible()
    win.wizard.reject()


def test_version_without_qt() -> None:
    code = ("import sys; from rlm_desktop.app import main; rc = main(['--version']); "
            "print('qt loaded' if any(m.startswith('PySide6') for m in sys.modules) else "
            "'no qt', rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    from engine import __version__
    assert out.splitlines() == [f"rlm-desktop {__version__}", "no qt 0"]


def test_the_app_starts_its_engine_and_quits_cleanly(tmp_path: Path) -> None:
    # Runs main() in a fresh process (one QApplication per process); it quits as soon as the
    # engine has said hello, and must then stop the engine and exit 0.
    script = tmp_path / "run_app.py"
    script.write_text(
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from rlm_desktop.window import main_window\n"
        "ready = main_window.MainWindow._engine_ready\n"
        "def quit_when_ready(self, hello):\n"
        "    ready(self, hello)\n"
        "    print('engine pid', hello.pid, flush=True)\n"
        "    QApplication.quit()\n"
        "main_window.MainWindow._engine_ready = quit_when_ready\n"
        "from rlm_desktop.app import main\n"
        "sys.exit(main([]))\n", encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    pid = int(done.stdout.split("engine pid")[1].split()[0])
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, "the engine outlived the app"


def test_the_setup_banner_goes_once_a_model_is_saved(qtbot: Any, worker: Any,
                                                     configured: FakeOpenAI) -> None:
    from PySide6.QtCore import Signal

    from engine.config import Settings, save_settings
    from tests.rlm_desktop.conftest import configure

    class SavingDialog(QDialog):
        saved = Signal()

    save_settings(Settings())
    store = QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)
    store.setValue("setup/skipped", True)
    dialogs: list[SavingDialog] = []
    win = new_window(qtbot, worker, offer_setup=True, settings=store,
                     settings_factory=lambda c, p: dialogs.append(SavingDialog(p)) or dialogs[-1])
    win.show()
    qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=REPLY_TIMEOUT_MS)
    win.settings_action.trigger()
    configure(configured)                      # what the dialog's Save writes
    dialogs[0].saved.emit()
    qtbot.waitUntil(lambda: not win.banner.isVisible(), timeout=REPLY_TIMEOUT_MS)
