"""The Review tab's actions row: spending limit, Start, Stop, Resume, Re-run, Add, Ask, Export."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QPushButton, QWidget

from rlm_desktop.review.words import plural
from rlm_desktop.widgets.icons import icon

BUDGET_KEY = "review/budget"


class ReviewActions(QWidget):
    """The buttons (the panel connects their ``clicked``) and a new review's ``budget``,
    remembered in ``settings`` for the next new review."""

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        # A new review's spending limit (the worker stops it cleanly there); 0: none.
        self.budget = QDoubleSpinBox()
        self.budget.setAccessibleName("Spending limit for this review")
        self.budget.setPrefix("Stop at $")
        self.budget.setSpecialValueText("No spending limit")
        self.budget.setRange(0.0, 100_000.0)
        self.budget.setDecimals(2)
        self.budget.setSingleStep(1.0)
        self.budget.setToolTip("The review stops when its answers have cost this much (the "
                               "answers being worked on then may add a little); Resume goes "
                               "on later. Set it to 0 for no limit.")
        remembered = (settings.value(BUDGET_KEY, 0.0, type=float)
                      if settings is not None else 0.0)
        self.budget.setValue(remembered if isinstance(remembered, float) else 0.0)
        self.start_button = QPushButton(icon("run"), "Start")
        self.start_button.setToolTip("Ask every question of every document")
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.setToolTip("Stop; the answers found so far are kept")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Find only the answers not found yet")
        self.rerun_button = QPushButton("Re-run failed")
        self.rerun_button.setToolTip("Ask again where the AI service or the safe workspace "
                                     "failed")
        self.export_button = QPushButton(icon("export"), "Export…")
        self.export_button.setToolTip("Save the table as an Excel workbook (with its sources), "
                                      "a CSV table or a Word document")
        self.add_documents_button = QPushButton(icon("add-file"), "Add new documents")
        self.add_documents_button.setToolTip("Add the documents of the library's selection that "
                                             "this review does not have yet; Resume then "
                                             "finds only their answers")
        self.ask_button = QPushButton(icon("ask"), "Ask about this table…")
        self.ask_button.setToolTip("Ask a question of the whole table (for example: which "
                                   "leases can be ended before 2028?); the answer can still "
                                   "check and cite the documents themselves")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.budget)
        for button in (self.start_button, self.stop_button, self.resume_button,
                       self.rerun_button):
            layout.addWidget(button)
        layout.addWidget(self.add_documents_button)
        layout.addStretch(1)
        layout.addWidget(self.ask_button)
        layout.addWidget(self.export_button)

    def budget_usd(self) -> float | None:
        """The spending limit set for a new review (None: no limit), remembered for the next."""
        if self._settings is not None:
            self._settings.setValue(BUDGET_KEY, self.budget.value())
        return round(self.budget.value(), 2) if self.budget.value() > 0 else None

    def show_state(self, *, draft: bool, startable: bool, missing: int, failed: int,
                   answered: int, new_documents: int, running: bool,
                   running_here: bool) -> None:
        """``draft``: a review not created yet (``startable`` when it has questions and
        documents); the counts are of the open review's answers; ``running_here``: the
        review running is the one shown."""
        self.start_button.setVisible(draft)
        self.budget.setVisible(draft)
        self.start_button.setEnabled(startable and not running)
        self.resume_button.setVisible(not draft)
        self.resume_button.setEnabled(not draft and missing > 0 and not running)
        self.rerun_button.setVisible(not draft)
        self.rerun_button.setEnabled(not draft and failed > 0 and not running)
        self.stop_button.setEnabled(running_here)
        self.export_button.setEnabled(not draft)
        self.add_documents_button.setVisible(new_documents > 0)
        self.add_documents_button.setEnabled(new_documents > 0 and not running)
        self.add_documents_button.setText(f"Add {plural(new_documents, 'new document')}")
        self.ask_button.setEnabled(not draft and answered > 0)
