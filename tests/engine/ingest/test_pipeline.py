"""The ingest pipeline end to end: store, events, re-ingest, changes, removals, bad files."""

from __future__ import annotations

import itertools
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import null

from engine import events as ev
from engine import secrets
from engine.errors import ConfigError
from engine.ingest import batch, plan
from engine.ingest.options import IngestOptions
from engine.ingest.pipeline import ingest
from engine.ingest.pool import ExtractionPool
from engine.ingest.report import describe
from engine.ingest.schedule import FIRST_RANGE_PAGES, RANGE_MIN_PAGES, split_ranges
from engine.store.library import FAILED, MISSING, Library
from tests.engine.ingest.makers import make_pdf, make_scanned_pdf


class Recorder:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []

    def __call__(self, event: ev.Event) -> None:
        self.events.append(event)

    def of(self, cls: type[ev.Event]) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]


@pytest.fixture
def library(tmp_path: Path) -> Library:
    with Library(tmp_path / "store" / "library.db") as lib:
        yield lib


def folder_with_documents(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    make_pdf(root / "lease.pdf", ["Lease between A and B", "Rent is 1,200 a month"],
             title="Lease")
    (root / "memo.txt").write_text("Board memo.\fSecond page of the memo.\n", encoding="utf-8")
    (root / "notes.md").write_text("# Notes\nCall the landlord.\n", encoding="utf-8")
    return root


def no_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing should be extracted")

    monkeypatch.setattr(ExtractionPool, "submit", refuse)
    monkeypatch.setattr(ExtractionPool, "warm_up", refuse)   # no worker is even started
    monkeypatch.setattr(plan, "extract", refuse)


def test_first_ingest_stores_documents_pages_and_events(tmp_path: Path,
                                                        library: Library) -> None:
    docs = folder_with_documents(tmp_path / "docs")
    events = Recorder()
    report = ingest([docs], IngestOptions(collection="acme", ocr="off"), events, library)
    assert (len(report.ingested), len(report.failed), report.pages) == (3, 0, 5)
    titles = {d.title: d for d in library.documents("acme")}
    assert set(titles) == {"Lease", "memo.txt", "Notes"}
    lease = titles["Lease"]
    assert (lease.type, lease.pages, lease.status, lease.error) == ("pdf", 2, "ok", None)
    rows = list(library.pages(lease.content_hash or ""))
    assert [r["page"] for r in rows] == [1, 2] and "Rent is 1,200" in rows[1]["text"]
    assert rows[0]["start"] == 0 and rows[1]["start"] == rows[0]["end"]
    started = events.of(ev.IngestStarted)[0]
    assert (started.files, started.collection) == (3, "acme")
    assert sorted(e.path for e in events.of(ev.FileDone)) == sorted(d.path for d in titles.values())
    finished = events.of(ev.IngestFinished)[0]
    assert (finished.ingested, finished.failed, finished.pages) == (3, 0, 5)
    assert events.of(ev.IngestProgress)[-1].files_done == 3
    assert [d.title for d in report.selection] == ["Lease", "memo.txt", "Notes"]


def test_unchanged_files_cost_a_stat_and_changed_ones_are_read_again(
        tmp_path: Path, library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = folder_with_documents(tmp_path / "docs")
    ingest([docs], IngestOptions(ocr="off"), library=library)
    with monkeypatch.context() as patch:
        no_extraction(patch)
        again = ingest([docs], IngestOptions(ocr="off"), library=library)
    assert (len(again.unchanged), len(again.ingested), len(again.selection)) == (3, 0, 3)
    memo = docs / "memo.txt"
    memo.write_text("Board memo, revised.\n", encoding="utf-8")
    os.utime(docs / "notes.md")          # touched, same bytes: no new read either
    events = Recorder()
    changed = ingest([docs], IngestOptions(ocr="off"), events, library)
    assert [d.title for d in changed.updated] == ["memo.txt"]
    assert len(changed.unchanged) == 2
    (record,) = [d for d in library.documents() if d.title == "memo.txt"]
    assert "revised" in next(iter(library.pages(record.content_hash or "")))["text"]
    assert library.counts()["contents"] == 3    # the old memo text is gone


def test_identical_files_are_stored_once(tmp_path: Path, library: Library) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    original = make_pdf(tmp_path / "a.pdf", ["same words"])
    for name in ("a.pdf", "copy of a.pdf", "b/a.pdf"):
        (docs / name).parent.mkdir(exist_ok=True)
        shutil.copy(original, docs / name)
    report = ingest([docs], IngestOptions(ocr="off"), library=library)
    assert len(report.ingested) == 3
    assert library.counts()["contents"] == 1 and library.counts()["documents"] == 3


def test_removed_files_are_reported_then_pruned(tmp_path: Path, library: Library) -> None:
    docs = folder_with_documents(tmp_path / "docs")
    ingest([docs], IngestOptions(ocr="off"), library=library)
    (docs / "notes.md").unlink()
    events = Recorder()
    report = ingest([docs], IngestOptions(ocr="off"), events, library)
    assert [Path(p).name for p in report.missing] == ["notes.md"]
    assert events.of(ev.FileMissing)[0].pruned is False
    assert [d.status for d in library.documents() if d.title == "Notes"] == [MISSING]
    pruned = ingest([docs], IngestOptions(ocr="off", prune=True), library=library)
    assert pruned.pruned == 1
    assert {d.title for d in library.documents()} == {"Lease", "memo.txt"}
    assert library.counts()["contents"] == 2


def test_failures_are_kept_and_not_retried_until_asked(tmp_path: Path, library: Library,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "locked.pdf", ["Settlement terms"], password="pw")
    first = ingest([docs], IngestOptions(ocr="off"), library=library)
    (failure,) = first.failed
    assert failure.kind == "password" and "--password" in failure.reason
    (record,) = library.documents()
    assert (record.status, record.error_kind) == (FAILED, "password")
    with monkeypatch.context() as patch:
        no_extraction(patch)
        again = ingest([docs], IngestOptions(ocr="off"), library=library)
    assert again.failed[0].unchanged
    unlocked = ingest([docs], IngestOptions(ocr="off", passwords=["pw"]), library=library)
    assert len(unlocked.ingested) == 1 and not unlocked.failed   # in at last
    assert library.documents()[0].status == "ok"


def test_a_newer_reader_reads_stored_documents_again(tmp_path: Path, library: Library,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    docs = folder_with_documents(tmp_path / "docs")
    ingest([docs], IngestOptions(ocr="off"), library=library)
    monkeypatch.setattr(batch, "EXTRACTOR", "rlm-ingest/999")
    report = ingest([docs], IngestOptions(ocr="off"), library=library)
    assert len(report.ingested) + len(report.updated) == 3 and not report.unchanged
    assert {d.extractor for d in library.documents()} == {"rlm-ingest/999"}


def test_long_pdfs_are_read_in_ranges_and_joined_in_order(tmp_path: Path,
                                                         library: Library) -> None:
    total = FIRST_RANGE_PAGES * 3 + 5
    path = make_pdf(tmp_path / "book.pdf", [f"This is page {i}." for i in range(1, total + 1)],
                    labels=[{"startpage": 0, "style": "r", "firstpagenum": 1},
                            {"startpage": 4, "style": "D", "firstpagenum": 1}])
    report = ingest([path], IngestOptions(ocr="off", workers=2), library=library)
    (doc,) = report.ingested
    rows = list(library.pages(doc.content_hash or ""))
    assert [r["page"] for r in rows] == list(range(1, total + 1))
    assert all(f"This is page {r['page']}." in r["text"] for r in rows)
    assert rows[3]["label"] == "iv" and rows[-1]["label"] == str(total - 4)
    assert doc.pages == total and report.pages == total


def test_printed_page_numbers_label_a_pdf_without_labels_across_ranges(
        tmp_path: Path, library: Library) -> None:
    """A book's PDF defines no labels; its footers and running headers number its pages
    (roman front matter, then arabic from the fifth page, chapter openings unnumbered)."""
    total = FIRST_RANGE_PAGES * 3 + 5
    pages = ["A BOOK\nby Someone", "Copyright 2004"]
    pages += [f"Preface text {n}.\n{roman}" for n, roman in enumerate(["i", "ii", "iii"])]
    for number in range(1, total - len(pages) + 1):
        if number % 20 == 7:     # a chapter's first page: no number printed
            pages.append(f"CHAPTER {number // 20 + 1}\nIt begins with 42 people in 1998")
        elif number % 2:
            pages.append(f"CHAPTER NAME {number}\nBody text of printed page {number}, "
                         "citing page 12.\nMore body.")
        else:
            pages.append(f"Body text of printed page {number}.\nMore body.\n"
                         f"{number} A BOOK\n<http://example.org/book>")
    path = make_pdf(tmp_path / "book.pdf", pages)
    report = ingest([path], IngestOptions(ocr="off", workers=2), library=library)
    (doc,) = report.ingested
    rows = list(library.pages(doc.content_hash or ""))
    assert len(rows) == total
    labels = [r["label"] for r in rows]
    assert labels[:5] == [None, None, "i", "ii", "iii"]
    assert labels[5:] == [str(n) for n in range(1, total - 4)]   # openings inferred too
    # The PDF's 101st page is cited by what it prints: its label.
    assert rows[100]["page"] == 101 and rows[100]["label"] == "96"


@pytest.mark.parametrize(("total", "workers"), [(352, 2), (117, 2), (40, 2), (1000, 8), (33, 1)])
def test_ranges_shrink_towards_the_end_and_cover_every_page(total: int, workers: int) -> None:
    ranges = split_ranges(FIRST_RANGE_PAGES, total, workers)
    assert ranges[0][0] == FIRST_RANGE_PAGES and ranges[-1][1] == total
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))   # contiguous, in order
    sizes = [stop - start for start, stop in ranges]
    assert sizes == sorted(sizes, reverse=True)                        # big ones first
    assert all(size >= RANGE_MIN_PAGES for size in sizes[:-1])
    assert sizes[-1] >= min(RANGE_MIN_PAGES // 2, total - FIRST_RANGE_PAGES)   # no sliver
    if total == 352:
        assert sizes == [160, 80, 40, 24, 16]


def test_scanned_pages_warn_and_the_document_still_goes_in(tmp_path: Path,
                                                          library: Library) -> None:
    report = ingest([make_scanned_pdf(tmp_path / "scan.pdf")], IngestOptions(ocr="off"),
                    library=library)
    (doc,) = report.ingested
    assert doc.status == "warning" and "scanned image" in (doc.error or "")
    assert "--ocr off" in (doc.error or "")


def test_generated_bad_files_never_stop_the_batch(tmp_path: Path, library: Library) -> None:
    """Empty, truncated, random bytes, a zip bomb, a file removed mid-batch, odd names."""
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.pdf").write_bytes(b"")
    good = make_pdf(bad / "good.pdf", ["good text"] * 3)
    (bad / "truncated.pdf").write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    (bad / "random.pdf").write_bytes(os.urandom(20_000))
    (bad / "random.docx").write_bytes(os.urandom(20_000))
    with zipfile.ZipFile(bad / "bomb.docx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(64):
                member.write(b"\x00" * 1024 * 1024)
    odd = Path(os.fsdecode(os.fsencode(bad) + b"/z odd\nname \xff.pdf"))
    make_pdf(tmp_path / "plain.pdf", ["odd name text"]).rename(odd)
    doomed = make_pdf(bad / "zz doomed.pdf", ["removed before it is read"])

    def remove_doomed(event: ev.Event) -> None:
        if isinstance(event, ev.IngestStarted):
            doomed.unlink()

    report = ingest([bad], IngestOptions(ocr="off", workers=1), remove_doomed, library)
    failed = {Path(f.path).name: f for f in report.failed}
    ingested = {Path(d.path).name: d for d in report.ingested}
    assert set(ingested) == {"good.pdf", "truncated.pdf", "z odd\\nname \\xff.pdf"}
    truncated = ingested["truncated.pdf"]          # repaired: its pages, and a warning
    assert truncated.status == "warning" and "damaged" in (truncated.error or "")
    assert failed["empty.pdf"].kind == "empty"
    assert failed["random.pdf"].kind == "corrupt"
    assert failed["random.docx"].kind == "corrupt"
    assert failed["bomb.docx"].kind == "too_large"
    assert failed["zz doomed.pdf"].kind == "missing"
    assert all(f.reason and len(f.reason) > 20 for f in failed.values())
    stored = {Path(d.path).name: d for d in library.documents()}
    assert stored["z odd\\nname \\xff.pdf"].fs_path == odd       # the real bytes are kept
    assert "zz doomed.pdf" not in stored


def test_usage_errors(tmp_path: Path, library: Library) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        ingest([tmp_path / "missing"], library=library)
    with pytest.raises(ConfigError, match="collection name"):
        ingest([tmp_path], IngestOptions(collection="  "), library=library)


def test_cancel_stops_a_batch_soon_and_keeps_what_was_stored(tmp_path: Path,
                                                            library: Library) -> None:
    import threading
    import time

    root = folder_with_documents(tmp_path / "docs")
    make_pdf(root / "hang-forever.pdf", ["never read"])
    cancel = threading.Event()
    events = Recorder()

    def cancel_once_the_rest_is_in(event: ev.Event) -> None:
        events(event)
        if isinstance(event, ev.FileDone) and len(events.of(ev.FileDone)) == 3:
            threading.Timer(0.3, cancel.set).start()

    started = time.monotonic()
    report = ingest([root], IngestOptions(workers=2, timeout_s=60,
                                          extractor="tests.engine.ingest.hooks:misbehave"),
                    emit=cancel_once_the_rest_is_in, library=library, cancel=cancel)
    assert time.monotonic() - started < 20
    assert report.cancelled
    assert len(report.ingested) == 3
    finished = events.of(ev.IngestFinished)[-1]
    assert finished.cancelled and finished.ingested == 3
    assert not events.of(ev.FileMissing)
    titles = {d.path.rsplit("/", 1)[-1] for d in library.documents()}
    assert titles == {"lease.pdf", "memo.txt", "notes.md"}


def test_force_reads_an_unlocked_pdf_again_with_its_remembered_password(
        tmp_path: Path, library: Library) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "locked.pdf", ["Settlement terms"], password="s3cret-pw")
    first = ingest([docs], IngestOptions(ocr="off", passwords=["wrong", "s3cret-pw"]),
                   library=library)
    (record,) = first.ingested
    assert record.content_hash is not None
    assert keyring.get_password(secrets.PDF_PASSWORD_SERVICE,
                                record.content_hash) == "s3cret-pw"
    forced = ingest([docs], IngestOptions(ocr="off", force=True), library=library)
    assert not forced.failed and not forced.kept and len(forced.updated) == 1
    library.conn.execute("PRAGMA wal_checkpoint(FULL)")
    assert b"s3cret-pw" not in library.path.read_bytes()    # never in the library itself


def test_a_failed_read_again_never_replaces_good_text(tmp_path: Path, library: Library,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    make_pdf(docs / "locked.pdf", ["Settlement terms"], password="pw")
    keyring.set_keyring(null.Keyring())     # no keyring: the password is not remembered
    first = ingest([docs], IngestOptions(ocr="off", passwords=["pw"]), library=library)
    assert len(first.ingested) == 1
    forced = ingest([docs], IngestOptions(ocr="off", force=True), library=library)
    assert not forced.failed and len(forced.unchanged) == 1
    (kept,) = forced.kept
    assert kept.kind == "password" and "the text read before is kept" in kept.reason
    (record,) = library.documents()
    assert record.status == "ok" and record.pages == 1
    assert record.content_hash is not None
    assert "Settlement terms" in "".join(row["text"] for row in library.pages(record.content_hash))
    assert describe(forced)["kept"][0]["kind"] == "password"
