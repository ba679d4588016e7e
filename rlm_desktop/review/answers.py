"""The review table above the answer chosen in it; the answer shown stays current."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, Qt
from PySide6.QtWidgets import QSplitter, QWidget

from rlm_desktop.review.detail import CellPane
from rlm_desktop.review.grid import ReviewGrid
from rlm_desktop.review.model import ReviewModel
from rlm_desktop.review.proxy import ReviewFilter


class AnswerView(QSplitter):
    """``grid`` shows the table; a click on an answer shows it in ``pane``."""

    def __init__(self, model: ReviewModel, proxy: ReviewFilter,
                 parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self._model, self._proxy = model, proxy
        self.grid = ReviewGrid(model, proxy)
        self.grid.selectionModel().selectionChanged.connect(self._selection_changed)
        self.pane = CellPane()
        self.setChildrenCollapsible(False)
        self.addWidget(self.grid)
        self.addWidget(self.pane)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.setSizes([400, 260])

    def _selection_changed(self, selected: QItemSelection, _deselected: Any) -> None:
        indexes = selected.indexes()
        if indexes:
            self.show_answer(indexes[0])

    def show_answer(self, proxy_index: QModelIndex) -> None:
        found = self._model.cell_at(self._proxy.mapToSource(proxy_index))
        if found is None:
            self.pane.clear()
        else:
            self.pane.show_cell(*found)

    def select(self, doc_id: int, column_id: int) -> bool:
        """Select an answer as a click does (False when the filter hides it)."""
        return self.grid.show_index(
            self._proxy.mapFromSource(self._model.index_of(doc_id, column_id)))

    def cells_changed(self, top: QModelIndex, bottom: QModelIndex) -> None:
        """Answers of the model changed: the one shown is shown again if it is among them."""
        if not self.pane.doc_id:
            return
        index = self._model.index_of(self.pane.doc_id, self.pane.column_id)
        if index.isValid() and top.row() <= index.row() <= bottom.row() and \
                top.column() <= index.column() <= bottom.column():
            found = self._model.cell_at(index)
            if found is not None:
                self.pane.show_cell(*found)
