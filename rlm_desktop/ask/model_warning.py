"""The Ask panel's warning strip: the main model failed its last test (engine.rlm.probe), with
"Test again" and "Choose another model" beside it."""

from __future__ import annotations

from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from rlm_desktop.advice import in_app
from rlm_desktop.widgets.icons import icon, semantic_color


class Client(Protocol):
    def request(self, cmd: str, args: dict[str, Any] | None = None, *,
                on_event: Any = None, on_done: Any = None) -> int: ...


class ModelWarning(QFrame):
    """Hidden unless the settings' main model failed its last test; ``refresh`` asks again."""

    settings_requested = Signal()

    def __init__(self, client: Client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._model: dict[str, Any] = {}
        self.setObjectName("model_warning")
        self.setAccessibleName("Warning about the main model")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.picture = QLabel()
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.PlainText)   # model names come from servers
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.again = QPushButton("Test again")
        self.again.setAccessibleName("Test the main model again")
        self.again.setToolTip("Run the small test analysis again with the main model")
        self.again.clicked.connect(self.test_again)
        self.choose = QPushButton("Choose another model")
        self.choose.setAccessibleName("Choose another main model in the settings")
        self.choose.clicked.connect(self.settings_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.again)
        buttons.addWidget(self.choose)
        column = QVBoxLayout()
        column.addWidget(self.text)
        column.addLayout(buttons)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(column, 1)
        self.hide()

    def refresh(self) -> None:
        """Ask the worker whether the main model has a failed test on record."""
        self._client.request("model_check_warning", {}, on_done=self._got)

    def _got(self, reply: dict[str, Any]) -> None:
        if not shiboken6.isValid(self):
            return
        result = reply.get("result") if reply.get("ok") else None
        if not isinstance(result, dict) or not result.get("warning"):
            self.hide()
            return
        self._model = result
        self._show(in_app(str(result["warning"])), busy=False)

    def test_again(self) -> None:
        model = self._model
        if not model.get("model"):
            return
        self._show(f"Testing {model['model']} with a small analysis (up to two minutes)…",
                   busy=True)
        self._client.request("check_model", {
            "base_url": model.get("base_url"), "model": model.get("model"),
            "api_key_env": model.get("api_key_env")}, on_done=self._tested)

    def _tested(self, reply: dict[str, Any]) -> None:
        if not shiboken6.isValid(self):
            return
        if not reply.get("ok"):
            self._show(f"The test could not run: {in_app(str(reply.get('error') or ''))}",
                       busy=False)
            return
        self.refresh()   # passed: the strip goes; failed again: the new date and reason

    def _show(self, text: str, *, busy: bool) -> None:
        tone = semantic_color("accent" if busy else "warning", self.palette())
        self.picture.setPixmap(icon("rescan" if busy else "status-warning", tone).pixmap(20, 20))
        self.text.setText(text)
        self.setAccessibleDescription(text)
        self.again.setEnabled(not busy)
        self.show()
