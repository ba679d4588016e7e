"""Which question File > Export answer… saves (the one the run panel shows), and the
window's part of an export: the action, and saying what was written or what went wrong."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from rlm_desktop.export.exporter import Exporter, ExportTarget
from rlm_desktop.widgets.icons import icon
from rlm_desktop.worker_client import WorkerClient

# (message, problem, what to offer when it failed) as Exporter.reported gives them.
Say = Callable[[str, bool, object], None]


class WindowExports(QObject):
    """Owns the Exporter and the Export answer… action; ``show`` follows the run panel."""

    def __init__(self, window: QWidget, client: WorkerClient, settings: QSettings,
                 say: Say) -> None:
        super().__init__(window)
        self.exporter = Exporter(client, window, settings)
        self.exporter.reported.connect(say)
        self.shown: ExportTarget | None = None
        self.action = QAction(icon("export"), "&Export answer…", self)
        self.action.setShortcut(QKeySequence("Ctrl+E"))
        self.action.setToolTip("Save the answer shown in the run panel, with its sources, as "
                               "a Word, PDF or Markdown file")
        self.action.triggered.connect(self.export_shown)
        self.action.setEnabled(False)

    def show(self, target: ExportTarget | None) -> None:
        """The question the run panel now shows (None: none, or one still running)."""
        self.shown = target
        self.action.setEnabled(target is not None)

    def export_shown(self) -> None:
        if self.shown is not None:
            self.exporter.start(self.shown)

    def export(self, run_id: str, question: str) -> None:
        """Export a question of the store (the Ask panel's answer, a History row)."""
        self.exporter.start(ExportTarget(run_id, question))
