"""Planning an ingest: each file settled by stat or by hash, or handed to the pool as a task."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

from engine import secrets
from engine.ingest.batch import Batch, status_of, type_name
from engine.ingest.extraction import extract
from engine.ingest.formats import format_of
from engine.ingest.model import MISSING as MISSING_KIND
from engine.ingest.model import PASSWORD, UNREADABLE, ExtractionFailed
from engine.ingest.pool import Task
from engine.ingest.schedule import FIRST_RANGE_PAGES
from engine.store.library import FAILED, MISSING, DocumentRecord, FileRef


def file_hash(path: Path) -> str:
    """The content's identity: BLAKE2b-256 of the bytes (as strong as SHA-256, faster)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=32)).hexdigest()


def tasks(batch: Batch, files: list[FileRef]) -> Iterator[Task]:
    """Settle what needs no extraction on the way; yield the rest to the pool."""
    for ref in files:
        # Thousands of small text or unchanged files are settled here without a yield.
        if batch.cancel is not None and batch.cancel.is_set():
            return
        previous = batch.known.get(ref.key)
        if previous is not None and _unchanged(batch, ref, previous):
            continue
        try:
            content_hash = file_hash(ref.path)
        except FileNotFoundError:
            batch.failed(ref, MISSING_KIND, "the file was removed or renamed while ingesting")
            continue
        except OSError as exc:
            batch.store_failure(ref, UNREADABLE, f"cannot read the file: "
                                f"{exc.strerror or exc}", previous)
            continue
        fmt = format_of(ref.path)
        # A file with parts (an e-mail) back after it was missing, or a copy of one, is
        # read again: its parts are documents at its own path, and were missing too.
        has_parts = fmt is not None and fmt.parts
        if previous is not None and previous.content_hash == content_hash \
                and not batch.options.force and previous.extractor == batch.extractor \
                and not (has_parts and previous.status == MISSING):
            if previous.status == MISSING:
                record = batch.library.link_content(batch.collection_id, ref, content_hash)
            else:
                batch.library.touch(previous.id, ref)
                record = previous
            batch.done(ref, record, "unchanged")
            continue
        if not batch.options.force and not has_parts \
                and batch.library.content_extractor(content_hash) == batch.extractor:
            record = batch.library.link_content(batch.collection_id, ref, content_hash)
            batch.done(ref, record, status_of(previous))
            continue
        if content_hash in batch.in_flight:
            batch.in_flight[content_hash].append((ref, previous))
            continue
        _add_remembered_password(batch, previous)
        if fmt is not None and fmt.reads_in_process(ref.size):
            _extract_here(batch, ref, content_hash, previous)
            continue
        batch.in_flight[content_hash] = []
        first_range = (0, FIRST_RANGE_PAGES) if fmt is not None and fmt.ranges else None
        yield Task(key=(ref, content_hash, previous, 0), path=ref.path, pages=first_range,
                   size=ref.size)


def _add_remembered_password(batch: Batch, previous: DocumentRecord | None) -> None:
    """A PDF read before is read again (--force, a change, a newer reader): with the
    password that opened it then, so nobody has to give it again."""
    if previous is None or previous.content_hash is None or previous.type != "pdf":
        return
    password = secrets.pdf_password(previous.content_hash)
    if password is not None and password not in batch.extract_options.passwords:
        batch.extract_options.passwords.append(password)


def _unchanged(batch: Batch, ref: FileRef, previous: DocumentRecord) -> bool:
    """Settled by stat alone: same size and mtime, nothing asks for a new read."""
    if batch.options.force or previous.status == MISSING:
        return False
    if previous.size != ref.size or previous.mtime_ns != ref.mtime_ns:
        return False
    if previous.status == FAILED:
        # A type other than the one it would fail with now: a reader came for its format
        # (an .xlsx refused as unsupported before spreadsheets were read).
        retry = batch.options.retry_failed or (
            previous.error_kind == PASSWORD and bool(batch.options.passwords)) or \
            previous.type != type_name(ref.path)
        if retry:
            return False
        batch.failed(ref, previous.error_kind or "error", previous.error or "failed before",
                     previous, unchanged=True)
        return True
    if previous.extractor != batch.extractor:
        return False
    batch.done(ref, previous, "unchanged")
    return True


def _extract_here(batch: Batch, ref: FileRef, content_hash: str,
                  previous: DocumentRecord | None) -> None:
    started = time.monotonic()
    try:
        extracted = extract(ref.path, batch.extract_options)
    except ExtractionFailed as exc:
        batch.store_failure(ref, exc.kind, exc.reason, previous)
        return
    batch.store_extracted(ref, content_hash, extracted, previous,
                          time.monotonic() - started)
