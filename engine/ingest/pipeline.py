"""The ingest pipeline: files and folders in, documents in the store out, events all along.

For each file found: unchanged since last time (same size and mtime) costs a
stat; otherwise its bytes are hashed, content already in the store is linked
without reading it again, and the rest is extracted in the worker pool. Each
document is saved in its own transaction as soon as it is read, so memory stays
flat and a killed ingest resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import math
import os
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import events as ev
from engine import secrets
from engine.errors import ConfigError
from engine.ingest.extraction import extract
from engine.ingest.formats import format_of, load, unsupported_reason
from engine.ingest.model import MISSING as MISSING_KIND
from engine.ingest.model import (
    PASSWORD,
    UNREADABLE,
    UNSUPPORTED,
    Extracted,
    ExtractionFailed,
    ExtractOptions,
)
from engine.ingest.parts import index_parts, parent_of, part_ref
from engine.ingest.pool import AUTO, DEFAULT_TIMEOUT_S, Cancel, ExtractionPool, Outcome, Task
from engine.ingest.schedule import read_whole
from engine.ingest.walk import walk
from engine.store.library import (
    DEFAULT_COLLECTION,
    FAILED,
    MISSING,
    OK,
    WARNING,
    DocumentRecord,
    FileRef,
    Library,
)

# Bump when extraction changes what is stored, so stored documents are read again.
INGEST_VERSION = 2   # 2: printed page numbers label PDFs without labels
EXTRACTOR = f"rlm-ingest/{INGEST_VERSION}"
PROGRESS_INTERVAL_S = 0.1
# A file of a format read in page ranges (a PDF) is read whole while many files follow it
# (schedule.read_whole). One of the last has a first task that reads this many pages and
# learns the page count; the rest of a longer one is read in ranges of at least
# RANGE_MIN_PAGES by all workers at once (split_ranges).
FIRST_RANGE_PAGES = 32
RANGE_MIN_PAGES = 24
# Files planned (hashed) ahead while the workers start, at most.
PLAN_AHEAD = 1000
# Files planned ahead, at most, to tell whether one that may be split is among the last.
WHOLE_LOOK_AHEAD = 256

Emit = Callable[[ev.Event], None]


@dataclass
class IngestOptions:
    """Choices for one ingest; the defaults are what ``rlm ingest PATH`` does."""

    collection: str = DEFAULT_COLLECTION
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    follow_links: bool = False
    passwords: list[str] = field(default_factory=list)
    ocr: str = "auto"
    ocr_language: str = "eng"
    workers: int | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int | None = AUTO
    force: bool = False           # read every file again, changed or not
    retry_failed: bool = False    # try files that failed before even if unchanged
    prune: bool = False           # forget documents whose files are gone
    extractor: str | None = None  # "module:function" run by the workers (tests); None: ours

    def extract_options(self) -> ExtractOptions:
        return ExtractOptions(passwords=list(self.passwords), ocr=self.ocr,
                              ocr_language=self.ocr_language)


@dataclass
class _Split:
    """A long document read in page ranges by several workers; stored when every range is
    in, once ``finish`` ("module:function", see ``formats.Ranges``) has made them one."""

    expected: int
    finish: str
    seconds: float = 0.0
    parts: dict[int, Extracted] = field(default_factory=dict)


@dataclass
class Failure:
    path: str
    kind: str
    reason: str
    unchanged: bool = False


@dataclass
class IngestReport:
    """What happened to each file; ``selection`` holds the readable documents found, in order."""

    collection: str
    ingested: list[DocumentRecord] = field(default_factory=list)
    updated: list[DocumentRecord] = field(default_factory=list)
    unchanged: list[DocumentRecord] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    pruned: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    pages: int = 0
    seconds: float = 0.0
    selection: list[DocumentRecord] = field(default_factory=list)
    cancelled: bool = False
    # Read again and failed: the text read before is kept (these count as unchanged too).
    kept: list[Failure] = field(default_factory=list)

    @property
    def files(self) -> int:
        return len(self.ingested) + len(self.updated) + len(self.unchanged) + len(self.failed)


def file_hash(path: Path) -> str:
    """The content's identity: BLAKE2b-256 of the bytes (as strong as SHA-256, faster)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=32)).hexdigest()


class _Batch:
    """One ingest run's state: the plan, the store writes, the events."""

    def __init__(self, library: Library, options: IngestOptions, emit: Emit) -> None:
        self.library = library
        self.options = options
        self.emit = emit
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
                                           doc_type=_type_name(ref.path))
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
                                             EXTRACTOR)
        if kept:    # forgotten when the last document with this content is removed
            self.library.mark_password_kept(content_hash)
        self.done(ref, record, _status(previous), seconds)
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
                                                 part.extracted, EXTRACTOR)
            stored.append(record)
            old.discard(child.key)
            if previous is None or previous.content_hash != part.content_hash:
                self.report.pages += record.pages
                self.emit(ev.FileDone(path=record.path, pages=record.pages,
                                      chars=record.chars, status=_status(previous),
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
            self.done(other, record, _status(other_previous))
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

    # --- planning -----------------------------------------------------------------------

    def tasks(self, files: list[FileRef]) -> Iterator[Task]:
        """Settle what needs no extraction on the way; yield the rest to the pool."""
        for ref in files:
            # Thousands of small text or unchanged files are settled here without a yield.
            if self.cancel is not None and self.cancel.is_set():
                return
            previous = self.known.get(ref.key)
            if previous is not None and self._unchanged(ref, previous):
                continue
            try:
                content_hash = file_hash(ref.path)
            except FileNotFoundError:
                self.failed(ref, MISSING_KIND, "the file was removed or renamed while ingesting")
                continue
            except OSError as exc:
                self.store_failure(ref, UNREADABLE, f"cannot read the file: "
                                   f"{exc.strerror or exc}", previous)
                continue
            fmt = format_of(ref.path)
            # A file with parts (an e-mail) back after it was missing, or a copy of one, is
            # read again: its parts are documents at its own path, and were missing too.
            has_parts = fmt is not None and fmt.parts
            if previous is not None and previous.content_hash == content_hash \
                    and not self.options.force and previous.extractor == EXTRACTOR \
                    and not (has_parts and previous.status == MISSING):
                if previous.status == MISSING:
                    record = self.library.link_content(self.collection_id, ref, content_hash)
                else:
                    self.library.touch(previous.id, ref)
                    record = previous
                self.done(ref, record, "unchanged")
                continue
            if not self.options.force and not has_parts \
                    and self.library.content_extractor(content_hash) == EXTRACTOR:
                record = self.library.link_content(self.collection_id, ref, content_hash)
                self.done(ref, record, _status(previous))
                continue
            if content_hash in self.in_flight:
                self.in_flight[content_hash].append((ref, previous))
                continue
            self._add_remembered_password(previous)
            if fmt is not None and fmt.reads_in_process(ref.size):
                self._extract_here(ref, content_hash, previous)
                continue
            self.in_flight[content_hash] = []
            first_range = (0, FIRST_RANGE_PAGES) if fmt is not None and fmt.ranges else None
            yield Task(key=(ref, content_hash, previous, 0), path=ref.path, pages=first_range,
                       size=ref.size)

    def _add_remembered_password(self, previous: DocumentRecord | None) -> None:
        """A PDF read before is read again (--force, a change, a newer reader): with the
        password that opened it then, so nobody has to give it again."""
        if previous is None or previous.content_hash is None or previous.type != "pdf":
            return
        password = secrets.pdf_password(previous.content_hash)
        if password is not None and password not in self.extract_options.passwords:
            self.extract_options.passwords.append(password)

    def _unchanged(self, ref: FileRef, previous: DocumentRecord) -> bool:
        """Settled by stat alone: same size and mtime, nothing asks for a new read."""
        if self.options.force or previous.status == MISSING:
            return False
        if previous.size != ref.size or previous.mtime_ns != ref.mtime_ns:
            return False
        if previous.status == FAILED:
            # A type other than the one it would fail with now: a reader came for its format
            # (an .xlsx refused as unsupported before spreadsheets were read).
            retry = self.options.retry_failed or (
                previous.error_kind == PASSWORD and bool(self.options.passwords)) or \
                previous.type != _type_name(ref.path)
            if retry:
                return False
            self.failed(ref, previous.error_kind or "error", previous.error or "failed before",
                        previous, unchanged=True)
            return True
        if previous.extractor != EXTRACTOR:
            return False
        self.done(ref, previous, "unchanged")
        return True

    def _extract_here(self, ref: FileRef, content_hash: str,
                      previous: DocumentRecord | None) -> None:
        started = time.monotonic()
        try:
            extracted = extract(ref.path, self.extract_options)
        except ExtractionFailed as exc:
            self.store_failure(ref, exc.kind, exc.reason, previous)
            return
        self.store_extracted(ref, content_hash, extracted, previous,
                             time.monotonic() - started)

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


def _drive(pool: ExtractionPool, batch: _Batch, source: Iterator[Task],
           options: ExtractOptions) -> None:
    """Keep every worker busy: ranges of long documents first, then the next new file."""
    planned: deque[Task] = deque()
    exhausted = False
    task: Task | None = None
    while not pool.cancelled:
        while not pool.cancelled:
            if task is None and batch.queue:
                task = batch.queue.popleft()
            if task is None and planned:
                task = planned.popleft()
            if task is None and not exhausted:
                task = next(source, None)
                exhausted = task is None
                # Workers start only once a file needs one (a re-ingest may need none);
                # the next files are planned while they start.
                if task is not None:
                    pool.warm_up()
                    if pool.starting:
                        exhausted = _plan_ahead(pool, source, planned)
            if task is None or not pool.can_take(task):
                break
            if task.pages == (0, FIRST_RANGE_PAGES) and task.key[3] == 0:
                exhausted = _whole_or_first_range(task, pool.size, source, planned) \
                    or exhausted
            pool.submit(task, options)
            task = None
        if pool.cancelled or (not pool.busy and task is None):
            return
        for outcome in pool.wait():
            batch.outcome(outcome)


def _whole_or_first_range(task: Task, workers: int, source: Iterator[Task],
                          planned: deque[Task]) -> bool:
    """A file that may be read in ranges goes out whole unless it is among the last ones
    (``schedule.read_whole``), planning the next files as far as that needs; True when
    none are left."""
    exhausted = False
    while not read_whole(task.size, (t.size for t in planned), workers):
        if len(planned) >= WHOLE_LOOK_AHEAD:
            return False   # many small files behind a big one: it is among the last
        later = next(source, None)
        if later is None:
            exhausted = True
            break
        planned.append(later)
    else:
        task.pages = None
    return exhausted


def _plan_ahead(pool: ExtractionPool, source: Iterator[Task], planned: deque[Task]) -> bool:
    """Hash and plan the next files while the workers start; True when none are left."""
    while pool.starting and len(planned) < PLAN_AHEAD and not pool.cancelled:
        task = next(source, None)
        if task is None:
            return True
        planned.append(task)
    return False


def split_ranges(start: int, total: int, workers: int) -> list[tuple[int, int]]:
    """Page ranges for the rest of a long document, largest first: each a worker's share of
    what is left, never under RANGE_MIN_PAGES (each range opens the file again) and no
    sliver at the end, so the workers finish it together (320 pages, 2 workers: 160, 80,
    40, 24, 16)."""
    ranges = []
    while start < total:
        size = max(RANGE_MIN_PAGES, math.ceil((total - start) / max(1, workers)))
        if total - (start + size) < RANGE_MIN_PAGES // 2:
            size = total - start
        ranges.append((start, start + size))
        start += size
    return ranges


def _status(previous: DocumentRecord | None) -> str:
    return "ingested" if previous is None or previous.content_hash is None else "updated"


def _type_name(path: Path) -> str:
    """The type a file that could not be read is listed with."""
    fmt = format_of(path)
    if fmt is not None and fmt.failed_type:
        return fmt.failed_type
    return path.suffix.lower().lstrip(".") or "file"


def ingest(paths: Sequence[str | Path], options: IngestOptions | None = None,
           emit: Emit | None = None, library: Library | None = None,
           cancel: Cancel | None = None) -> IngestReport:
    """Ingest files and folders into a collection; never raises for a bad file (it is
    reported), only for bad input (ConfigError) or a store that cannot be written.

    Setting ``cancel`` stops the batch within a moment: files still being read are
    dropped (they are read next time), everything stored so far stays, and the report
    says ``cancelled``."""
    options = options or IngestOptions()
    emit = emit or (lambda event: None)
    own_library = library is None
    library = library or Library()
    try:
        return _ingest(paths, options, emit, library, cancel)
    except sqlite3.OperationalError as exc:
        raise ConfigError(f"cannot write the document store {library.path}: {exc}; free some "
                          "disk space or close other programs using it, then ingest again "
                          "(what was stored so far is kept)") from exc
    finally:
        if own_library:
            library.close()


def _ingest(paths: Sequence[str | Path], options: IngestOptions, emit: Emit,
            library: Library, cancel: Cancel | None) -> IngestReport:
    if not paths:
        raise ConfigError("nothing to ingest: name files or folders")
    if options.timeout_s <= 0:
        raise ConfigError("the per-file time limit must be above 0 seconds")
    batch = _Batch(library, options, emit)
    batch.cancel = cancel
    existing = library.collection_id(options.collection)
    batch.known = library.known(existing) if existing is not None else {}
    pool = ExtractionPool(workers=options.workers, timeout_s=options.timeout_s,
                          memory_mb=options.memory_mb, on_progress=batch.on_pages,
                          extractor=options.extractor, cancel=cancel)
    batch.workers = pool.size
    with pool:
        if not batch.known:   # a new collection: what the walk finds will be read, so the
            pool.warm_up()    # workers start while it walks (else only once a file needs one)
        found = walk(paths, options.include, options.exclude, options.follow_links)
        batch.report.skipped = found.skipped
        batch.collection_id = library.collection_id(options.collection, create=True) or 0
        batch.files_total = len(found.files) + len(found.unsupported) + len(found.vanished)
        batch.bytes_total = found.total_bytes + sum(f.size for f in found.unsupported)
        emit(ev.IngestStarted(files=batch.files_total, collection=options.collection,
                              bytes_total=batch.bytes_total, skipped=dict(found.skipped)))
        for path in found.vanished:
            batch.failed(FileRef(path, 0, 0), MISSING_KIND, "the file was removed or renamed "
                         "while ingesting")
        for ref in found.unsupported:
            batch.store_failure(ref, UNSUPPORTED, unsupported_reason(ref.path))
        _drive(pool, batch, batch.tasks(found.files), batch.extract_options)
    batch.report.cancelled = pool.cancelled
    if not pool.cancelled:   # a cancelled walk has not looked at every file: none is missing
        seen = {ref.key for ref in found.files} | {ref.key for ref in found.unsupported}
        batch.removed_files(found.roots, seen)
    batch.report.selection = [record for ref in found.files if ref.key in batch.selected
                              for record in (batch.selected[ref.key],
                                             *batch.parts_of(ref.key))]
    batch.report.seconds = time.monotonic() - batch.started
    batch.progress(force=True)
    report = batch.report
    emit(ev.IngestFinished(ingested=len(report.ingested), unchanged=len(report.unchanged),
                           failed=len(report.failed), duration_s=round(report.seconds, 3),
                           updated=len(report.updated), missing=len(report.missing),
                           pruned=report.pruned, pages=report.pages,
                           collection=options.collection, cancelled=report.cancelled))
    return report


def describe(report: IngestReport) -> dict[str, Any]:
    """The report as JSON (``rlm ingest --json``)."""
    return {"collection": report.collection, "ingested": len(report.ingested),
            "updated": len(report.updated), "unchanged": len(report.unchanged),
            "failed": [{"path": f.path, "kind": f.kind, "reason": f.reason,
                        "unchanged": f.unchanged} for f in report.failed],
            "kept": [{"path": f.path, "kind": f.kind, "reason": f.reason}
                     for f in report.kept],
            "missing": report.missing, "pruned": report.pruned,
            "skipped": dict(report.skipped), "pages": report.pages,
            "seconds": round(report.seconds, 3), "cancelled": report.cancelled}
