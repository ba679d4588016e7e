"""The main window: Library | Ask | Run panel (History beside it), menus, drops and engine state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine.config import config_dir
from rlm_desktop.advice import in_app
from rlm_desktop.ask.panel import AskPanel
from rlm_desktop.export.exporter import ExportTarget
from rlm_desktop.library.ingest import IngestOutcome
from rlm_desktop.library.panel import LibraryPanel
from rlm_desktop.replies import (
    AskResult,
    Hello,
    RunEvents,
    RunRecord,
    SavedAnalysis,
    SavedSettings,
    list_of,
)
from rlm_desktop.viewer.panel import SourceViewer
from rlm_desktop.widgets.icons import app_icon, icon
from rlm_desktop.widgets.safe_text import safe_tooltip
from rlm_desktop.window.about import show_about
from rlm_desktop.window.banner import Banner, BannerAction
from rlm_desktop.window.demo import ACTION_TEXT, Demo
from rlm_desktop.window.exports import WindowExports
from rlm_desktop.window.menus import build_menus
from rlm_desktop.window.protocols import HistoryPanelView, RunPanelView, as_widget
from rlm_desktop.window.review import WindowReview
from rlm_desktop.worker_client import WorkerClient

DialogFactory = Callable[[WorkerClient, QWidget], QDialog]
SAVED_ANALYSIS_FILTER = "Records of an analysis (*.jsonl);;All files (*)"
ENGINE_STATES = {
    "starting": "Engine starting…",
    "ready": "Engine ready",
    "restarting": "Engine restarting…",
    "stopping": "Engine stopping…",
    "stopped": "Engine stopped",
    "failed": "Engine stopped: see Help > Engine log",
}


def window_settings() -> QSettings:
    """Window geometry and splitter sizes, in the app's config folder (not the registry)."""
    return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)


def _run_panel() -> RunPanelView:
    from rlm_desktop.run.panel import RunPanel
    return RunPanel()


def _history_panel() -> HistoryPanelView:
    from rlm_desktop.run.history import HistoryPanel
    return HistoryPanel()


def _settings_dialog(client: WorkerClient, parent: QWidget) -> QDialog:
    from rlm_desktop.settings.dialog import SettingsDialog
    return SettingsDialog(client, parent)


def _setup_wizard(client: WorkerClient, parent: QWidget) -> QDialog:
    from rlm_desktop.settings.wizard import SetupWizard
    return SetupWizard(client, parent)


class MainWindow(QMainWindow):
    """Composes the panels and wires them to the worker. The run panel, history panel and
    dialogs can be passed in (tests); by default they are RunPanel, HistoryPanel,
    SettingsDialog and SetupWizard."""

    def __init__(self, client: WorkerClient, *, run_panel: RunPanelView | None = None,
                 history_panel: HistoryPanelView | None = None,
                 settings_factory: DialogFactory | None = None,
                 wizard_factory: DialogFactory | None = None,
                 settings: QSettings | None = None, offer_setup: bool = True) -> None:
        super().__init__()
        self.client = client
        self._settings = settings or window_settings()
        self._settings_factory = settings_factory or _settings_dialog
        self._wizard_factory = wizard_factory or _setup_wizard
        self._offer_setup = offer_setup
        self._setup_checked = False
        self._run_lost = False
        self.settings_dialog: QDialog | None = None
        self.wizard: QDialog | None = None
        self.setWindowTitle("RLM Desktop")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)

        self.library = LibraryPanel(client)
        # Titles and paths of every document seen in any collection, by id: an answer's
        # citations keep their names after the shown collection changes.
        self._known_docs: dict[int, tuple[str, str]] = {}
        self.last_open_message = ""     # what File > Open a saved analysis… last said
        self.ask_panel = AskPanel(client, self._scope, self.title_of,
                                  readable=self.library.readable_count)
        self.run_panel = run_panel if run_panel is not None else _run_panel()
        self.history_panel = history_panel if history_panel is not None else _history_panel()
        # The same objects, typed as the widgets they also are.
        self.run_panel_widget = as_widget(self.run_panel, "run panel")
        self.history_panel_widget = as_widget(self.history_panel, "history panel")
        self.run_panel_widget.setAccessibleName("Run panel")
        self.history_panel_widget.setAccessibleName("History")
        # Plain view (no code, tracebacks or token counts) unless the person asked for the
        # details once: the choice is remembered with the window's layout.
        self.details_action = QAction("Show &details", self)
        self.details_action.setCheckable(True)
        self.details_action.setShortcut(QKeySequence("Ctrl+D"))
        self.details_action.setToolTip("Show the model's code, its output, error messages and "
                                       "token counts")
        self.details_action.toggled.connect(self.set_details)
        self.side_tabs = QTabWidget()
        self.side_tabs.setAccessibleName("Run and history")
        self.side_tabs.setDocumentMode(True)
        self.side_tabs.addTab(self.run_panel_widget, icon("run"), "Run")
        self.side_tabs.addTab(self.history_panel_widget, icon("history"), "History")
        # The cited page, next to the answer that cites it.
        self.viewer = SourceViewer(client)
        self.side_tabs.addTab(self.viewer, icon("document"), "Source")

        self.banner = Banner()
        self.review = WindowReview(self, client, self.ask_panel, self.library, self.show_source,
                                   self.banner, self._settings)   # the Ask | Review tabs
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.library)
        self.splitter.addWidget(self.review.tabs)
        self.splitter.addWidget(self.side_tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setStretchFactor(2, 4)
        self._restart_offer = BannerAction("Restart engine", self.restart_engine)
        self._log_offer = BannerAction("Show engine log", self.show_engine_log)
        self._setup_offer = BannerAction("Set up a model", self.open_setup)
        self.demo = Demo(client, self.ask_panel, self.library, self.banner, self._replay,
                         self._remember_document,
                         lambda text: self.statusBar().showMessage(text, 8000),
                         self._setup_offer)
        self._demo_offer = BannerAction(ACTION_TEXT, self.open_demo)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(6)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.engine_label = QLabel()
        self.engine_label.setAccessibleName("Engine state")
        self.sandbox_label = QLabel("Safe workspace: checked when a question runs")
        self.sandbox_label.setAccessibleName("Safe workspace state")
        self.statusBar().addWidget(self.engine_label)
        self.statusBar().addPermanentWidget(self.sandbox_label)
        self.exports = WindowExports(self, client, self._settings, self._export_reported)
        self._export_problem = ""
        self._live_question = ""
        built = build_menus(self)
        self.menus = built.menus
        self.settings_action = built.settings_action
        self.restart_engine_action = built.restart_engine_action
        self._connect()
        self._engine_state(client.state)
        self._restore_layout()
        self.set_details(bool(self._settings.value("view/details", False, type=bool)),
                         remember=False)
        if client.state == "ready":       # the worker was started before this window
            QTimer.singleShot(0, lambda: self._engine_ready(client.hello))

    # --- wiring -------------------------------------------------------------------------

    def _connect(self) -> None:
        client, ask, library = self.client, self.ask_panel, self.library
        client.state_changed.connect(self._engine_state)
        client.ready.connect(self._engine_ready)
        client.died.connect(self._engine_died)
        library.scope_changed.connect(ask.update_scope)
        library.collection_changed.connect(lambda _name: self.refresh_history())
        library.documents_changed.connect(self._remember_documents)
        # The question box's hint follows the documents, not only the collection's name.
        library.documents_changed.connect(ask.update_scope)
        library.ingest_finished.connect(self._ingest_finished)
        ask.files_dropped.connect(library.add_paths)
        ask.run_begun.connect(self._run_begun)
        ask.run_event.connect(self._run_event)
        ask.run_finished.connect(self._run_finished)
        ask.settings_requested.connect(self.open_settings)
        ask.citation_clicked.connect(self._open_citation)
        library.view_requested.connect(lambda doc_id: self.show_source(doc_id, 1, focus=True))
        self.viewer.document_opened.connect(self._remember_document)
        self.viewer.unavailable.connect(lambda message: self.banner.show_message(message,
                                                                                 "warning"))
        self.run_panel.stop_requested.connect(ask.stop)
        ask.stop_started.connect(self._show_stopping)
        details_toggled = getattr(self.run_panel, "details_toggled", None)
        if details_toggled is not None:
            details_toggled.connect(self.details_action.setChecked)
        self.history_panel.open_requested.connect(self.open_run)
        self.history_panel.delete_requested.connect(self.delete_run)
        ask.export_requested.connect(self.exports.export)
        # Optional in the panels' protocols: stand-ins in tests may leave them out.
        history_export = getattr(self.history_panel, "export_requested", None)
        if history_export is not None:
            history_export.connect(self.exports.export)
        run_export = getattr(self.run_panel, "export_requested", None)
        if run_export is not None:
            run_export.connect(self.exports.export_shown)
        self.library.filter_box.setAcceptDrops(False)   # file drops belong to the library

    def set_details(self, details: bool, remember: bool = True) -> None:
        """The plain view or the details view, for every panel (and remembered)."""
        self.details_action.blockSignals(True)
        self.details_action.setChecked(details)
        self.details_action.blockSignals(False)
        for panel in (self.run_panel, self.library):
            show = getattr(panel, "set_details", None)
            if callable(show):
                show(details)
        if remember:
            self._settings.setValue("view/details", details)

    @property
    def details(self) -> bool:
        return self.details_action.isChecked()

    def _scope(self) -> tuple[str | None, list[int] | None]:
        return self.library.current_collection(), self.library.checked_ids() or None

    # --- engine -------------------------------------------------------------------------

    def _engine_state(self, state: str) -> None:
        self.engine_label.setText(ENGINE_STATES.get(state, state))
        self.restart_engine_action.setEnabled(state in ("failed", "stopped", "ready"))

    def _engine_ready(self, hello: Hello) -> None:
        self.library.refresh()
        self.refresh_history()
        self.ask_panel.model_warning.refresh()
        if self._offer_setup and not self._setup_checked:
            self._setup_checked = True
            self.client.request("settings_get", {}, on_done=self._check_setup)

    def _engine_died(self, reason: str) -> None:
        running = ("The question that was running was marked failed; its steps so far are "
                   "kept in the run panel. " if self._run_lost else "")
        self._run_lost = False
        if self.client.state == "failed":
            self.banner.show_message(reason, "failed", self._restart_offer)
        else:
            self.banner.show_message(
                f"The engine stopped and was restarted ({reason}). {running}"
                "Your library is safe.", "warning", self._log_offer)

    def restart_engine(self) -> None:
        if self.client.state in ("failed", "stopped"):
            self.client.start()
        else:
            self.client.stop()
            QTimer.singleShot(0, self._start_when_stopped)

    def _start_when_stopped(self) -> None:
        if self.client.state == "stopped":
            self.client.start()
        else:
            QTimer.singleShot(100, self._start_when_stopped)

    def show_engine_log(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Engine log")
        text = QPlainTextEdit("\n".join(self.client.log_tail()) or "The engine has not "
                              "written anything to its log yet.")
        text.setReadOnly(True)
        text.setAccessibleName("Engine log")
        layout = QVBoxLayout(dialog)
        layout.addWidget(text)
        dialog.resize(760, 420)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    # --- runs ---------------------------------------------------------------------------

    def _run_begun(self, question: str) -> None:
        self._live_question = question
        self.exports.show(None)
        self.side_tabs.setCurrentWidget(self.run_panel_widget)
        self.run_panel.begin(question)

    def _show_stopping(self) -> None:
        # Stop came from the Ask panel: let the run panel show "Stopping…" too (its own
        # request_stop emits stop_requested, which the Ask panel then ignores as a repeat).
        request_stop = getattr(self.run_panel, "request_stop", None)
        if callable(request_stop):
            request_stop()

    def _run_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "sandbox_status" and not event.get("depth"):
            self._show_sandbox(event.get("status") or {})
        self.run_panel.add_event(event)

    def _run_finished(self, result: AskResult | None, error: str | None) -> None:
        # The worker fails pending requests just before it reports its death.
        self._run_lost = result is None and self.ask_panel.last_error_kind == "worker_died"
        self.run_panel.finish(result, error)
        if result is not None:
            self._show_sandbox(result.sandbox)
            if result.run_id:
                self.exports.show(ExportTarget(result.run_id, self._live_question))
        self.refresh_history()

    def _show_sandbox(self, status: dict[str, Any]) -> None:
        if not status:
            return
        layers = [name.replace("_", " ") for name, on in (status.get("layers") or {}).items()
                  if on]
        self.sandbox_label.setText("Safe workspace: on" if status.get("enforced") else
                                   "Safe workspace: NOT sealed off")
        note = str(status.get("note") or "")
        self.sandbox_label.setToolTip(safe_tooltip(note + (f"\nActive layers: {', '.join(layers)}"
                                                           if layers else "")))

    def refresh_history(self) -> None:
        collection = self.library.current_collection()
        self.client.request("history", {"collection": collection},
                            on_done=self._got_history)

    def _got_history(self, reply: dict[str, Any]) -> None:
        if reply.get("ok"):
            self.history_panel.set_runs(list_of(RunRecord.from_json, reply.get("result")))

    def open_run(self, run_id: str) -> None:
        def shown(reply: dict[str, Any]) -> None:
            if not reply.get("ok"):
                self.statusBar().showMessage("That analysis could not be opened: "
                                             + in_app(str(reply.get("error"))), 8000)
                return
            stored = RunEvents.from_json(reply.get("result"))
            self._replay(stored)
            self.exports.show(ExportTarget(stored.run.run_id, stored.run.question))

        self.client.request("run_events", {"run_id": run_id}, on_done=shown)

    def _replay(self, stored: RunEvents, kind: str = "Saved run") -> None:
        """Show a recorded run read-only in the run panel (History's open, File > Open a
        saved analysis… and the demo)."""
        self.run_panel.show_run(stored.run, stored.events, kind)
        self.side_tabs.setCurrentWidget(self.run_panel_widget)

    def open_saved_analysis(self) -> None:
        """File > Open a saved analysis…: choose a record of an analysis (a trajectory log)."""
        dialog = QFileDialog(self, "Open a saved analysis")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(SAVED_ANALYSIS_FILTER)
        dialog.fileSelected.connect(self.open_saved_file)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def open_saved_file(self, path: str) -> None:
        """Replay the record of an analysis at ``path``, read-only; no model is asked. The
        engine reads the file (off this thread); what cannot be shown is said in plain words
        and leaves the run panel as it was."""
        name = Path(path).name or path
        if self.ask_panel.running:
            self._saved_analysis_message(
                f"{name} was not opened: a question is running. Open it when the question "
                "has finished, or stop it first.")
            return

        # The events arrive one line each (the client takes them in slices, so a long record
        # never stalls the window); the reply then says which run they make.
        events: list[dict[str, Any]] = []

        def read(reply: dict[str, Any]) -> None:
            if not reply.get("ok"):
                self._saved_analysis_message(f"{name} could not be opened: "
                                             + in_app(str(reply.get("error") or "")))
                return
            if self.ask_panel.running:     # a question began while the file was read
                self._saved_analysis_message(
                    f"{name} was not shown: a question started while it was being read. "
                    "Open it again when the question has finished.")
                return
            saved = SavedAnalysis.from_json(reply.get("result"))
            self._replay(RunEvents(run=saved.run, events=events))
            self.exports.show(ExportTarget(saved.run.run_id, saved.run.question,
                                           log=saved.path or path))
            if saved.skipped:
                lines = "line" if saved.skipped == 1 else "lines"
                were = "was" if saved.skipped == 1 else "were"
                self._saved_analysis_message(
                    f"Opened {name}, but {saved.skipped:,} damaged {lines} could not be read "
                    f"and {were} skipped; the rest is shown.")
            else:
                self._saved_analysis_message(f"Opened the saved analysis {name}.",
                                             problem=False)

        self.statusBar().showMessage(f"Opening {name}…")
        self.client.request("read_log", {"path": path}, on_done=read, on_event=events.append)

    def _saved_analysis_message(self, text: str, problem: bool = True) -> None:
        """What opening a saved analysis did: a problem stays in the banner until dismissed
        (plain text: it may quote a path); success is a passing note in the status bar."""
        self.last_open_message = text
        self.statusBar().showMessage(text, 15000)
        if problem:
            self.banner.show_message(text, "warning")

    def _export_reported(self, message: str, problem: bool, retry: object) -> None:
        """What an export did: a problem stays in the banner, with another try on offer;
        success (and "Saving…") is a note in the status bar."""
        self.statusBar().showMessage(message, 30000 if problem else 15000)
        if problem:
            self._export_problem = message
            offer = BannerAction("Choose another place…", retry) if callable(retry) else None
            self.banner.show_message(message, "warning", offer)
        elif self._export_problem and self.banner.text.text() == self._export_problem:
            self.banner.hide()          # an earlier failure, now done right

    def delete_run(self, run_id: str) -> None:
        self.client.request("delete_run", {"run_id": run_id},
                            on_done=lambda _reply: self.refresh_history())

    def _remember_documents(self) -> None:
        for row in self.library.model.documents():
            self._known_docs[row.id] = (row.title, row.path)

    def _remember_document(self, doc_id: int, title: str, path: str) -> None:
        """A document the viewer opened (perhaps of another collection): its citations keep
        their names."""
        self._known_docs[doc_id] = (title, path)

    def title_of(self, doc_id: int) -> str | None:
        """A document's title, in whichever collection it is (None when never seen)."""
        known = self._known_docs.get(doc_id)
        return self.library.model.title_of(doc_id) or (known[0] if known else None)

    def _open_citation(self, doc_id: int, page: int) -> None:
        """Show the cited page in the source viewer, its quotes highlighted."""
        self.show_source(doc_id, page, self.ask_panel.quotes_for(doc_id, page), focus=True)

    def show_source(self, doc_id: int, page: int, quotes: list[str] | None = None, *,
                    focus: bool = False) -> None:
        """Open a document of the library (any collection) at a page in the Source tab; with
        ``focus`` (opened by the person's click) its page takes the keyboard."""
        self.side_tabs.setCurrentWidget(self.viewer)
        self.viewer.show_document(doc_id, page, quotes, focus=focus)

    def _ingest_finished(self, outcome: IngestOutcome) -> None:
        self.statusBar().showMessage("Library updated.", 4000)

    # --- settings and first run ------------------------------------------------------------

    def _check_setup(self, reply: dict[str, Any]) -> None:
        if not reply.get("ok") or SavedSettings.from_json(reply.get("result")).root_model:
            return
        if bool(self._settings.value("setup/skipped", False, type=bool)):
            self.banner.show_message("No AI model is set up yet. You can add and browse "
                                     "documents, or see a demo of a question answered "
                                     "earlier; to ask questions, set up a model.",
                                     "info", self._setup_offer, self._demo_offer)
            return
        QTimer.singleShot(0, self.open_setup)

    def open_setup(self) -> None:
        if self.wizard is not None and self.wizard.isVisible():
            self.wizard.raise_()
            return
        self.wizard = self._wizard_factory(self.client, self)
        self.wizard.finished.connect(self._setup_finished)
        demo_requested = getattr(self.wizard, "demo_requested", None)
        if demo_requested is not None:
            demo_requested.connect(self.open_demo)
        self._on_saved(self.wizard)
        self.wizard.open()

    def _setup_finished(self, result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            self._settings.setValue("setup/skipped", True)
        self.ask_panel.update_scope()

    def open_demo(self) -> None:
        """Help > See a demo: a question answered earlier about sample documents, replayed
        with its sources; no model is asked."""
        self.demo.open()

    def open_settings(self) -> None:
        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return
        self.settings_dialog = self._settings_factory(self.client, self)
        self._on_saved(self.settings_dialog)
        self.settings_dialog.open()

    def _on_saved(self, dialog: QDialog) -> None:
        """After settings are saved (dialog or wizard), look again at whether a model is set."""
        saved = getattr(dialog, "saved", None)
        if saved is not None:
            saved.connect(self._recheck_setup)

    def _recheck_setup(self) -> None:
        self.ask_panel.settings_changed()
        self.client.request("settings_get", {}, on_done=self._check_setup_quietly)

    def _check_setup_quietly(self, reply: dict[str, Any]) -> None:
        if reply.get("ok") and SavedSettings.from_json(reply.get("result")).root_model and \
                self.banner.current_action is self._setup_offer:
            self.banner.hide()

    def show_about(self) -> None:
        show_about(self)

    # --- drag and drop ------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _local_paths(event.mimeData()):
            event.acceptProposedAction()
            collection = self.library.current_collection() or "default"
            self.statusBar().showMessage(f"Drop to add to “{collection}”", 3000)
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if _local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.library.add_paths(paths)

    # --- layout memory ------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            screen = self.screen().availableGeometry()
            self.resize(min(1360, int(screen.width() * 0.92)),
                        min(820, int(screen.height() * 0.9)))
        splitter = self._settings.value("window/splitter")
        if not (isinstance(splitter, QByteArray) and self.splitter.restoreState(splitter)):
            self.splitter.setSizes([470, 430, 460])
        tab = _as_int(self._settings.value("window/side_tab", 0, type=int))
        self.side_tabs.setCurrentIndex(tab if 0 <= tab < self.side_tabs.count() else 0)

    def save_layout(self) -> None:
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/splitter", self.splitter.saveState())
        self._settings.setValue("window/side_tab", self.side_tabs.currentIndex())
        self._settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        super().closeEvent(event)


def _as_int(value: object) -> int:
    """A QSettings value read with type=int (typed object by the stubs) as an int."""
    return value if isinstance(value, int) else 0


def _local_paths(mime: Any) -> list[str]:
    if mime is None or not mime.hasUrls():
        return []
    return [str(Path(url.toLocalFile())) for url in mime.urls() if url.isLocalFile()]
