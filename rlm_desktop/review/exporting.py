"""Export a review: a save dialog (never blocking the window) offering Excel, CSV and Word,
then the worker's ``review_export``; what was written, or what went wrong, is reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from rlm_desktop.advice import in_app
from rlm_desktop.widgets.save_dialog import documents_folder, file_name, save_dialog
from rlm_desktop.worker_client import WorkerClient

KINDS = (("xlsx", "Excel workbook (*.xlsx)"), ("csv", "CSV table (*.csv)"),
         ("docx", "Word document (*.docx)"))
SUFFIXES = {f".{fmt}": fmt for fmt, _ in KINDS}


def suggested_name(review_name: str, fmt: str) -> str:
    """"Review - Leases.xlsx": a file name any system accepts."""
    return file_name("Review", review_name, fmt)


class ReviewExporter(QObject):
    """``start`` opens the save dialog; ``reported`` says what happened (text, problem)."""

    reported = Signal(str, bool)

    def __init__(self, client: WorkerClient, parent: QWidget,
                 settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._parent = parent
        self._settings = settings
        self.file_dialog: QFileDialog | None = None
        self.writing = 0

    def _folder(self) -> str:
        folder = self._settings.value("review/export_folder", "", type=str) \
            if self._settings is not None else ""
        return str(folder or documents_folder())

    def start(self, review_id: str, review_name: str) -> None:
        dialog = save_dialog(self._parent, "Export the review", KINDS, "xlsx", self._folder(),
                             suggested_name(review_name, "xlsx"),
                             lambda path, fmt: self.write(review_id, path, fmt))
        dialog.finished.connect(lambda _result: setattr(self, "file_dialog", None))
        self.file_dialog = dialog
        dialog.open()

    def write(self, review_id: str, path: str, fmt: str = "xlsx") -> int:
        """Ask the worker to write the review to ``path`` (its extension decides the kind,
        else ``fmt``, whose extension is then added)."""
        kind = SUFFIXES.get(Path(path).suffix.lower())
        if kind is None:
            kind, path = fmt, f"{path}.{fmt}"
        name = Path(path).name
        if self._settings is not None:
            self._settings.setValue("review/export_folder", str(Path(path).parent))
        self.reported.emit(f"Saving the review as {name}…", False)

        def done(reply: dict[str, Any]) -> None:
            self.writing = 0
            if reply.get("ok"):
                written = Path(str((reply.get("result") or {}).get("path") or path))
                self.reported.emit(f"Saved the review as {written.name} in "
                                   f"{written.parent}.", False)
            else:
                self.reported.emit(in_app(str(reply.get("error") or
                                              f"{name} could not be saved.")), True)

        self.writing = self._client.request("review_export", {
            "review_id": review_id, "path": path, "format": kind}, on_done=done)
        return self.writing
