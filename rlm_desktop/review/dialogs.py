"""The Add question dialog: the question, its answer type by a plain name (with the choices
for "One of a list") and an optional short name for the column."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from rlm_desktop.review.words import ANSWER_KINDS

MAX_NAME = 60


class QuestionDialog(QDialog):
    """Asks for one question; ``question_json`` is what the worker takes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a question")
        self.setAccessibleName("Add a question")
        intro = QLabel("This question is asked of every document; each document's answer "
                       "fills one cell of its column.")
        intro.setWordWrap(True)
        self.question = QPlainTextEdit()
        self.question.setAccessibleName("Question")
        self.question.setPlaceholderText("For example: How many days' notice is needed to "
                                         "end the lease?")
        self.question.setTabChangesFocus(True)
        self.question.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.kind = QComboBox()
        self.kind.setAccessibleName("Answer type")
        for kind in ANSWER_KINDS:
            self.kind.addItem(f"{kind.label} — {kind.hint}", kind.kind)
        self.choices = QLineEdit()
        self.choices.setAccessibleName("Choices")
        self.choices.setPlaceholderText("Choices, separated by commas: Freely, With consent, "
                                        "Prohibited")
        self.choices_label = QLabel("Choices:")
        self.name = QLineEdit()
        self.name.setAccessibleName("Short name")
        self.name.setMaxLength(MAX_NAME)
        self.name.setPlaceholderText("Optional: the column's heading, such as Notice period")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Question:", self.question)
        form.addRow("Answer type:", self.kind)
        form.addRow(self.choices_label, self.choices)
        form.addRow("Short name:", self.name)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Add question")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self.setMinimumWidth(520)

    def set_kind(self, kind: str) -> None:
        index = self.kind.findData(kind)
        if index >= 0:
            self.kind.setCurrentIndex(index)

    def _kind_changed(self) -> None:
        choice = self.kind.currentData() == "choice"
        self.choices.setVisible(choice)
        self.choices_label.setVisible(choice)

    def choice_list(self) -> list[str]:
        return [c.strip() for c in self.choices.text().replace(";", ",").split(",")
                if c.strip()]

    def question_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"question": " ".join(self.question.toPlainText().split()),
                                "kind": str(self.kind.currentData())}
        if data["kind"] == "choice":
            data["choices"] = self.choice_list()
        name = self.name.text().strip()
        if name:
            data["name"] = name
        return data

    def _accept(self) -> None:
        data = self.question_json()
        if not data["question"]:
            self.problem.setText("Write the question first.")
            return
        if data["kind"] == "choice" and len(data["choices"]) < 2:
            self.problem.setText("Give at least two choices, separated by commas.")
            return
        self.accept()
