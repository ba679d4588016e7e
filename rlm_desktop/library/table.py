"""The documents table: sorting, compact columns, checkboxes, a context menu and opening files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from rlm_desktop.library.model import (
    DOC_ID_ROLE,
    FILE,
    PAGES,
    STATUS,
    TITLE,
    TOKENS,
    TYPE,
    LibraryModel,
    LibraryProxy,
)
from rlm_desktop.widgets.check_style import apply_to


def open_with_system(path: str) -> bool:
    """Hand a file or folder to the system's default app; False when nothing took it."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


class DocumentTable(QTableView):
    """A QTableView over LibraryProxy; ``menu_actions`` are appended to its context menu."""

    open_failed = Signal(str, str)    # what ("“Lease”"), path: nothing on this computer opened it
    view_requested = Signal(int)      # a document's id: show it in the source viewer

    def __init__(self, proxy: LibraryProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proxy = proxy
        self.menu_actions: list[QAction] = []
        self.setAccessibleName("Documents")
        apply_to(self)   # its tick boxes stay visible on a dark palette
        self.setModel(proxy)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSortingEnabled(True)
        self.sortByColumn(TITLE, Qt.SortOrder.AscendingOrder)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        vertical = self.verticalHeader()
        vertical.hide()
        vertical.setAccessibleName("Document rows")
        # Fixed row heights: the view never measures 10,000 rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.horizontalHeader()
        header.setAccessibleName("Document columns (click to sort)")
        header.setHighlightSections(False)
        # The title takes the width left over; the file name and the status get what they
        # need up to a share of the flexible width (the tooltip holds the whole reason), so
        # the title keeps at least 38% of it, about as much as the status. Fixed widths
        # elsewhere: measuring 10,000 rows' cells would stall the window, and the statuses
        # are a handful of distinct words.
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        width = self.fontMetrics().horizontalAdvance
        header.setMinimumSectionSize(width("Pages") + 16)
        for column, sample in ((FILE, "Lease 2019.pdf"), (TYPE, "DOCX"), (PAGES, "Pages"),
                               (TOKENS, "99,999"), (STATUS, "Needs a password")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width(sample) + 24)
        self._status_needed = 0      # the longest status's width, measured once per reset
        self._file_needed = width("Lease 2019.pdf") + 24
        proxy.modelReset.connect(self._measure_status)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        # Double-click shows the document in the app's viewer; "Open file" in the context
        # menu hands it to the system's own app.
        self.doubleClicked.connect(lambda index: self.view_document(index.row()))

    STATUS_SHARE = 0.42   # of the width left by the type, pages and tokens columns
    FILE_SHARE = 0.2

    def library(self) -> LibraryModel:
        return self.proxy.library()

    def _measure_status(self) -> None:
        texts = {row.status_text for row in self.library().documents()}
        icon = self.iconSize().width() if self.iconSize().isValid() else 16
        self._status_needed = max((self.fontMetrics().horizontalAdvance(t) for t in texts),
                                  default=0) + icon + 20
        self.fit_status()

    def fit_status(self) -> None:
        """Size the status and file columns to what they need, within their shares of the
        width the fixed columns leave; the title stretches over the rest."""
        header = self.horizontalHeader()
        fixed = sum(header.sectionSize(c) for c in (TYPE, PAGES, TOKENS)
                    if not header.isSectionHidden(c))
        flexible = max(0, self.viewport().width() - fixed)
        smallest = header.minimumSectionSize()
        header.resizeSection(FILE, max(smallest, min(self._file_needed,
                                                     int(flexible * self.FILE_SHARE))))
        if self._status_needed:
            header.resizeSection(STATUS, max(smallest, min(self._status_needed,
                                                           int(flexible * self.STATUS_SHARE))))

    def setColumnHidden(self, column: int, hide: bool) -> None:
        super().setColumnHidden(column, hide)
        self.fit_status()       # a hidden column's width goes to the others

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_status()

    def selected_ids(self) -> list[int]:
        return [int(index.data(DOC_ID_ROLE)) for index in self.selectionModel().selectedRows(TITLE)]

    def view_document(self, proxy_row: int) -> None:
        """Ask for a document to be shown in the source viewer (``view_requested``)."""
        index = self.proxy.index(proxy_row, TITLE)
        if index.isValid():
            self.view_requested.emit(int(index.data(DOC_ID_ROLE)))

    def open_file(self, proxy_row: int, folder: bool = False) -> bool:
        """Open a document (or its folder) with the system's default application; say so
        (``open_failed``) when nothing opened it."""
        source = self.proxy.mapToSource(self.proxy.index(proxy_row, TITLE))
        row = self.library().row_at(source.row())
        path = Path(row.path)
        target = str(path.parent if folder else path)
        if open_with_system(target):
            return True
        self.open_failed.emit(f"The folder of “{row.title}”" if folder else f"“{row.title}”",
                              target)
        return False

    def _menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        menu = QMenu(self)
        if index.isValid():
            row = index.row()
            menu.addAction("View page 1", lambda: self.view_document(row))
            menu.addAction("Open file", lambda: self.open_file(row))
            menu.addAction("Show in folder", lambda: self.open_file(row, folder=True))
            menu.addSeparator()
            menu.addAction("Check selected",
                           lambda: self.library().set_checked(self.selected_ids()))
            menu.addAction("Uncheck selected",
                           lambda: self.library().set_checked(self.selected_ids(), False))
            menu.addSeparator()
        for action in self.menu_actions:
            menu.addAction(action)
        menu.popup(self.viewport().mapToGlobal(pos))
