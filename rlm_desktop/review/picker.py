"""The Review tab's top row: the list of reviews to reopen (a new one first) and Delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMessageBox, QToolButton, QWidget

from rlm_desktop.review.words import plural
from rlm_desktop.run.format import one_line
from rlm_desktop.widgets.icons import icon

NEW = ""            # the reviews list's first entry: a review not created yet


class ReviewPicker(QWidget):
    """``picked`` gives the chosen review's id (NEW for a new review); the panel connects
    ``delete_button``."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reviews = QComboBox()
        self.reviews.setAccessibleName("Reviews")
        self.reviews.setToolTip("Open an earlier review, or start a new one")
        self.reviews.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.reviews.setMinimumContentsLength(16)
        self.reviews.addItem("New review", NEW)
        self.reviews.activated.connect(
            lambda index: self.picked.emit(str(self.reviews.itemData(index) or "")))
        self.delete_button = QToolButton()
        self.delete_button.setIcon(icon("remove"))
        self.delete_button.setToolTip("Delete this review (the documents stay in the library)")
        self.delete_button.setAccessibleName("Delete review")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Review:"))
        layout.addWidget(self.reviews, 1)
        layout.addWidget(self.delete_button)

    def show_reviews(self, items: list[Any], current: str) -> None:
        """The worker's list of reviews, ``current`` (a review's id) still chosen."""
        self.reviews.blockSignals(True)
        self.reviews.clear()
        self.reviews.addItem("New review", NEW)
        for item in items:
            if not isinstance(item, dict):
                continue
            label = (f"{one_line(str(item.get('name') or 'Review'), 60)} — "
                     f"{plural(int(item.get('rows') or 0), 'document')} × "
                     f"{plural(int(item.get('columns') or 0), 'question')}, "
                     f"{str(item.get('created_at') or '')[:10]}")
            self.reviews.addItem(label, str(item.get("id") or ""))
        index = self.reviews.findData(current)
        self.reviews.setCurrentIndex(max(0, index))
        self.reviews.blockSignals(False)

    def choose(self, review_id: str) -> bool:
        """Show ``review_id`` as the chosen one (False when the list does not have it yet)."""
        index = self.reviews.findData(review_id)
        if index < 0:
            return False
        self.reviews.setCurrentIndex(index)
        return True

    def show_state(self, draft: bool, running: bool) -> None:
        self.delete_button.setEnabled(not draft and not running)
        self.reviews.setEnabled(not running)

    def confirm_delete(self, name: str, delete: Callable[[], object]) -> None:
        """Ask before deleting the review called ``name``; ``delete`` when the person agrees."""
        box = QMessageBox(QMessageBox.Icon.Question, "Delete the review",
                          f"Delete the review “{one_line(name, 80)}” and its answers, "
                          "marks and notes? The documents stay in the library.",
                          QMessageBox.StandardButton.Cancel, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        button = box.addButton("Delete review", QMessageBox.ButtonRole.DestructiveRole)

        def chosen() -> None:
            if box.clickedButton() is button:
                delete()

        box.finished.connect(chosen)
        box.finished.connect(box.deleteLater)
        box.open()
