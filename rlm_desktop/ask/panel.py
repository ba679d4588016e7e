"""The Ask panel: a conversation with the documents, the question box, and each answer's facts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QKeyEvent,
    QKeySequence,
    QPalette,
    QShortcut,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.rlm.citations import parse_markers
from rlm_desktop.advice import in_app
from rlm_desktop.ask.model_warning import ModelWarning
from rlm_desktop.ask.render import EXPORT_LINK, Turn, exportable, parse_cite_url, render
from rlm_desktop.replies import AskResult, RunRecord
from rlm_desktop.widgets.citation_marks import checked
from rlm_desktop.widgets.empty_state import EmptyState
from rlm_desktop.widgets.icons import icon
from rlm_desktop.widgets.panel_header import panel_header
from rlm_desktop.widgets.safe_links import open_untrusted_link
from rlm_desktop.widgets.safe_text import SafeDocument, placeholder
from rlm_desktop.worker_client import WorkerClient

# (collection or None, checked document ids or None for all)
Scope = tuple[str | None, list[int] | None]


class QuestionBox(QPlainTextEdit):
    """Enter asks, Shift+Enter starts a new line; grows with its text up to a few lines."""

    submitted = Signal()
    files_dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.textChanged.connect(self._fit)
        self._fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & (Qt.KeyboardModifier.ShiftModifier
                                              | Qt.KeyboardModifier.AltModifier):
            self.submitted.emit()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: Any) -> bool:
        return source.hasUrls() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: Any) -> None:
        # Files dropped on the question box go to the library, not into the text.
        paths = [url.toLocalFile() for url in source.urls() if url.isLocalFile()]
        if paths:
            self.files_dropped.emit(paths)
            return
        super().insertFromMimeData(source)

    def _fit(self) -> None:
        lines = max(2, min(8, int(self.document().size().height())))
        margins = self.contentsMargins()
        height = lines * self.fontMetrics().lineSpacing() + 2 * int(self.document()
                                                                    .documentMargin())
        self.setFixedHeight(height + margins.top() + margins.bottom() + 4)


class AnswerView(QTextBrowser):
    """The conversation; never loads images or files an answer may point at."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocument(SafeDocument(self))

    def loadResource(self, kind: int, url: QUrl | str) -> Any:
        # A real placeholder: with nothing, Qt would read the URL as a local file itself.
        return placeholder(kind)


class AskPanel(QWidget):
    """Centre of the window. Talks to the worker's ``ask``; MainWindow relays the run's events
    to the run panel through ``run_begun``, ``run_event`` and ``run_finished``."""

    run_begun = Signal(str)                 # the question
    stop_started = Signal()                 # Stop was asked for (button, Esc, Ctrl+.)
    run_event = Signal(dict)                # every event of the run tree, in order
    run_finished = Signal(object, object)   # (AskResult | None, error str | None)
    settings_requested = Signal()
    citation_clicked = Signal(int, int)     # document id, page
    export_requested = Signal(str, str)     # an answered question's run id, the question
    files_dropped = Signal(list)

    def __init__(self, client: WorkerClient, scope: Callable[[], Scope],
                 title_of: Callable[[int], str | None] | None = None,
                 parent: QWidget | None = None, *,
                 readable: Callable[[], int] | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._scope = scope
        # How many documents of the collection a question can read (None: not known here).
        self._readable = readable
        self._title_of = title_of or (lambda _doc_id: None)
        self.turns: list[Turn] = []
        self.conversation: str | None = None
        self._conversation_scope: Scope | None = None
        # "Ask about this table": (review id, name) while questions go to a review table
        # and its documents instead of the library's selection.
        self.table: tuple[str, str] | None = None
        self._request_id = 0
        self._elapsed = 0
        self._pending_note = ""
        self._settings_changed = False
        self.last_error_kind = ""    # of the last question that failed ("" when it answered)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._live_timer = QTimer(self)      # events come in bursts: redraw a few times a second
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(250)
        self._live_timer.timeout.connect(self._render)
        self._build()
        self.update_scope()

    # --- building -------------------------------------------------------------------

    def _build(self) -> None:
        self.new_action = QAction(icon("new-conversation"), "&New conversation", self)
        self.new_action.setShortcut(QKeySequence("Ctrl+N"))
        self.new_action.setToolTip("Start a new conversation (earlier questions are forgotten "
                                   "by the model, and kept in History)")
        self.new_action.triggered.connect(self.new_conversation)
        self.stop_action = QAction(icon("stop"), "&Stop", self)
        self.stop_action.setShortcut(QKeySequence("Ctrl+."))
        self.stop_action.setToolTip("Stop the running question (Esc); the partial answer "
                                    "is kept")
        self.stop_action.triggered.connect(self.stop)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.stop)
        header = panel_header("Ask", self.new_action, "New conversation", text_beside=True)
        self.export_action = QAction(icon("export"), "&Export…", self)
        self.export_action.setToolTip("Save the latest answer and its sources as a Word, PDF "
                                      "or Markdown file")
        self.export_action.triggered.connect(self.export_latest)
        self.export_button = QToolButton()
        self.export_button.setDefaultAction(self.export_action)
        self.export_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.export_button.setAccessibleName("Export the answer")
        self.export_button.setAutoRaise(True)
        self.export_button.setVisible(False)      # until there is an answer to export
        header.insertWidget(header.count() - 1, self.export_button)

        self.view = AnswerView()
        self.view.setAccessibleName("Conversation")
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(self._link)
        self.empty = EmptyState("question", "Ask a question about your documents",
                                "For example: “Which clauses limit liability, and to what "
                                "amount?” The main model reads the documents step by step and "
                                "hands pieces to a helper model; the run panel shows every "
                                "step and its cost.")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.view)

        self.question = QuestionBox()
        self.question.setAccessibleName("Question")
        self.question.submitted.connect(self.ask)
        self.question.files_dropped.connect(self.files_dropped)
        self.ask_button = QPushButton(icon("ask"), "Ask")
        self.ask_button.setAccessibleName("Ask")
        self.ask_button.setToolTip("Ask (Enter); Shift+Enter starts a new line")
        self.ask_button.setDefault(True)
        self.ask_button.clicked.connect(self._ask_or_stop)
        self.scope_label = QLabel()
        self.scope_label.setAccessibleName("What the question covers")
        self.scope_label.setWordWrap(True)
        self.scope_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.question, 1)
        row.addWidget(self.ask_button, 0, Qt.AlignmentFlag.AlignBottom)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 10, 6, 10)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        # Before a question: a warning when the main model failed its last test.
        self.model_warning = ModelWarning(self._client, self)
        self.model_warning.settings_requested.connect(self.settings_requested)
        layout.addWidget(self.model_warning)
        layout.addWidget(self.scope_label)
        layout.addLayout(row)
        self.stop_action.setEnabled(False)

    def refresh_icons(self) -> None:
        self.new_action.setIcon(icon("new-conversation"))
        self.export_action.setIcon(icon("export"))
        self.stop_action.setIcon(icon("stop"))
        self.ask_button.setIcon(icon("stop" if self.running else "ask"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.refresh_icons()
            self._render()
        super().changeEvent(event)

    # --- state ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return bool(self._request_id)

    def _has_documents(self, collection: str | None) -> bool:
        if collection is None:
            return False
        return self._readable is None or self._readable() > 0

    def ask_about_table(self, review_id: str, name: str) -> None:
        """Send the next questions to a review table and its documents (until the library's
        selection changes or the person goes back to the documents)."""
        self.table = (review_id, name)
        self.update_scope()
        self.question.setFocus()

    def leave_table(self) -> None:
        if self.table is not None:
            self.table = None
            self.update_scope()

    def _current_scope(self) -> Scope:
        if self.table is not None:
            return (f"review:{self.table[0]}", None)
        collection, ids = self._scope()
        return (collection, ids or None)

    def update_scope(self) -> None:
        """Say what the next question covers (called when the library or its selection
        changes)."""
        collection, ids = self._scope()
        if self.table is not None:
            text = (f"About the review table “{self.table[1]}”: its answers and sources, with "
                    "its documents still at hand. Choose documents in the library to ask "
                    "about them again.")
            if self.conversation and self._conversation_scope != self._current_scope():
                text += " (The next question starts a new conversation.)"
            self.scope_label.setText(text)
            self.question.setPlaceholderText(
                "Ask about the table, e.g. which documents can be ended before 2028?")
            return
        if collection is None:
            text = "Add documents to the library to ask about them."
        elif not self._has_documents(collection):
            text = (f"“{collection}” has no readable documents yet: drop PDFs or Word files "
                    "on the window, or use Add files.")
        elif ids:
            text = f"About the {len(ids):,} checked document{'s' if len(ids) != 1 else ''} " \
                   f"in “{collection}”."
        else:
            text = f"About every readable document in “{collection}”." \
                if self._readable is not None else f"About every document in “{collection}”."
        if self.conversation and self._conversation_scope != (collection, ids or None):
            text += " (The documents changed: the next question starts a new conversation.)"
        elif self.conversation:
            text += " Follow-up questions keep the earlier ones in mind."
        self.scope_label.setText(text)
        self.question.setPlaceholderText(
            "Ask a question (Enter to ask, Shift+Enter for a new line)"
            if self._has_documents(collection) else
            "Add documents first, then ask a question about them")

    # --- actions ----------------------------------------------------------------------

    def ask(self, question: str | None = None) -> int:
        """Send a question (the box's text by default); returns the request id, 0 if not sent."""
        text = (question if question is not None else self.question.toPlainText()).strip()
        if not text or self.running:
            return 0
        collection, ids = self._scope()
        if self.table is None and not self._has_documents(collection):
            self.scope_label.setText("Add documents first: drop PDFs or Word files on the "
                                     "window, or use Add files.")
            return 0
        scope: Scope = self._current_scope()
        turn = Turn(question=text)
        if self.conversation and scope != self._conversation_scope:
            self._end_conversation()
            turn.notes.append("New conversation: the selected documents changed.")
        elif self.conversation and self._settings_changed:
            self._end_conversation()
            turn.notes.append("New conversation: it uses the settings you just saved.")
        self._settings_changed = False
        if self._pending_note:
            turn.notes.append(self._pending_note)
            self._pending_note = ""
        self.turns.append(turn)
        self.question.clear()
        self._conversation_scope = scope
        self._elapsed = 0
        self._clock.start()
        where: dict[str, Any] = ({"review_id": self.table[0]} if self.table is not None
                                 else {"collection": collection, "document_ids": ids or None})
        self._request_id = self._client.request(
            "ask", {"question": text, **where, "conversation": self.conversation},
            on_event=lambda event: self._event(turn, event),
            on_done=lambda reply: self._done(turn, reply))
        self._set_running(True)
        self.run_begun.emit(text)
        self._render()
        return self._request_id

    def stop(self) -> None:
        """Stop the running question; the worker ends it within 2 s with a partial answer."""
        if not self.running or (self.turns and self.turns[-1].status == "stopping"):
            return
        self._client.cancel(self._request_id)
        if self.turns and self.turns[-1].status == "running":
            self.turns[-1].status = "stopping"
        self.ask_button.setEnabled(False)
        self.ask_button.setText("Stopping…")
        self._render()
        self.stop_started.emit()

    def settings_changed(self) -> None:
        """Models, keys or limits were saved: a conversation keeps the models and keys it
        started with, so the next question starts a new one that uses the saved settings."""
        self._settings_changed = bool(self.conversation)
        self.model_warning.refresh()

    def new_conversation(self) -> None:
        if self.running:
            return
        self._end_conversation()
        self.turns.clear()
        self._pending_note = ""
        self.update_scope()
        self._render()
        self.question.setFocus()

    def _end_conversation(self) -> None:
        if self.conversation:
            self._client.request("end_conversation", {"conversation": self.conversation})
        self.conversation = None
        self._conversation_scope = None

    def _ask_or_stop(self) -> None:
        if self.running:
            self.stop()
        else:
            self.ask()

    # --- replies ----------------------------------------------------------------------

    def _event(self, turn: Turn, event: dict[str, Any]) -> None:
        if _fold(turn, event):
            self._render_live()
        self.run_event.emit(event)

    def show_recorded(self, run: RunRecord, events: list[dict[str, Any]], note: str) -> bool:
        """A recorded analysis (the demo) as the one finished question of a new conversation,
        its citations opening the viewer as a live answer's do; False while a question runs."""
        if self.running:
            return False
        self._end_conversation()
        self._pending_note = ""
        turn = Turn(question=run.question, notes=[note])
        for event in events:
            _fold(turn, event)
        turn.status = "done"
        turn.answer, turn.stop_reason, turn.partial = run.answer, run.stop_reason, run.partial
        turn.duration_s, turn.run_id, turn.error = run.duration_s, run.run_id, in_app(run.error)
        self.turns = [turn]
        self.update_scope()
        self._render()
        return True

    def _done(self, turn: Turn, reply: dict[str, Any]) -> None:
        self._request_id = 0
        self._clock.stop()
        self.last_error_kind = "" if reply.get("ok") else str(reply.get("kind") or "")
        if reply.get("ok"):
            result = AskResult.from_json(reply.get("result"))
            turn.apply_result(result)
            turn.error = in_app(turn.error)
            self.conversation = result.conversation or self.conversation
            self.run_finished.emit(result, None)
        else:
            turn.status = "failed"
            turn.error = in_app(str(reply.get("error") or
                                    "The question could not be answered."))
            turn.error_kind = str(reply.get("kind") or "")
            turn.duration_s = float(self._elapsed)
            if turn.error_kind == "worker_died":
                # The conversation's REPL died with the worker: the next question starts afresh.
                self.conversation = None
                self._conversation_scope = None
                self._pending_note = ("The engine was restarted, so this is a new "
                                      "conversation.")
            self.run_finished.emit(None, turn.error)
        self._set_running(False)
        self.update_scope()
        self._render()

    # --- drawing ----------------------------------------------------------------------

    def _set_running(self, running: bool) -> None:
        self.ask_button.setEnabled(True)
        self.ask_button.setText("Stop" if running else "Ask")
        self.ask_button.setIcon(icon("stop" if running else "ask"))
        self.ask_button.setAccessibleName("Stop" if running else "Ask")
        self.ask_button.setToolTip("Stop the run (Esc); the partial answer is kept" if running
                                   else "Ask (Enter); Shift+Enter starts a new line")
        self.stop_action.setEnabled(running)
        self.new_action.setEnabled(not running)

    def _tick(self) -> None:
        self._elapsed += 1

    def _render_live(self) -> None:
        if not self._live_timer.isActive():
            self._live_timer.start()

    def _render(self) -> None:
        self.stack.setCurrentWidget(self.view if self.turns else self.empty)
        self.export_button.setVisible(self.latest_answer() is not None)
        scroll = self.view.verticalScrollBar()
        at_end = scroll.value() >= scroll.maximum() - 4
        document: QTextDocument = self.view.document()
        render(document, self.turns, self.view.palette(), self._title_of)
        if at_end or self.running:
            scroll.setValue(scroll.maximum())

    def quotes_for(self, doc_id: int, page: int) -> list[str]:
        """The quotes the latest answer citing this page gives for it (for the viewer)."""
        for turn in reversed(self.turns):
            checked_citations = checked(turn.citations)
            if checked_citations:   # at the page each was found on (relocated: corrected)
                quotes = [(c.doc_id, c.page, c.quote) for c in checked_citations]
            else:
                quotes = [(c.doc_id, c.page, c.quote) for c in parse_markers(turn.answer)]
            cited = [quote for doc, at, quote in quotes if doc == doc_id and at == page]
            if cited:
                return [quote for quote in cited if quote]
        return []

    def latest_answer(self) -> Turn | None:
        """The last question of the conversation, when its answer can be exported."""
        if self.running or not self.turns or not exportable(self.turns[-1]):
            return None
        return self.turns[-1]

    def export_latest(self) -> None:
        turn = self.latest_answer()
        if turn is not None:
            self.export_requested.emit(turn.run_id, turn.question)

    def answer_text(self) -> str:
        """The conversation as plain text (what a screen reader or a test sees)."""
        return self.view.toPlainText()

    def _link(self, url: QUrl) -> None:
        text = url.toString()
        cite = parse_cite_url(text)
        if cite is not None:
            self.citation_clicked.emit(*cite)
        elif text == "rlm:settings":
            self.settings_requested.emit()
        elif text.startswith(EXPORT_LINK):
            run_id = text[len(EXPORT_LINK):]
            turn = next((t for t in self.turns if t.run_id == run_id and exportable(t)), None)
            if turn is not None:
                self.export_requested.emit(turn.run_id, turn.question)
        else:   # a link the model wrote: web links after a confirmation, others refused
            open_untrusted_link(url, self)


def _fold(turn: Turn, event: dict[str, Any]) -> bool:
    """What one run event changes in a question's facts; True when the text shown changes."""
    kind = event.get("type")
    if kind == "usage_totals":
        turn.apply_usage(event)
    elif kind == "iteration_started" and not event.get("depth"):
        turn.iteration = int(event.get("iteration") or 0)
    elif kind == "subcall_started" and event.get("kind") != "rlm_query":
        turn.helper_questions += 1
    elif kind == "answer_citations" and not event.get("depth"):
        citations = event.get("citations")
        turn.citations = citations if isinstance(citations, list) else []
        return False
    else:
        return False
    return True
