"""The review table's view: documents' titles as the rows' headers, questions sized to fit."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from rlm_desktop.review.model import ReviewModel
from rlm_desktop.review.proxy import ReviewFilter

ROW_TITLE_WIDTH = 240
COLUMN_MAX_WIDTH = 280
FIT_ROWS = 40


class ReviewGrid(QTableView):
    """Shows ``proxy`` (sorted and filtered ``model``), one answer selected at a time."""

    def __init__(self, model: ReviewModel, proxy: ReviewFilter,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.setAccessibleName("Review table")
        self.setModel(proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        # The documents' titles are the rows' headers, so they stay in view when the
        # questions scroll sideways; a click on one sorts by document.
        rows = self.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        rows.setTextElideMode(Qt.TextElideMode.ElideRight)
        rows.setSectionsClickable(True)
        rows.sectionClicked.connect(self._sort_by_document)
        header = self.horizontalHeader()
        header.setDefaultSectionSize(170)
        header.setMinimumSectionSize(60)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)

    def table_changed(self) -> None:
        """A new table (or new questions): the titles column hides, the widths fit again."""
        self.setColumnHidden(0, True)       # shown as the rows' headers instead
        self.fit_columns()

    def fit_columns(self) -> None:
        """Each question as wide as its answers (within bounds), so more fit in view; the
        documents' titles as wide as the longest. Measured on the first rows only: a
        thousand rows must not cost a pause."""
        metrics = self.fontMetrics()
        header = self.horizontalHeader()
        rows = range(min(FIT_ROWS, self._model.rowCount()))
        titles = [metrics.horizontalAdvance(str(self._model.rows[r].title)) for r in rows]
        self.verticalHeader().setFixedWidth(min(ROW_TITLE_WIDTH, max(titles, default=80)
                                                + 20))
        for column in range(1, self._model.columnCount()):
            texts = [str(self._model.index(r, column).data() or "") for r in rows]
            width = max([metrics.horizontalAdvance(t) for t in texts]
                        + [header.sectionSizeHint(column)])
            header.resizeSection(column, max(90, min(COLUMN_MAX_WIDTH, width + 16)))

    def show_index(self, index: QModelIndex) -> bool:
        """Select and scroll to an answer of the proxy (False when the filter hides it)."""
        if not index.isValid():
            return False
        self.setCurrentIndex(index)
        self.scrollTo(index)
        return True

    def _sort_by_document(self) -> None:
        header = self.horizontalHeader()
        ascending = not (header.sortIndicatorSection() == 0 and
                         header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder if ascending
                          else Qt.SortOrder.DescendingOrder)
