"""The Review tab's question buttons: Add question… (the dialog) and Start from a template
(the shipped sets of questions, read from the worker once)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QWidget

from rlm_desktop.review.dialogs import QuestionDialog
from rlm_desktop.review.words import plural
from rlm_desktop.widgets.icons import icon
from rlm_desktop.worker_client import WorkerClient


class QuestionButtons(QWidget):
    """``chosen`` gives the questions the person added (as the worker takes them)."""

    chosen = Signal(list)

    def __init__(self, client: WorkerClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self.templates: list[dict[str, Any]] = []
        self.dialog: QuestionDialog | None = None      # the one open now (tests use it)
        self.add_button = QPushButton(icon("question"), "Add question…")
        self.add_button.setToolTip("A question to ask of every document, with the type of "
                                   "answer it needs")
        self.add_button.clicked.connect(self.open_dialog)
        self.template_button = QPushButton("Start from a template")
        self.template_button.setToolTip("Add a ready-made set of questions")
        self.menu = QMenu(self)
        self.template_button.setMenu(self.menu)
        self.menu.aboutToShow.connect(self._fill_menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.add_button)
        layout.addWidget(self.template_button)
        layout.addStretch(1)

    def open_dialog(self) -> QuestionDialog:
        dialog = QuestionDialog(self)
        dialog.accepted.connect(lambda: self.chosen.emit([dialog.question_json()]))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        self.dialog = dialog
        return dialog

    def load_templates(self, then: Callable[[], None] | None = None) -> None:
        def got(reply: dict[str, Any]) -> None:
            if reply.get("ok"):
                self.templates = [t for t in reply.get("result") or [] if isinstance(t, dict)]
                if then is not None:
                    then()

        self._client.request("review_templates", {}, on_done=got)

    def _fill_menu(self) -> None:
        if not self.templates:
            self.load_templates(self._fill_menu)
            return
        self.menu.clear()
        for template in self.templates:
            count = len(template.get("columns") or [])
            action = self.menu.addAction(f"{template.get('title') or template.get('name')} "
                                         f"({plural(count, 'question')})")
            action.triggered.connect(lambda _=False, t=template: self.use_template(t))

    def use_template(self, template: dict[str, Any]) -> None:
        self.chosen.emit([dict(c) for c in template.get("columns") or []
                          if isinstance(c, dict)])
