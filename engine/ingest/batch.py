"""One ingest's state: its progress events, and each file stored, kept, linked or failed."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine import events as ev
from engine import secrets
from engine.ingest.formats import format_of, load
from engine.ingest.model import MISSING as MISSING_KIND
from engine.ingest.model import Extracted, ExtractionFailed
from engine.ingest.options import IngestOptions
from engine.ingest.parts import index_parts, parent_of, part_ref
from engine.ingest.pool import Cancel, Outcome, Task
from engine.ingest.report import Failure, IngestReport
from engine.ingest.schedule import split_ranges
from engine.store.library import MISSING, OK, WARNING, DocumentRecord, FileRef, Library

# Bump when extraction changes what is stored, so stored documents are read again.
INGEST_VERSION = 2   # 2: printed page numbers label PDFs without labels
EXTRACTOR = f"rlm-ingest/{INGEST_VERSION}"
PROGRESS_INTERVAL_S = 0.1

Emit = Callable[[ev.Event], None]


@dataclass
class _Split:
    """A long document read in page ranges by several workers; stored when every range is
    in, once ``finish`` ("module:function", see ``formats.Ranges``) has made them one."""

    expected: int
    finish: str
    seconds: float = 0.0
    parts: dict[int, Extracted] = field(default_factory=dict)


class Batch:
    """One ingest run's state: the plan, the store writes, the events."""

    def __init__(self, library: Library, options: IngestOptions, emit: Emit) -> None:
        self.library = library
        self.options = options
        self.emit = emit
        self.extractor = EXTRACTOR   # what stored documents are stamped with
        self.report = IngestReport(collection=options.collection)
        self.collection_id = 0
        self.known: dict[bytes, DocumentRecord] = {}
        self.selected: dict[bytes, DocumentRecord] = {}
        self.files_total = 0
        self.files_done = 0
        self.bytes_total = 0
        self.bytes_done = 0
        self.pages_in_flight: dict[tuple[bytes, int], int] = {}
        self.splits: dict[str, _Split] = {}
        self.queue: deque[Task] = deque()
        self.workers = 1
        self.started = time.monotonic()
        self.last_progress = 0.0
        self.in_flight: dict[str, list[tuple[FileRef, DocumentRecord | None]]] = {}
        self.cancel: Cancel | None = None
        # One object for the whole batch: the pool sends it with each flush of tasks, so a
        # password remembered for a file planned later still reaches the worker reading it.
        self.extract_options = options.extract_options()
        # Documents read from inside files (attachments): stored this run, by their file.
        self.parts: dict[bytes, list[DocumentRecord]] = {}
        self._known_parts: dict[bytes, list[bytes]] | None = None

    # --- progress -----------------------------------------------------------------------

    def progress(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_progress < PROGRESS_INTERVAL_S:
            return
        self.last_progress = now
        pages = self.report.pages + sum(self.pages_in_flight.values())
        self.emit(ev.IngestProgress(files_done=self.files_done, files_total=self.files_total,
                                    pages_done=pages, bytes_done=self.bytes_done,
                                    bytes_total=self.bytes_total,
                                    elapsed_s=round(now - self.started, 3)))

    def on_pages(self, task: Task, pages: int) -> None:
        self.pages_in_flight[(task.key[0].key, task.key[3])] = pages
        self.progress()

    def _file_finished(self, ref: FileRef) -> None:
        self.files_done += 1
        self.bytes_done += ref.size
        for key in [k for k in self.pages_in_flight if k[0] == ref.key]:
            del self.pages_in_flight[key]
        self.progress()

    # --- outcomes -----------------------------------------------------------------------

    def done(self, ref: FileRef, record: DocumentRecord, status: str, seconds: float = 0.0,
             count_pages: bool = True) -> None:
        {"ingested": self.report.ingested, "updated": self.report.updated,
         "unchanged": self.report.unchanged}[status].append(record)
        if count_pages and status != "unchanged":
            self.report.pages += record.pages
        self.selected[ref.key] = record
        self.emit(ev.FileDone(path=record.path, pages=record.pages, chars=record.chars,
                              status=status, document_id=record.id, title=record.title,
                              warning=record.error, seconds=round(seconds, 3)))
        self._file_finished(ref)

    def failed(self, ref: FileRef, kind: str, reason: str, record: DocumentRecord | None = None,
               unchanged: bool = False) -> None:
        self.report.failed.append(Failure(ref.display, kind, reason, unchanged))
        self.emit(ev.FileFailed(path=ref.display, reason=reason, kind=kind,
                                document_id=record.id if record else None, unchanged=unchanged))
        self._file_finished(ref)

    def store_failure(self, ref: FileRef, kind: str, reason: str,
                      previous: DocumentRecord | None = None) -> None:
        if kind == MISSING_KIND:   # gone before we could read it: nothing to keep
            self.failed(ref, kind, reason)
            return
        if previous is not None and previous.content_hash is not None \
                and previous.status in (OK, WARNING):
            self.keep(ref, previous, kind, reason)
            return
        record = self.library.save_failure(self.collection_id, ref, kind, reason,
                                           doc_type=type_name(ref.path))
        self.failed(ref, kind, reason, record)

    def keep(self, ref: FileRef, previous: DocumentRecord, kind: str, reason: str) -> None:
        """A good document whose file could not be read again (a --force without the PDF's
        password, a reader that now crashes): a failed read never replaces good text."""
        changed = previous.size != ref.size or previous.mtime_ns != ref.mtime_ns
        # The stored size and time stay as they were, so the next ingest tries again.
        kept = "the text read before is kept" + (
            " (from the earlier version of the file)" if changed else "")
        self.report.kept.append(Failure(ref.display, kind, f"could not be read again: "
                                        f"{reason.rstrip('.')}; {kept}"))
        self.done(ref, previous, "unchanged")

    def store_extracted(self, ref: FileRef, content_hash: str, extracted: Extracted,
                        previous: DocumentRecord | None, seconds: float) -> None:
        kept = extracted.password is not None and \
            secrets.remember_pdf_password(content_hash, extracted.password)  # read it again
        record = self.library.save_extracted(self.collection_id, ref, content_hash, extracted,
                                             self.extractor)
        if kept:    # forgotten when the last document with this content is removed
            self.library.mark_password_kept(content_hash)
        self.done(ref, record, status_of(previous), seconds)
        self.store_parts(ref, extracted)

    def store_parts(self, ref: FileRef, extracted: Extracted) -> None:
        """Each document read from inside the file (``Extracted.parts``) as a document of
        its own at "<file>#<name>"; parts stored before and not read this time are removed."""
        if self._known_parts is None:
            self._known_parts = index_parts(self.known)
        old = set(self._known_parts.get(ref.key, []))
        stored = self.parts.setdefault(ref.key, [])
        for part in extracted.parts:
            child = part_ref(ref, part.name)
            previous = self.known.get(child.key)
            record = self.library.save_extracted(self.collection_id, child, part.content_hash,
                                                 part.extracted, self.extractor)
            stored.append(record)
            old.discard(child.key)
            if previous is None or previous.content_hash != part.content_hash:
                self.report.pages += record.pages
                self.emit(ev.FileDone(path=record.path, pages=record.pages,
                                      chars=record.chars, status=status_of(previous),
                                      document_id=record.id, title=record.title,
                                      warning=record.error))
        if old:
            self.library.remove([self.known[key].id for key in old])

    def parts_of(self, key: bytes) -> list[DocumentRecord]:
        """The documents read from inside a file: stored this run, else as stored before."""
        if key in self.parts:
            return self.parts[key]
        if self._known_parts is None:
            self._known_parts = index_parts(self.known)
        return [self.known[k] for k in self._known_parts.get(key, [])
                if self.known[k].status != MISSING]

    def outcome(self, outcome: Outcome) -> None:
        ref, content_hash, previous, part = outcome.key
        split = self.splits.get(content_hash)
        if part and split is None:
            return   # a range of a document that already failed as a whole
        if outcome.extracted is None:
            self.splits.pop(content_hash, None)
            self._fail_all(ref, content_hash, previous, outcome.kind or "error",
                           outcome.reason or "unknown failure")
            return
        extracted = outcome.extracted
        if split is None and extracted.total_pages is not None \
                and len(extracted.pages) < extracted.total_pages:
            self._split(ref, content_hash, previous, extracted, outcome.seconds)
            return
        if split is not None:
            split.parts[part] = extracted
            split.seconds += outcome.seconds
            if len(split.parts) < split.expected:
                return
            del self.splits[content_hash]
            extracted = split.parts[0]
            extracted.pages = [p for i in sorted(split.parts) for p in split.parts[i].pages]
            try:
                load(split.finish)(extracted)
            except ExtractionFailed as exc:
                self._fail_all(ref, content_hash, previous, exc.kind, exc.reason)
                return
            outcome.seconds = split.seconds
        waiting = self.in_flight.pop(content_hash, [])
        self.store_extracted(ref, content_hash, extracted, previous, outcome.seconds)
        for other, other_previous in waiting:   # identical copies found meanwhile
            record = self.library.link_content(self.collection_id, other, content_hash)
            self.done(other, record, status_of(other_previous))
            self.store_parts(other, extracted)

    def _fail_all(self, ref: FileRef, content_hash: str, previous: DocumentRecord | None,
                  kind: str, reason: str) -> None:
        waiting = self.in_flight.pop(content_hash, [])
        for each, each_previous in [(ref, previous), *waiting]:
            self.store_failure(each, kind, reason, each_previous)

    def _split(self, ref: FileRef, content_hash: str, previous: DocumentRecord | None,
               first: Extracted, seconds: float) -> None:
        """A long document: hand the rest of its pages to the pool in ranges, read side by
        side."""
        fmt = format_of(ref.path)
        assert fmt is not None and fmt.ranges is not None   # only they get a first range
        total = first.total_pages or 0
        ranges = split_ranges(len(first.pages), total, self.workers)
        split = _Split(expected=1 + len(ranges), finish=fmt.ranges.finish, seconds=seconds)
        split.parts[0] = first
        self.splits[content_hash] = split
        for part, pages in enumerate(ranges, start=1):
            self.queue.append(Task(key=(ref, content_hash, previous, part), path=ref.path,
                                   pages=pages, size=ref.size))

    # --- removed files ------------------------------------------------------------------

    def removed_files(self, roots: list[Path], seen: set[bytes]) -> None:
        """Documents under the walked folders whose files are gone: report, and maybe prune."""
        prefixes = [os.fsencode(root).rstrip(os.sep.encode()) + os.sep.encode()
                    for root in roots]
        gone: list[DocumentRecord] = []
        for key, record in self.known.items():
            if key in seen or not any(key.startswith(p) for p in prefixes):
                continue
            if parent_of(key, seen) is not None:
                continue   # a part of a file still there (an attachment of an e-mail)
            if os.path.lexists(os.fsdecode(key)):
                continue   # still there, only excluded or hidden now: leave it be
            gone.append(record)
        if not gone:
            return
        if self.options.prune:
            self.report.pruned = self.library.remove([r.id for r in gone])
        else:
            self.library.mark_missing([r.id for r in gone if r.status != MISSING])
        for record in gone:
            self.report.missing.append(record.path)
            self.emit(ev.FileMissing(path=record.path, document_id=record.id,
                                     pruned=self.options.prune))


def status_of(previous: DocumentRecord | None) -> str:
    """How a file read now is reported: new to the store, or its document updated."""
    return "ingested" if previous is None or previous.content_hash is None else "updated"


def type_name(path: Path) -> str:
    """The type a file that could not be read is listed with."""
    fmt = format_of(path)
    if fmt is not None and fmt.failed_type:
        return fmt.failed_type
    return path.suffix.lower().lstrip(".") or "file"

