"""Stand-ins for RunPanel and HistoryPanel that record what MainWindow hands them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from rlm_desktop.replies import AskResult, RunRecord


class RecordingRunPanel(QWidget):
    """RunPanel's interface (gui.md); every call is appended to ``calls``."""

    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.calls: list[tuple[Any, ...]] = []

    def begin(self, question: str) -> None:
        self.calls.append(("begin", question))

    def add_event(self, event: dict[str, Any]) -> None:
        self.calls.append(("event", event))

    def finish(self, result: AskResult | None, error: str | None = None) -> None:
        self.calls.append(("finish", result, error))

    def show_run(self, run: RunRecord, events: list[dict[str, Any]],
                 kind: str = "Saved run") -> None:
        self.calls.append(("show_run", run, events))

    def clear(self) -> None:
        self.calls.append(("clear",))

    def events(self) -> list[dict[str, Any]]:
        return [call[1] for call in self.calls if call[0] == "event"]

    def finishes(self) -> list[tuple[Any, ...]]:
        return [call for call in self.calls if call[0] == "finish"]


class RecordingHistoryPanel(QWidget):
    open_requested = Signal(str)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunRecord] | None = None
        self.updates = 0

    def set_runs(self, runs: list[RunRecord]) -> None:
        self.runs = runs
        self.updates += 1
