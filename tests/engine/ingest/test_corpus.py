"""Every file of ../shared/corpus, as a new user would ingest it: nothing crashes or hangs,
readable files come in with the right page count, the rest are named with a specific reason.

Runs only where the corpus is checked out beside the repository (CI clones it there);
OCR is off so the run takes seconds (OCR has its own test in test_pdf.py).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from engine import events as ev
from engine.ingest.options import IngestOptions
from engine.ingest.pipeline import ingest
from engine.ingest.report import IngestReport
from engine.store.library import Library
from tests.engine.ingest.makers import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")
SPECIFIC = {"password", "corrupt", "unsupported", "empty", "too_large"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestReport, Library, list[Any]]:
    folder = tmp_path_factory.mktemp("corpus-store")
    library = Library(folder / "library.db")
    events: list[ev.Event] = []
    report = ingest([CORPUS], IngestOptions(collection="corpus", ocr="off", timeout_s=60),
                    events.append, library)
    yield report, library, events
    library.close()


def by_name(report: IngestReport) -> tuple[dict[str, Any], dict[str, Any]]:
    docs = {Path(d.path).name: d for d in report.ingested + report.updated + report.unchanged}
    failed = {Path(f.path).name: f for f in report.failed}
    return docs, failed


def test_every_file_is_accounted_for_and_nothing_crashed(run: Any) -> None:
    report, _, events = run
    files = [p for p in CORPUS.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert report.files == len(files)
    assert len([e for e in events if isinstance(e, ev.FileDone | ev.FileFailed)]) == len(files)
    kinds = Counter(f.kind for f in report.failed)
    assert set(kinds) <= SPECIFIC, kinds          # no crash, timeout or unexplained error
    assert all(len(f.reason) > 25 for f in report.failed)
    assert len(report.ingested) > 0.8 * (len(files) - kinds["unsupported"])


def test_pdf_page_counts_match_the_files(run: Any) -> None:
    report, _, _ = run
    docs, failed = by_name(report)
    checked = 0
    for path in sorted((CORPUS / "pdf").rglob("*.pdf")) + sorted((CORPUS / "books").glob("*")):
        if path.name not in docs:
            assert failed[path.name].kind in SPECIFIC
            continue
        record = docs[path.name]
        if "page list is damaged" in (record.error or ""):
            continue    # rebuilt from the page objects: there is no page count to trust
        with pymupdf.open(path) as pdf:
            assert record.pages == pdf.page_count, path.name
        checked += 1
    assert checked > 900


def test_known_samples_and_books(run: Any) -> None:
    report, _, _ = run
    docs, failed = by_name(report)
    meta = json.loads((CORPUS / "pdf" / "py-pdf-samples" / "files.json").read_text())["data"]
    checked = 0
    for entry in meta:
        name = entry["path"].replace("/", "_")
        if name not in docs and name not in failed:
            continue                     # listed there, not copied into the corpus
        checked += 1
        if entry["encrypted"] and name in failed:
            assert failed[name].kind == "password"
        elif "unreadable" not in name:   # 017: one of its 4 page objects is truly gone
            assert docs[name].pages == entry["pages"], name
    assert checked >= 25
    books = {"freeculture.pdf": 352, "tracemonkey.pdf": 14, "Brotli-Prototype-FileA.pdf": 25}
    for name, pages in books.items():
        assert docs[name].pages == pages and docs[name].chars > 20_000 * (pages > 20)
    assert docs["freeculture.pdf"].title == "Free Culture"


def test_printed_page_numbers_label_free_culture(run: Any) -> None:
    """Free Culture's PDF defines no page labels; its pages print their numbers in running
    headers ("236 FREE CULTURE", "BALANCES 237") and its preface in roman numerals."""
    report, library, _ = run
    docs, _ = by_name(report)
    rows = {r["page"]: r for r in library.pages(docs["freeculture.pdf"].content_hash or "")}
    assert "236 FREE CULTURE" in rows[244]["text"]
    assert rows[244]["label"] == "236" and rows[245]["label"] == "237"
    assert [rows[n]["label"] for n in (12, 13, 14, 15)] == ["xiii", "xiv", "xv", "xvi"]
    assert rows[17]["label"] == "1" and rows[351]["label"] == "345"
    # Before the preface (cover, title, contents) nothing is numbered; page 30, the part
    # title "PIRACY", sits between printed 13 and 17 (printed pages left out of the PDF),
    # so its neighbours disagree and no label is made up.
    assert all(rows[n]["label"] is None for n in range(1, 12))
    assert rows[29]["label"] == "13" and rows[30]["label"] is None and rows[31]["label"] == "17"
    assert sum(r["label"] is not None for r in rows.values()) > 320
    for name in ("tracemonkey.pdf", "Brotli-Prototype-FileA.pdf"):   # no printed numbers
        assert all(r["label"] is None for r in library.pages(docs[name].content_hash or ""))


def test_word_files(run: Any) -> None:
    report, _, _ = run
    docs, failed = by_name(report)
    for path in (CORPUS / "word" / "python-docx").glob("*.docx"):
        assert path.name in docs, failed.get(path.name)
    legacy = [p for p in (CORPUS / "word").rglob("*.doc")
              if p.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"]
    assert legacy
    assert sum(p.name in docs for p in legacy) >= 130      # read from the piece table
    assert {failed[p.name].kind for p in legacy if p.name not in docs} <= SPECIFIC
    modern = [p for p in (CORPUS / "word").rglob("*") if p.suffix in (".docx", ".docm", ".dotx")]
    assert sum(p.name in docs for p in modern) > 0.8 * len(modern)


def test_the_password_protected_sample_opens_with_its_password(tmp_path: Path) -> None:
    sample = next((CORPUS / "pdf" / "py-pdf-samples").glob("005-*password*.pdf"))
    with Library(tmp_path / "lib.db") as library:
        report = ingest([sample], IngestOptions(ocr="off", passwords=["openpassword"]),
                        library=library)
    (doc,) = report.ingested
    assert doc.pages >= 1 and doc.chars > 0
