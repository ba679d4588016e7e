"""Plain-text documents for --docs: folders, encodings, pages, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.ingest.textfiles import decode_text, load_text_documents


def test_folder_is_walked_skipping_hidden_and_temporary_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("A")
    (tmp_path / "sub" / "b.md").write_text("B")
    (tmp_path / ".hidden.txt").write_text("H")
    (tmp_path / "~$lock.txt").write_text("T")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    docs = load_text_documents([tmp_path])
    assert [d.title for d in docs] == ["a.txt", "b.md"]
    assert [d.id for d in docs] == [1, 2]


def test_form_feeds_make_pages(tmp_path: Path) -> None:
    path = tmp_path / "book.txt"
    path.write_text("one\ftwo\fthree")
    (doc,) = load_text_documents([path])
    assert [(p.number, p.text) for p in doc.pages] == [(1, "one"), (2, "two"), (3, "three")]


def test_encodings_never_crash() -> None:
    assert decode_text("café".encode()) == "café"
    assert decode_text("\ufeffbom".encode()) == "bom"
    assert decode_text("hé".encode("utf-16")) == "hé"
    assert decode_text("caf\xe9".encode("latin-1")) == "café"
    assert isinstance(decode_text(bytes(range(256))), str)


def test_missing_path_and_pdf_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_text_documents([tmp_path / "nope.txt"])
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(ConfigError, match="PDF and Word"):
        load_text_documents([pdf])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no text documents"):
        load_text_documents([empty])
