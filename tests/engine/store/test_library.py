"""The library's records: one transaction per document, content kept once, odd paths kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.ingest.model import Extracted, ExtractedPage
from engine.store.library import FAILED, MISSING, OK, WARNING, FileRef, Library


def ref(path: str | Path, size: int = 10, mtime_ns: int = 1) -> FileRef:
    return FileRef(Path(path), size, mtime_ns)


def doc(*texts: str, warnings: list[str] | None = None, title: str | None = None) -> Extracted:
    return Extracted(type="pdf", title=title, warnings=warnings or [],
                     pages=[ExtractedPage(i, t) for i, t in enumerate(texts, start=1)])


@pytest.fixture
def library(tmp_path: Path) -> Library:
    with Library(tmp_path / "lib.db") as lib:
        yield lib


def test_save_link_and_list(library: Library) -> None:
    cid = library.collection_id("Acme", create=True)
    assert cid is not None and library.collection_id("acme") == cid   # names ignore case
    first = library.save_extracted(cid, ref("/cases/a.pdf"), "h1", doc("ab", "cde"), "x/1")
    assert (first.title, first.pages, first.chars, first.tokens, first.status) == \
        ("a.pdf", 2, 5, 2, OK)
    copy = library.link_content(cid, ref("/cases/copy.pdf"), "h1")
    assert copy.pages == 2 and copy.id != first.id
    rows = list(library.pages("h1"))
    assert [(r["page"], r["start"], r["end"], r["text"]) for r in rows] == \
        [(1, 0, 2, "ab"), (2, 2, 5, "cde")]
    warned = library.save_extracted(cid, ref("/cases/scan.pdf"), "h2",
                                    doc("", warnings=["1 page is a scanned image"],
                                        title="Scan"), "x/1")
    assert (warned.status, warned.error, warned.title) == \
        (WARNING, "1 page is a scanned image", "Scan")
    (acme,) = library.collections()
    assert (acme["name"], acme["documents"], acme["readable"], acme["pages"]) == \
        ("Acme", 3, 3, 5)
    assert [d.path for d in library.documents("acme")] == \
        ["/cases/a.pdf", "/cases/copy.pdf", "/cases/scan.pdf"]
    assert [d.id for d in library.documents(ids=[warned.id, first.id])] == [warned.id, first.id]


def test_failures_missing_and_removal_free_unused_pages(library: Library) -> None:
    cid = library.collection_id("c", create=True) or 0
    a = library.save_extracted(cid, ref("/a.pdf"), "h1", doc("x"), "x/1")
    b = library.link_content(cid, ref("/b.pdf"), "h1")
    failed = library.save_failure(cid, ref("/c.pdf"), "corrupt", "not a readable PDF", "pdf")
    assert (failed.status, failed.error_kind, failed.content_hash) == (FAILED, "corrupt", None)
    library.mark_missing([a.id])
    assert library.documents(status=MISSING)[0].id == a.id
    assert library.remove([a.id]) == 1
    assert library.counts()["contents"] == 1          # b still uses the text
    library.remove([b.id, failed.id, 12345])
    assert library.counts() == {"collections": 1, "documents": 0, "contents": 0, "pages": 0}


def test_changed_content_replaces_the_old_text(library: Library) -> None:
    cid = library.collection_id("c", create=True) or 0
    library.save_extracted(cid, ref("/a.pdf"), "old", doc("old words"), "x/1")
    updated = library.save_extracted(cid, ref("/a.pdf", size=20), "new", doc("new"), "x/1")
    assert updated.content_hash == "new" and updated.size == 20
    assert library.counts()["contents"] == 1 and library.counts()["documents"] == 1


def test_paths_that_are_not_utf8_round_trip(library: Library) -> None:
    cid = library.collection_id("c", create=True) or 0
    odd = Path(os.fsdecode(b"/data/caf\xe9\nmenu.pdf"))
    record = library.save_extracted(cid, ref(odd), "h", doc("menu"), "x/1")
    assert record.path == "/data/caf\\xe9\\nmenu.pdf"
    assert record.fs_path == odd and record.title == "caf\\xe9\\nmenu.pdf"
    assert list(library.known(cid)) == [os.fsencode(odd)]


def test_unknown_collections_and_bad_names(library: Library) -> None:
    library.collection_id("real", create=True)
    with pytest.raises(ConfigError, match=r"no collection named 'acme'.*real.*rlm ingest"):
        library.require_collection("acme")
    with pytest.raises(ConfigError, match="collection name"):
        library.collection_id("bad\nname", create=True)
