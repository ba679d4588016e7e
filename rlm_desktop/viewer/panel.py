"""The source viewer panel: a cited page with its quote highlighted, or the page's stored text.

PDF pages are drawn by PyMuPDF on a thread-pool thread (``render.RenderJob``); Word and text
sources, and files that moved or changed since they were read, show the text the store kept
(the worker's ``page_text``) as plain text. Nothing here blocks the GUI thread.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QThreadPool, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QKeySequence,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QStackedWidget,
    QTextEdit,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from rlm_desktop.advice import in_app
from rlm_desktop.library.titles import display_title
from rlm_desktop.replies import Document, PageText, list_of
from rlm_desktop.viewer.canvas import HIGHLIGHT_FILL, PageCanvas
from rlm_desktop.viewer.quotes import find_in_text
from rlm_desktop.viewer.render import (
    CHANGED,
    MISSING,
    PASSWORD,
    PageRequest,
    RenderedPage,
    RenderJob,
    RenderSignals,
    is_text,
)
from rlm_desktop.widgets.palette_tones import tint, tone
from rlm_desktop.widgets.safe_text import safe_tooltip
from rlm_desktop.worker_client import WorkerClient

ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.25, 6.0
NOT_FOUND = "Quote not found on this page."
SCANNED = ("This page is a scanned picture with no text layer, so the quote cannot be marked "
           "on it; look for it on the page.")
GUESSED_WIDTH_PT = 600.0     # between A4 (595) and Letter (612)


def page_caption(page: int, label: str, pages: int, *, pdf: bool = True) -> str:
    """The printed number first, the position second (VOCABULARY.md): "p. 236 (PDF p. 244)",
    "p. ¶12–¶30 (page 3)" for a Word file's paragraph-labelled page; "p. 3 of 9" when the
    printed number is the position."""
    if label and label != str(page):
        return f"p. {label} ({'PDF p.' if pdf else 'page'} {page})"
    return f"p. {page} of {pages}" if pages else f"p. {page}"


def _set_caption(label: QLabel, caption: str, pages: int) -> None:
    label.setText(caption)
    label.setToolTip(f"{pages} pages in all" if pages else "")


def _is_pdf(doc: Document) -> bool:
    if _is_attachment(doc):
        return False
    return doc.type.lower() == "pdf" or Path(doc.path).suffix.lower() == ".pdf"


def _is_attachment(doc: Document) -> bool:
    """A document read from inside a file ("mail.eml#contract.pdf", see engine/ingest/
    parts.py) has no file of its own to draw: its stored text is shown."""
    return "#" in doc.path and not os.path.lexists(doc.path)


def _typing_outside(viewer: QWidget) -> bool:
    """Whether the keyboard is in a text field outside ``viewer`` that the person types in."""
    widget = QApplication.focusWidget()
    if widget is None or viewer.isAncestorOf(widget):
        return False
    if isinstance(widget, QLineEdit):
        return not widget.isReadOnly()
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        return not widget.isReadOnly()
    return False


class SourceViewer(QWidget):
    """Shows one page of one document; ``show_document`` opens it (asks the worker first)."""

    unavailable = Signal(str)      # the document is gone from the library: say so elsewhere
    page_shown = Signal()          # a page (drawn or as text) is on screen
    document_opened = Signal(int, str, str)    # id, title as shown, path

    def __init__(self, client: WorkerClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.setAccessibleName("Source viewer")
        self.doc: Document | None = None
        self.page = 1
        self.pages = 0
        self.quotes: tuple[str, ...] = ()       # highlighted on the cited page only
        self.cited_page = 0
        self.zoom = 1.0
        self.fit_width = True
        self.mode = ""                 # "pdf", "text" or "" (nothing shown)
        self.last_render_s = 0.0
        self._token = 0
        self._width_pt = 0.0
        self._stale = ""               # why the file is not drawn: MISSING, CHANGED, ...
        self.text_spans: list[tuple[int, int]] = []    # highlighted (start, end) in text mode
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)          # PyMuPDF is used from one thread at a time
        self._signals = RenderSignals(self)
        self._signals.done.connect(self._rendered)
        self._take_focus = False       # the page takes the keyboard once it is shown
        self.page_shown.connect(self._focus_when_shown)

        self.title = QLabel("Click a citation in an answer, or double-click a document in "
                            "the library, to see its page here.")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.title.setAccessibleName("Document shown")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        # A tool bar: when the panel is narrow, what does not fit goes behind its » button.
        self.toolbar = QToolBar("Page")
        self.toolbar.setAccessibleName("Page tools")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.prev_action = self._action("‹", "Previous page", ("PgUp",), self.previous_page)
        self.page_label = QLabel("")
        self.page_label.setTextFormat(Qt.TextFormat.PlainText)
        self.page_label.setAccessibleName("Page")
        self.page_label.setContentsMargins(4, 0, 4, 0)
        self.toolbar.addWidget(self.page_label)
        self.next_action = self._action("›", "Next page", ("PgDown",), self.next_page)
        self.toolbar.addSeparator()
        self.zoom_out_action = self._action("−", "Zoom out", ("Ctrl+-", "-"), self.zoom_out)
        self.zoom_in_action = self._action("+", "Zoom in", ("Ctrl+=", "Ctrl++", "+"),
                                           self.zoom_in)
        self.fit_action = self._action("Fit width", "Fit the page to the panel's width", (),
                                       self.fit_to_width)
        self.toolbar.addSeparator()
        self.system_action = self._action("Open in system viewer",
                                          "Open the file in your computer's own viewer", (),
                                          self.open_in_system)
        self.notice = QLabel("")
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Viewer notice")
        self.notice.setMargin(6)
        self.notice.setAutoFillBackground(True)
        self.notice.hide()
        self._tone_notice()

        self.canvas = PageCanvas()
        self.scroll_area = QScrollArea()
        self.scroll_area.setAccessibleName("Page image")
        self.scroll_area.setWidget(self.canvas)
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.StrongFocus)    # for the shortcuts
        self.text_view = QPlainTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setAccessibleName("Page text")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.scroll_area)
        self.stack.addWidget(self.text_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.notice)
        layout.addWidget(self.stack, 1)
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(120)
        self._refit.timeout.connect(self._render)
        self._update_buttons()

    def _action(self, text: str, name: str, keys: tuple[str, ...], slot: Any) -> QAction:
        """A tool bar action; its shortcuts work wherever the focus is inside the viewer."""
        action = QAction(text, self)
        shown = [QKeySequence(key) for key in keys]
        tip = name + (f" ({shown[0].toString(QKeySequence.SequenceFormat.NativeText)})"
                      if shown else "")
        action.setToolTip(tip)
        action.setShortcuts(shown)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        self.toolbar.addAction(action)
        button = self.toolbar.widgetForAction(action)
        if button is not None:
            button.setAccessibleName(name)
        return action

    # --- opening ----------------------------------------------------------------------

    def show_document(self, doc_id: int, page: int = 1, quotes: list[str] | None = None, *,
                      focus: bool = False) -> None:
        """Open a document of the library at a page, highlighting ``quotes`` on it; with
        ``focus`` (the person clicked to open it), the page takes the keyboard, so that
        PgUp/PgDn, the arrows and +/- work at once."""
        self._take_focus = focus
        if focus:
            self._focus_page()
        self._token += 1
        token = self._token
        self.quotes = tuple(q for q in (quotes or []) if q.strip())
        self.cited_page = page

        def found(reply: dict[str, Any]) -> None:
            if token != self._token:
                return
            docs = list_of(Document.from_json, reply.get("result")) if reply.get("ok") else []
            if not docs:
                message = ("The document this citation names has been removed from the "
                           "library, so the cited page cannot be shown. Add the file again "
                           "to open it from here." if reply.get("ok") else
                           "The document could not be looked up: "
                           + in_app(str(reply.get("error"))))
                self._clear(message)
                self.unavailable.emit(message)
                return
            self._open(docs[0], page)

        self.client.request("documents", {"ids": [doc_id]}, on_done=found)

    def _open(self, doc: Document, page: int) -> None:
        self.doc = doc
        self.pages = doc.pages
        self.page = max(1, min(page, doc.pages)) if doc.pages else max(1, page)
        title = display_title(doc.title, doc.shown_path)
        self.title.setText(title)
        self.title.setToolTip(safe_tooltip(doc.shown_path))
        self.document_opened.emit(doc.id, title, doc.shown_path)
        self._stale = ""
        self._width_pt = 0.0
        self._show_page()

    def _show_page(self) -> None:
        if self.doc is None:
            return
        self._update_buttons()
        _set_caption(self.page_label, page_caption(self.page, "", self.pages), self.pages)
        if _is_pdf(self.doc) and not self._stale:
            self._render()
        else:
            self._request_text()

    def _clear(self, message: str) -> None:
        self.doc = None
        self.mode = ""
        self.canvas.clear()
        self.text_view.clear()
        self.page_label.setText("")
        self._say(message)
        self._update_buttons()

    # --- PDF pages ------------------------------------------------------------------------

    def _render(self) -> None:
        if self.doc is None or not _is_pdf(self.doc) or self._stale:
            return
        self._token += 1
        if self.fit_width:
            # A new document's width is not known yet: guess a Letter/A4 page, and draw
            # again only if the guess was wrong (see _rendered).
            self.zoom = self._fit_zoom(self._width_pt or GUESSED_WIDTH_PT)
        ratio = self.devicePixelRatioF() or 1.0
        request = PageRequest(path=self.doc.path, page=self.page, scale=self.zoom * ratio,
                              quotes=self._page_quotes(), size=self.doc.size,
                              mtime_ns=self.doc.mtime_ns)
        self._pool.start(RenderJob(self._token, request, self._signals))

    def _fit_zoom(self, width_pt: float) -> float:
        room = self.scroll_area.viewport().width() - 24
        return max(ZOOM_MIN, min(ZOOM_MAX, room / width_pt)) if width_pt > 0 else 1.0

    def _rendered(self, token: int, result: RenderedPage) -> None:
        if token != self._token or self.doc is None:
            return
        self.last_render_s = result.seconds
        if result.problem:
            self._stale = PASSWORD if result.detail == PASSWORD else result.problem
            self._request_text()
            return
        assert result.image is not None
        if self.fit_width and not self._width_pt and result.width_pt:
            # The first page of a document: now that its width is known, draw it to fit.
            self._width_pt = result.width_pt
            if not math.isclose(result.width_pt, GUESSED_WIDTH_PT, rel_tol=0.03):
                self._render()
                return
        self._width_pt = result.width_pt or self._width_pt
        self.pages = result.pages or self.pages
        result.image.setDevicePixelRatio(self.devicePixelRatioF() or 1.0)
        self.canvas.set_page(result.image, result.rects, self.zoom)
        self.mode = "pdf"
        self.stack.setCurrentWidget(self.scroll_area)
        _set_caption(self.page_label, page_caption(self.page, result.label, self.pages),
                     self.pages)
        if not result.label:
            self._request_printed_number(token)
        self._say(SCANNED if result.scanned else
                  NOT_FOUND if result.quote_found is False else "")
        self._update_buttons()
        rects = self.canvas.highlight_rects()
        if rects:
            first = rects[0]
            self.scroll_area.ensureVisible(int(first.center().x()), int(first.center().y()),
                                      40, self.scroll_area.viewport().height() // 3)
        else:
            self.scroll_area.verticalScrollBar().setValue(0)
        self.page_shown.emit()

    # --- stored text ------------------------------------------------------------------------

    def _request_printed_number(self, token: int) -> None:
        """A PDF without page labels: the printed number found at ingest (its footer's "3"),
        so the caption says "p. 3 (PDF p. 4)" as the citation does."""
        if self.doc is None:
            return
        page = self.page

        def got(reply: dict[str, Any]) -> None:
            if token != self._token or not reply.get("ok") or self.mode != "pdf":
                return
            label = PageText.from_json(reply.get("result")).label
            if label:
                _set_caption(self.page_label, page_caption(page, label, self.pages),
                             self.pages)

        self.client.request("page_text", {"doc_id": self.doc.id, "page": page}, on_done=got)

    def _request_text(self) -> None:
        if self.doc is None:
            return
        self._token += 1
        token, doc, page = self._token, self.doc, self.page

        def got(reply: dict[str, Any]) -> None:
            if token != self._token:
                return
            if not reply.get("ok"):
                self._say("The page's text could not be read from the library: "
                          + in_app(str(reply.get("error"))))
                return
            self._show_text(doc, PageText.from_json(reply.get("result")))

        self.client.request("page_text", {"doc_id": doc.id, "page": page}, on_done=got)

    def _show_text(self, doc: Document, stored: PageText) -> None:
        self.mode = "text"
        self.canvas.clear()
        self.pages = stored.pages or self.pages
        self.text_view.setPlainText(stored.text)       # plain text: tags show as typed
        self.stack.setCurrentWidget(self.text_view)
        _set_caption(self.page_label, page_caption(self.page, stored.label, self.pages,
                                                  pdf=_is_pdf(doc)), self.pages)
        notes = []
        if self._stale == MISSING:
            notes.append(f"The file is no longer where it was added (moved or deleted): "
                         f"{doc.shown_path}. Below is the text of this page as it was read then.")
        elif self._stale == CHANGED:
            notes.append("The file has changed since it was added to the library, so its "
                         "pages may no longer match. Below is the text of this page as it "
                         "was read then, not the file as it is now.")
        elif self._stale == PASSWORD:
            notes.append("The file is password-protected, so it is not drawn here. Below is "
                         "the text of this page as it was read when it was added.")
        elif self._stale:
            notes.append("The file could not be drawn, so below is the text of this page as "
                         "it was read when it was added.")
        if not stored.found:
            notes.append("The library has no text for this page.")
        quotes = self._page_quotes()
        spans = [span for q in quotes if (span := find_in_text(stored.text, q))]
        if quotes and not spans:
            notes.append(NOT_FOUND)
        self.text_spans = spans
        selections = []
        fmt = QTextCharFormat()
        # A solid marker yellow with black text: readable on light and dark palettes alike.
        fmt.setBackground(QColor(HIGHLIGHT_FILL.red(), HIGHLIGHT_FILL.green(),
                                 HIGHLIGHT_FILL.blue()))
        fmt.setForeground(QColor("black"))
        for start, end in spans:
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.text_view.document())
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selection.format = fmt
            selections.append(selection)
        self.text_view.setExtraSelections(selections)
        if spans:
            cursor = QTextCursor(self.text_view.document())
            cursor.setPosition(spans[0][0])
            self.text_view.setTextCursor(cursor)
            self.text_view.centerCursor()
        self._say(" ".join(notes))
        self._update_buttons()
        self.page_shown.emit()

    # --- keyboard focus ----------------------------------------------------------------------

    def _focus_page(self) -> None:
        """The shown page (drawn, or its text) takes the keyboard focus."""
        page = self.stack.currentWidget()
        if page is not None:
            page.setFocus(Qt.FocusReason.OtherFocusReason)

    def _focus_when_shown(self) -> None:
        if not self._take_focus:
            return
        self._take_focus = False
        # Not while the person types elsewhere (say, a question they began meanwhile).
        if not _typing_outside(self) and self.isVisible():
            self._focus_page()

    # --- navigation and zoom ---------------------------------------------------------------

    def previous_page(self) -> None:
        self.go_to(self.page - 1)

    def next_page(self) -> None:
        self.go_to(self.page + 1)

    def go_to(self, page: int) -> None:
        if self.doc is None or page < 1 or (self.pages and page > self.pages):
            return
        self.page = page
        self._show_page()

    def zoom_in(self) -> None:
        self._set_zoom(self.zoom * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._set_zoom(self.zoom / ZOOM_STEP)

    def fit_to_width(self) -> None:
        self.fit_width = True
        self._render()

    def _set_zoom(self, zoom: float) -> None:
        if self.mode != "pdf":
            return
        self.fit_width = False
        self.zoom = max(ZOOM_MIN, min(ZOOM_MAX, zoom))
        self._render()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fit_width and self.mode == "pdf":
            self._refit.start()

    def open_in_system(self) -> None:
        if self.doc is None:
            return
        shown = self.doc.shown_path
        if not Path(self.doc.path).exists():
            self._say(f"The file is no longer where it was added (moved or deleted): {shown}")
        elif not is_text(self.doc.path) or \
                not QDesktopServices.openUrl(QUrl.fromLocalFile(self.doc.path)):
            # A name that is not text (bytes no encoding reads) cannot be handed to Qt.
            self._say("No app on this computer is set up to open this kind of file. Open it "
                      f"yourself from: {shown}")

    # --- helpers ------------------------------------------------------------------------------

    def _page_quotes(self) -> tuple[str, ...]:
        """The quotes to look for on the page shown: the citation's, on its page only."""
        return self.quotes if self.page == self.cited_page else ()

    def _tone_notice(self) -> None:
        """A warning's soft background and readable text, from the current palette."""
        palette = self.notice.palette()
        palette.setColor(QPalette.ColorRole.Window, tint(self.palette(), "warn", 0.18))
        palette.setColor(QPalette.ColorRole.WindowText, tone(self.palette(), "warn"))
        self.notice.setPalette(palette)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._tone_notice()

    def notice_text(self) -> str:
        return self.notice.text() if self.notice.isVisibleTo(self) else ""

    def _say(self, message: str) -> None:
        self.notice.setText(message)
        self.notice.setVisible(bool(message))

    def _update_buttons(self) -> None:
        shown = self.doc is not None
        self.prev_action.setEnabled(shown and self.page > 1)
        self.next_action.setEnabled(shown and (not self.pages or self.page < self.pages))
        for action in (self.zoom_in_action, self.zoom_out_action, self.fit_action):
            action.setEnabled(self.mode == "pdf")
        self.system_action.setEnabled(shown)
