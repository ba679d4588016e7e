"""The ingest pipeline: files and folders in, documents in the store out, events all along.

For each file found: unchanged since last time (same size and mtime) costs a
stat; otherwise its bytes are hashed, content already in the store is linked
without reading it again, and the rest is extracted in the worker pool. Each
document is saved in its own transaction as soon as it is read, so memory stays
flat and a killed ingest resumes where it stopped. The steps: ``plan`` (what each
file needs), ``drive`` (the pool kept busy), ``batch`` (what is stored and said).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from engine import events as ev
from engine.errors import ConfigError
from engine.ingest.batch import Batch, Emit
from engine.ingest.drive import drive
from engine.ingest.formats import unsupported_reason
from engine.ingest.model import MISSING as MISSING_KIND
from engine.ingest.model import UNSUPPORTED
from engine.ingest.options import IngestOptions
from engine.ingest.plan import tasks
from engine.ingest.pool import Cancel, ExtractionPool
from engine.ingest.report import IngestReport
from engine.ingest.walk import walk
from engine.store.library import FileRef, Library


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
    batch = Batch(library, options, emit)
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
        drive(pool, tasks(batch, found.files), batch.queue, batch.outcome, batch.extract_options)
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
