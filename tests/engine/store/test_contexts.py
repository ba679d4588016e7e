"""Contexts from the store: exactly build_context's format, streamed, and cached by content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.context_format import Page, SourceDocument, build_context
from engine.ingest.model import Extracted, ExtractedPage
from engine.store import contexts
from engine.store.contexts import prepare_context, selection_key
from engine.store.library import FileRef, Library
from engine.store.pagekinds import NO_TEXT_OCR, PLACEHOLDERS


@pytest.fixture
def library(tmp_path: Path) -> Library:
    with Library(tmp_path / "lib.db") as lib:
        yield lib


def add(library: Library, name: str, pages: list[ExtractedPage], digest: str) -> int:
    cid = library.collection_id("c", create=True) or 0
    extracted = Extracted(type="pdf", pages=pages, title=None)
    return library.save_extracted(cid, FileRef(Path(f"/docs/{name}"), 1, 1), digest, extracted,
                                  "x/1").id


def test_same_text_and_offsets_as_build_context(library: Library, tmp_path: Path) -> None:
    a = add(library, "lease.pdf", [ExtractedPage(1, "Cover\n"),
                                   ExtractedPage(2, "Rent: £1,200 — monthly", label="ii"),
                                   ExtractedPage(3, "", kind=NO_TEXT_OCR)], "h1")
    b = add(library, "memo.pdf", [ExtractedPage(1, "Memo ✓")], "h2")
    docs = library.documents(ids=[a, b])
    cached = prepare_context(library, docs, tmp_path / "cache")
    expected_context, expected_index = build_context([
        SourceDocument(a, "lease.pdf", "/docs/lease.pdf", "pdf",
                       [Page(1, "Cover\n"), Page(2, "Rent: £1,200 — monthly", label="ii"),
                        Page(3, PLACEHOLDERS[NO_TEXT_OCR])]),
        SourceDocument(b, "memo.pdf", "/docs/memo.pdf", "pdf", [Page(1, "Memo ✓")])])
    assert cached.context_path.read_text(encoding="utf-8") == expected_context
    assert cached.documents == expected_index
    assert json.loads(cached.documents_path.read_text(encoding="utf-8")) == expected_index
    assert cached.chars == len(expected_context) and not cached.reused


def test_second_use_is_served_from_the_cache(library: Library, tmp_path: Path) -> None:
    a = add(library, "a.pdf", [ExtractedPage(1, "alpha")], "h1")
    docs = library.documents(ids=[a])
    first = prepare_context(library, docs, tmp_path / "cache")
    second = prepare_context(library, docs, tmp_path / "cache")
    assert second.reused and second.context_path == first.context_path
    assert second.documents == first.documents and second.chars == first.chars
    b = add(library, "b.pdf", [ExtractedPage(1, "beta")], "h2")
    both = prepare_context(library, library.documents(ids=[a, b]), tmp_path / "cache")
    assert not both.reused and both.key != first.key
    assert selection_key(library.documents(ids=[b, a])) != both.key   # order matters


def test_damaged_entries_are_rebuilt_and_old_ones_evicted(library: Library, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    ids = [add(library, f"d{i}.pdf", [ExtractedPage(1, f"text {i}")], f"h{i}") for i in range(4)]
    first = prepare_context(library, library.documents(ids=[ids[0]]), cache)
    (first.context_path.parent / "meta.json").write_text("{broken", encoding="utf-8")
    rebuilt = prepare_context(library, library.documents(ids=[ids[0]]), cache)
    assert not rebuilt.reused and rebuilt.context_path.read_text().endswith("text 0\n\n")
    monkeypatch.setattr(contexts, "MAX_CACHE_ENTRIES", 2)
    for doc_id in ids[1:]:
        prepare_context(library, library.documents(ids=[doc_id]), cache)
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 2


class Boom:
    """Would run code if unpickled by a plain ``pickle.load``."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("code ran",))


def test_the_index_is_read_back_fast_and_never_runs_code(library: Library, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import pickle

    a = add(library, "a.pdf", [ExtractedPage(1, "alpha"), ExtractedPage(2, "beta")], "h1")
    docs = library.documents(ids=[a])
    first = prepare_context(library, docs, tmp_path / "cache")
    folder = first.context_path.parent
    assert pickle.loads((folder / contexts.INDEX_NAME).read_bytes()) == first.documents
    # Tampered with (code in it) or gone: the JSON index serves, and nothing runs.
    (folder / contexts.INDEX_NAME).write_bytes(pickle.dumps([Boom()]))
    tampered = prepare_context(library, docs, tmp_path / "cache")
    assert tampered.reused and tampered.documents == first.documents
    assert "code ran" not in capsys.readouterr().out
    (folder / contexts.INDEX_NAME).unlink()
    older = prepare_context(library, docs, tmp_path / "cache")
    assert older.reused and older.documents == first.documents
