"""The window's part of the Review view: the Ask | Review tabs in the middle, the library's
documents as the review's scope, a cited page opened in the Source tab, messages shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

from rlm_desktop.library.panel import LibraryPanel
from rlm_desktop.review.cells import Row
from rlm_desktop.review.panel import ReviewPanel
from rlm_desktop.widgets.icons import icon
from rlm_desktop.window.banner import Banner
from rlm_desktop.worker_client import WorkerClient

ShowSource = Callable[..., None]
# The middle of the window is widened to this share while the Review tab is shown.
REVIEW_SHARE = 0.55


class WindowReview(QObject):
    """Builds ``tabs`` (Ask, Review) and wires the Review panel to the window."""

    def __init__(self, window: QMainWindow, client: WorkerClient, ask_panel: QWidget,
                 library: LibraryPanel, show_source: ShowSource, banner: Banner,
                 settings: QSettings) -> None:
        super().__init__(window)
        self.window, self.banner = window, banner
        self.library = library
        self.panel = ReviewPanel(client, self.scope, self.documents, settings)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Ask and review")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(ask_panel, icon("ask"), "Ask")
        self.tabs.addTab(self.panel, icon("review"), "Review")
        self.tabs.setTabToolTip(1, "Ask the same questions of every document, and see the "
                                   "answers in a table")
        self.panel.citation_clicked.connect(
            lambda doc_id, page, quote: show_source(doc_id, page, [quote] if quote else None,
                                                    focus=True))
        self.panel.message.connect(self._say)
        self.panel.ask_about_table.connect(self._ask_about_table)
        self.panel.run_requested.connect(self._show_run)
        self.client = client
        self.ask_panel = ask_panel
        # Choosing other documents in the library ends asking about a table.
        library.scope_changed.connect(getattr(ask_panel, "leave_table", lambda: None))
        library.scope_changed.connect(self.panel.scope_changed)
        library.documents_changed.connect(self.panel.scope_changed)
        client.ready.connect(lambda _hello: self.panel.refresh())
        if client.state == "ready":
            self.panel.refresh()
        self._widened = False
        self.tabs.currentChanged.connect(self._tab_changed)

    def scope(self) -> tuple[str | None, list[int] | None]:
        return self.library.current_collection(), self.library.checked_ids() or None

    def documents(self, ids: list[int] | None) -> list[Row]:
        """The library's shown documents (the checked ones when ``ids``), as review rows."""
        wanted = set(ids) if ids else None
        return [Row(row.id, row.title, row.path) for row in self.library.model.documents()
                if (wanted is None or row.id in wanted) and row.status != "failed"]

    def _say(self, text: str, problem: bool) -> None:
        """A problem stays in the banner; the rest passes in the status bar."""
        if text:
            self.window.statusBar().showMessage(text, 15000)
        if text and problem:
            self.banner.show_message(text, "warning")

    def _ask_about_table(self, review_id: str, name: str) -> None:
        """The Ask tab, its next questions about the review table and its documents."""
        self.tabs.setCurrentWidget(self.ask_panel)
        ask_about = getattr(self.ask_panel, "ask_about_table", None)
        if ask_about is not None:
            ask_about(review_id, name)

    def _show_run(self, run_id: str) -> None:
        """An answer's step-by-step analysis: its record, kept in the data folder's runs."""
        data_dir = self.client.hello.data_dir
        opener = getattr(self.window, "open_saved_file", None)
        if data_dir and opener is not None:
            opener(str(Path(data_dir) / "runs" / f"{run_id}.jsonl"))

    def show_review(self) -> None:
        self.tabs.setCurrentWidget(self.panel)

    def _tab_changed(self, index: int) -> None:
        """A table needs room: the first time the Review tab is shown, the middle widens."""
        splitter = self.tabs.parentWidget()
        sizes = getattr(splitter, "sizes", None)
        if self.tabs.widget(index) is not self.panel or self._widened or sizes is None:
            return
        self._widened = True
        total = sum(sizes())
        if total > 0 and len(sizes()) == 3:
            middle = int(total * REVIEW_SHARE)
            library = max(self.library.minimumSizeHint().width(), (total - middle) // 2)
            side = max(0, total - middle - library)
            splitter.setSizes([library, total - library - side, side])  # type: ignore[union-attr]
