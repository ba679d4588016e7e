"""Ingest and re-scan jobs sent to the worker one at a time, and the progress bar showing them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QPushButton, QWidget

from rlm_desktop.replies import IngestResult
from rlm_desktop.widgets.icons import icon
from rlm_desktop.worker_client import WorkerClient


@dataclass
class IngestJob:
    cmd: str                      # "ingest" or "rescan"
    args: dict[str, Any]
    collection: str
    request_id: int = 0
    files_total: int = 0
    locked: list[str] = field(default_factory=list)   # password-protected files
    started: float = 0.0


@dataclass(frozen=True)
class IngestOutcome:
    """How one ingest or re-scan ended: the worker's result, or its error."""

    collection: str
    cmd: str                      # "ingest" or "rescan"
    ok: bool
    result: IngestResult | None = None   # when ok
    error: str = ""                      # when not ok
    kind: str = ""                       # the error's kind
    locked: tuple[str, ...] = ()         # password-protected files that were left out
    password_given: bool = False

    @property
    def cancelled(self) -> bool:
        """Stopped on request (what was stored until then stays)."""
        return self.result.cancelled if self.result is not None else self.kind == "cancelled"


class IngestRunner(QObject):
    """Runs ingest/rescan requests in order (the worker refuses two into one collection)."""

    started = Signal(str)         # collection
    progress = Signal(dict)       # files_done, files_total, pages_done, rate (pages/s)
    stored = Signal(str)          # a file went into (or failed in) this collection
    finished = Signal(object)     # an IngestOutcome

    def __init__(self, client: WorkerClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._queue: list[IngestJob] = []
        self._job: IngestJob | None = None

    @property
    def running(self) -> bool:
        return self._job is not None

    def ingest(self, paths: list[str], collection: str, password: str | None = None,
               force: bool = False) -> None:
        """Add files; ``force`` reads them again even when unchanged (Read again)."""
        args: dict[str, Any] = {"paths": paths, "collection": collection,
                                "password": password, "include": [], "exclude": []}
        if force:
            args["force"] = True
        self._enqueue(IngestJob("ingest", args, collection))

    def rescan(self, collection: str, prune: bool = False) -> None:
        self._enqueue(IngestJob("rescan", {"collection": collection, "prune": prune},
                                collection))

    def cancel(self) -> None:
        """Stop the running job (what is stored so far stays) and drop the queued ones."""
        self._queue.clear()
        if self._job is not None:
            self._client.cancel(self._job.request_id)

    def _enqueue(self, job: IngestJob) -> None:
        self._queue.append(job)
        if self._job is None:
            self._next()

    def _next(self) -> None:
        if not self._queue:
            return
        job = self._job = self._queue.pop(0)
        job.started = time.monotonic()
        self.started.emit(job.collection)
        job.request_id = self._client.request(
            job.cmd, job.args, on_event=lambda event: self._event(job, event),
            on_done=lambda reply: self._done(job, reply))

    def _event(self, job: IngestJob, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "ingest_started":
            job.files_total = int(event.get("files") or 0)
            self.progress.emit({"files_done": 0, "files_total": job.files_total,
                                "pages_done": 0, "rate": 0.0})
        elif kind == "ingest_progress":
            elapsed = float(event.get("elapsed_s") or 0.0) or (time.monotonic() - job.started)
            pages = int(event.get("pages_done") or 0)
            self.progress.emit({"files_done": int(event.get("files_done") or 0),
                                "files_total": int(event.get("files_total") or 0),
                                "pages_done": pages,
                                "rate": pages / elapsed if elapsed > 0 else 0.0})
        elif kind in ("file_done", "file_failed", "file_missing"):
            if kind == "file_failed" and event.get("kind") == "password":
                job.locked.append(str(event.get("path")))
            self.stored.emit(job.collection)

    def _done(self, job: IngestJob, reply: dict[str, Any]) -> None:
        self._job = None
        ok = bool(reply.get("ok"))
        self.finished.emit(IngestOutcome(
            collection=job.collection, cmd=job.cmd, ok=ok,
            result=IngestResult.from_json(reply.get("result")) if ok else None,
            error="" if ok else str(reply.get("error") or ""),
            kind="" if ok else str(reply.get("kind") or ""),
            locked=tuple(job.locked), password_given=bool(job.args.get("password"))))
        self._next()


def describe_result(outcome: IngestOutcome) -> str:
    """One or two sentences about a finished ingest for the person who started it."""
    if not outcome.ok:
        return f"Adding files failed: {outcome.error}"
    result = outcome.result or IngestResult()
    added, updated, unchanged = result.ingested, result.updated, result.unchanged
    failed, missing, pages = result.failed, len(result.missing), result.pages
    parts = []
    if added or updated:
        text = f"Added {_n(added, 'file')}"
        if updated:
            text += f" and updated {_n(updated, 'file')}"
        parts.append(text + f" ({_n(pages, 'page')}).")
    elif not failed:
        parts.append("Nothing new to add." if unchanged else "No readable files were found "
                     "there (PDF, Word, text, HTML).")
    if unchanged and (added or updated or failed):
        parts.append(f"{_n(unchanged, 'file')} already in the library.")
    if failed:
        parts.append(f"{_n(len(failed), 'file')} could not be read: see the Status column.")
    if missing:
        parts.append(f"{_n(missing, 'file')} no longer found on disk.")
    if outcome.cancelled:
        parts.insert(0, "Stopped.")
    return " ".join(parts)


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


class IngestBar(QWidget):
    """Files, pages and rate while an ingest runs, with a Cancel button."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(8)
        layout.setVerticalSpacing(2)
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Ingest progress")
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(8)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)   # names a collection
        self.label.setAccessibleName("Ingest progress details")
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.setAccessibleName("Cancel adding files")
        self.cancel_button.setToolTip("Stop adding files; what is already in stays in")
        self.cancel_button.clicked.connect(self._cancel)
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 0, 0)
        layout.addWidget(self.bar, 1, 0)
        layout.addWidget(self.cancel_button, 0, 1, 2, 1, Qt.AlignmentFlag.AlignVCenter)
        layout.setColumnStretch(0, 1)
        self.hide()

    def begin(self, collection: str) -> None:
        self.bar.setRange(0, 0)           # busy until the worker has counted the files
        self.label.setText(f"Looking for files to add to “{collection}”…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self.show()

    def update_progress(self, progress: dict[str, Any]) -> None:
        total = int(progress.get("files_total") or 0)
        done = int(progress.get("files_done") or 0)
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        pages = int(progress.get("pages_done") or 0)
        rate = float(progress.get("rate") or 0.0)
        text = f"{done:,} of {total:,} files · {pages:,} pages"
        if rate > 0:
            text += f" · {rate:,.0f} pages/s"
        self.label.setText(text)

    def end(self) -> None:
        self.hide()

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.cancel_requested.emit()
