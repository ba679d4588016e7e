"""The Review grid's proxy: filters by words, status and marks; sorts by typed value."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSortFilterProxyModel, Qt

from rlm_desktop.review.model import (
    FLAGGED_ROLE,
    REVIEWED_ROLE,
    STATUS_ROLE,
    Index,
    ReviewModel,
)


class ReviewFilter(QSortFilterProxyModel):
    """Filters by words in any column, by status (of one question or any), and by the
    person's marks; sorts answers by their typed value."""

    MARKS = ("all", "reviewed", "not_reviewed", "flagged")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status: str | None = None        # None: any status
        self.status_column = -1               # model column, -1: any question
        self.marks = "all"
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setDynamicSortFilter(True)

    def set_status(self, status: str | None, column: int = -1) -> None:
        self.beginFilterChange()
        self.status, self.status_column = status, column
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_marks(self, marks: str) -> None:
        self.beginFilterChange()
        self.marks = marks if marks in self.MARKS else "all"
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _source(self) -> ReviewModel:
        model = self.sourceModel()
        assert isinstance(model, ReviewModel)
        return model

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not super().filterAcceptsRow(source_row, source_parent):
            return False
        model = self._source()
        columns = range(1, model.columnCount())
        if self.status is not None:
            wanted = [self.status_column] if self.status_column > 0 else list(columns)
            if not any(model.index(source_row, c).data(STATUS_ROLE) == self.status
                       for c in wanted):
                return False
        if self.marks == "all":
            return True
        scope = [self.status_column] if self.status_column > 0 else list(columns)
        if self.marks == "flagged":
            return any(model.index(source_row, c).data(FLAGGED_ROLE) for c in scope)
        reviewed = [bool(model.index(source_row, c).data(REVIEWED_ROLE)) for c in scope]
        if self.marks == "reviewed":
            return bool(reviewed) and all(reviewed)
        return not all(reviewed)

    def lessThan(self, left: Index, right: Index) -> bool:
        model = self._source()
        return model.sort_key(left.row(), left.column()) < \
            model.sort_key(right.row(), right.column())
