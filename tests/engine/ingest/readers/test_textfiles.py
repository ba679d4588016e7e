"""Plain text, Markdown and CSV: encodings detected, pages from form feeds or line ranges."""

from __future__ import annotations

from pathlib import Path

from engine.ingest.readers.textfiles import (
    LINES_PER_PAGE,
    ONE_PAGE_CHARS,
    decode_text,
    detect_encoding,
    extract_text,
    text_pages,
)


def test_encodings_never_crash() -> None:
    assert decode_text("café".encode()) == "café"
    assert decode_text("\ufeffbom".encode()) == "bom"
    assert decode_text("hé".encode("utf-16")) == "hé"
    assert decode_text("caf\xe9".encode("latin-1")) == "café"
    assert decode_text("„Anführung“ – €".encode("cp1252")) == "„Anführung“ – €"
    assert isinstance(decode_text(bytes(range(256))), str)
    assert decode_text(b"") == ""


def test_utf16_without_bom_and_cut_utf8_are_recognised() -> None:
    assert detect_encoding("plain words here".encode("utf-16-le")) == ("utf-16-le", 0)
    assert detect_encoding("plain words here".encode("utf-16-be")) == ("utf-16-be", 0)
    cut = "naïve café ü".encode()[:-1]          # a file cut inside the last character
    assert detect_encoding(cut)[0] == "utf-8"
    assert decode_text(cut).startswith("naïve café")


def test_form_feeds_make_pages(tmp_path: Path) -> None:
    path = tmp_path / "book.txt"
    path.write_bytes(b"one\r\n\ftwo\fthree")
    doc = extract_text(path)
    assert [(p.number, p.text, p.label) for p in doc.pages] == \
        [(1, "one\n", None), (2, "two", None), (3, "three", None)]
    assert doc.type == "text"


def test_long_text_gets_line_numbered_pages() -> None:
    lines = [f"row {i}, tenant number {i}, rent {i * 3} per month\n" for i in range(1, 251)]
    text = "".join(lines)
    assert len(text) > ONE_PAGE_CHARS
    pages = text_pages(text)
    assert [p.label for p in pages] == ["lines 1–100", "lines 101–200", "lines 201–250"]
    assert pages[1].text.startswith("row 101,")
    assert "".join(p.text for p in pages) == text
    assert len(pages[0].text.splitlines()) == LINES_PER_PAGE


def test_short_text_is_one_page_and_control_bytes_are_dropped() -> None:
    (page,) = text_pages("Clause 1\x00\x07 applies.\n")
    assert (page.number, page.text, page.label) == (1, "Clause 1 applies.\n", None)


def test_markdown_title_and_csv_type(tmp_path: Path) -> None:
    md = tmp_path / "notes.md"
    md.write_text("Intro line\n# Due diligence notes\nbody\n", encoding="utf-8")
    doc = extract_text(md)
    assert (doc.type, doc.title) == ("markdown", "Due diligence notes")
    csv = tmp_path / "rent.csv"
    csv.write_bytes("tenant;rent\nMüller;1200\n".encode("cp1252"))
    doc = extract_text(csv)
    assert doc.type == "csv" and "Müller;1200" in doc.pages[0].text
