"""Export a question's answer: the choices, a save dialog (never blocking the window), then
the worker's ``export_run``; what was written, or what went wrong and what to do, is
reported by a signal for the window to show."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from rlm_desktop.advice import in_app
from rlm_desktop.export.choices import BY_FORMAT, KINDS, ExportChoices, format_of, suggested_name
from rlm_desktop.replies import ExportResult
from rlm_desktop.widgets.save_dialog import documents_folder, save_dialog
from rlm_desktop.worker_client import WorkerClient


@dataclass(frozen=True)
class ExportTarget:
    """A question to export: a run of the store (``run_id``) or of a record file (``log``)."""

    run_id: str
    question: str = ""
    log: str | None = None


class Exporter(QObject):
    """One export at a time per dialog; the window shows what ``reported`` says."""

    # (message, problem, what to offer when it failed: choose another place, or None)
    reported = Signal(str, bool, object)
    written = Signal(object)      # ExportResult

    def __init__(self, client: WorkerClient, parent: QWidget,
                 settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._parent = parent
        self._settings = settings
        self.choices: ExportChoices | None = None      # the dialogs open now (tests use them)
        self.file_dialog: QFileDialog | None = None
        self.writing = 0                               # the request id of a running export

    # --- remembered choices -------------------------------------------------------------

    def _remembered(self, key: str, default: Any) -> Any:
        if self._settings is None:
            return default
        return self._settings.value(f"export/{key}", default, type=type(default))

    def _remember(self, **values: Any) -> None:
        if self._settings is not None:
            for key, value in values.items():
                self._settings.setValue(f"export/{key}", value)

    # --- the steps ----------------------------------------------------------------------

    def start(self, target: ExportTarget) -> None:
        """Ask which kind of file, and whether to add the full record; then where."""
        if not target.run_id and not target.log:
            self.reported.emit("There is no answer to export yet: ask a question, or open "
                               "one from History.", True, None)
            return
        fmt = str(self._remembered("format", "docx"))
        choices = ExportChoices(target.question, fmt if fmt in BY_FORMAT else "docx",
                                bool(self._remembered("full_record", False)), self._parent)
        self.choices = choices

        def chosen(result: int) -> None:
            self.choices = None
            if result == QDialog.DialogCode.Accepted:
                self._remember(format=choices.format,
                               full_record=choices.full_record.isChecked())
                self.choose_file(target, choices.format, choices.full_record.isChecked())

        choices.finished.connect(chosen)
        choices.finished.connect(choices.deleteLater)
        choices.open()

    def choose_file(self, target: ExportTarget, fmt: str, full_record: bool) -> None:
        """The save dialog, opened on the last folder used, the kind chosen already picked."""
        dialog = save_dialog(
            self._parent, "Export the answer", [(k.format, k.name_filter) for k in KINDS], fmt,
            str(self._remembered("folder", "") or documents_folder()),
            suggested_name(target.question, fmt),
            lambda path, kind: self.write(target, path, kind, full_record))
        dialog.finished.connect(lambda _result: setattr(self, "file_dialog", None))
        self.file_dialog = dialog
        dialog.open()

    def write(self, target: ExportTarget, path: str, fmt: str, full_record: bool) -> int:
        """Ask the worker to write the file: the kind from the name's extension, else ``fmt``
        (whose extension is then added). Returns the request's id."""
        kind = format_of(path)
        if kind is None:
            kind, path = fmt, f"{path}.{fmt}"
        name = Path(path).name
        self._remember(folder=str(Path(path).parent))
        args: dict[str, Any] = {"path": path, "format": kind, "with_trajectory": full_record}
        if target.log:
            args["log"] = target.log
        else:
            args["run_id"] = target.run_id
        self.reported.emit(f"Saving the answer as {name}…", False, None)

        def done(reply: dict[str, Any]) -> None:
            self.writing = 0
            if reply.get("ok"):
                result = ExportResult.from_json(reply.get("result"))
                self.reported.emit(self._said(result), False, None)
                self.written.emit(result)
                return
            error = in_app(str(reply.get("error") or f"{name} could not be saved."))
            self.reported.emit(error, True, partial(self.choose_file, target, kind, full_record))

        self.writing = self._client.request("export_run", args, on_done=done)
        return self.writing

    @staticmethod
    def _said(result: ExportResult) -> str:
        path = Path(result.path)
        record = " with the full record of the analysis" if result.with_trajectory else ""
        sources = (f" and its {result.sources:,} source{'s' if result.sources != 1 else ''}"
                   if result.sources else "")
        return f"Saved the answer{sources}{record} as {path.name} in {path.parent}."
