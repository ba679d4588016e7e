"""What MainWindow needs of the run and history panels, so tests can pass in stand-ins."""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QWidget

from rlm_desktop.replies import AskResult, RunRecord


class RunPanelView(Protocol):
    """The run panel as MainWindow drives it (RunPanel, or a recording stand-in)."""

    @property
    def stop_requested(self) -> SignalInstance: ...

    def begin(self, question: str) -> None: ...

    def add_event(self, event: dict[str, Any]) -> None: ...

    def finish(self, result: AskResult | None, error: str | None = None) -> None: ...

    def show_run(self, run: RunRecord, events: list[dict[str, Any]],
                 kind: str = ...) -> None: ...


class HistoryPanelView(Protocol):
    """The history panel as MainWindow drives it (HistoryPanel, or a recording stand-in)."""

    @property
    def open_requested(self) -> SignalInstance: ...

    @property
    def delete_requested(self) -> SignalInstance: ...

    def set_runs(self, runs: list[RunRecord]) -> None: ...


def as_widget(panel: object, role: str) -> QWidget:
    """The panel as the QWidget it must also be, to sit in the window's tabs."""
    if not isinstance(panel, QWidget):
        raise TypeError(f"The {role} must be a QWidget, not {type(panel).__name__}; pass a "
                        "QWidget subclass that implements the panel's methods.")
    return panel
