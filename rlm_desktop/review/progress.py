"""The review's progress line, redrawn at most every PROGRESS_MS while answers stream in."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QWidget

PROGRESS_MS = 100         # the progress line is redrawn at most this often


class ProgressLine(QLabel):
    """``show_soon`` for streamed progress (the latest text wins), ``flush`` at the end;
    ``setText`` shows a text at once."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAccessibleName("Progress")
        self._pending = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PROGRESS_MS)
        self._timer.timeout.connect(lambda: self.setText(self._pending))

    def show_soon(self, text: str) -> None:
        self._pending = text
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Show the last progress now if it is still waiting."""
        if self._timer.isActive():
            self._timer.stop()
            self.setText(self._pending)
