"""The Review tab's filter bar: words in any answer or title, a status (in one question or
any), and the person's marks; it drives the grid's ``ReviewFilter``."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QWidget

from rlm_desktop.review.cells import Column
from rlm_desktop.review.proxy import ReviewFilter
from rlm_desktop.review.words import STATUS_ORDER, status_words
from rlm_desktop.run.format import one_line

MARKS = (("Reviewed or not", "all"), ("Reviewed", "reviewed"),
         ("Not reviewed yet", "not_reviewed"), ("Flagged", "flagged"))


class FilterBar(QWidget):
    def __init__(self, proxy: ReviewFilter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proxy = proxy
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by words in any answer or title")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Filter answers")
        self.search.textChanged.connect(proxy.setFilterFixedString)
        self.status = QComboBox()
        self.status.setAccessibleName("Show answers that are")
        self.status.addItem("Any status", None)
        for status in STATUS_ORDER:
            self.status.addItem(status_words(status), status)
        self.column = QComboBox()
        self.column.setAccessibleName("In question")
        self.marks = QComboBox()
        self.marks.setAccessibleName("Marks")
        for label, value in MARKS:
            self.marks.addItem(label, value)
        self.status.currentIndexChanged.connect(self._status_changed)
        self.column.currentIndexChanged.connect(self._status_changed)
        self.marks.currentIndexChanged.connect(
            lambda: proxy.set_marks(str(self.marks.currentData())))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search, 2)
        for combo in (self.status, self.column, self.marks):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(8)
            layout.addWidget(combo, 1)
        self.set_columns([])

    def set_columns(self, columns: list[Column]) -> None:
        """The questions a status can be looked for in (model columns from 1)."""
        current = self.column.currentData()
        self.column.blockSignals(True)
        self.column.clear()
        self.column.addItem("In any question", -1)
        for n, column in enumerate(columns, 1):
            self.column.addItem(f"In “{one_line(column.name, 40)}”", n)
        self.column.setCurrentIndex(max(0, self.column.findData(current)))
        self.column.blockSignals(False)
        self._status_changed()

    def _status_changed(self) -> None:
        status = self.status.currentData()
        column = self.column.currentData()
        self.proxy.set_status(None if status is None else str(status),
                              int(column) if isinstance(column, int) else -1)
