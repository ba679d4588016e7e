"""RTF: text, headings, tables, Unicode and code-page characters, fields, deleted text and
metadata; hostile nesting and binary runs bounded; refusals with a reason."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.ingest.model import CORRUPT, EMPTY, ExtractionFailed, ExtractOptions, ReadRequest
from engine.ingest.readers.rtf import MAX_DEPTH, read_rtf

REQUEST = ReadRequest(ExtractOptions())
LETTER = (rb"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman Times;}}"
          rb"{\colortbl;\red0\green0\blue0;}{\stylesheet{\s1 heading 1;}}"
          rb"{\info{\title Supply Agreement}{\author Jane Roe}{\subject not text}}"
          rb"{\pard\outlinelevel0 Terms\par}"
          rb"\pard Caf\'e9 costs \u8364? 5 {\b net}.\line Next line. "
          rb"{\field{\*\fldinst HYPERLINK \"http://x\"}{\fldrslt the link}} here.\par "
          rb"{\deleted gone words }kept words\par "
          rb"\trowd\cellx1000\cellx2000 \intbl Party\cell Role\cell\row "
          rb"\trowd\cellx1000\cellx2000 \intbl ACME\cell Supplier\cell\row "
          rb"\pard After{\*\unknowndest secret} the table.{\pict\bin6 {}}\\ }\par}")


def write(tmp_path: Path, data: bytes, name: str = "f.rtf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_structure_becomes_text(tmp_path: Path) -> None:
    doc = read_rtf(write(tmp_path, LETTER), REQUEST)
    assert (doc.type, doc.title, doc.author) == ("rtf", "Supply Agreement", "Jane Roe")
    assert [p.label for p in doc.pages] == ["¶1–¶5"]
    assert doc.pages[0].text == ("# Terms\n\n"
                                 "Café costs € 5 net.\nNext line. the link here.\n\n"
                                 "kept words\n\n"
                                 "Party | Role\nACME | Supplier\n\n"
                                 "After the table.\n")


def test_code_pages_and_unicode_fallbacks(tmp_path: Path) -> None:
    cyrillic = rb"{\rtf1\ansi\ansicpg1251 \'cf\'f0\'e8\'e2\'e5\'f2 {\uc2\u1046\'3f\'3f!}\par}"
    assert read_rtf(write(tmp_path, cyrillic), REQUEST).pages[0].text == "Привет Ж!\n"


def test_deep_nesting_is_refused_and_huge_binary_runs_are_skipped(tmp_path: Path) -> None:
    deep = b"{\\rtf1 " + b"{" * (MAX_DEPTH + 10) + b"x" + b"}" * (MAX_DEPTH + 10) + b"}"
    with pytest.raises(ExtractionFailed) as failed:
        read_rtf(write(tmp_path, deep), REQUEST)
    assert failed.value.kind == CORRUPT and "nested" in failed.value.reason
    started = time.perf_counter()
    claims = rb"{\rtf1 Before.\par{\pict\bin999999999999 " + b"\x00\xff" * 1000 + b"}}"
    doc = read_rtf(write(tmp_path, claims), REQUEST)
    assert doc.pages[0].text == "Before.\n" and time.perf_counter() - started < 2


def test_many_groups_read_quickly(tmp_path: Path) -> None:
    data = b"{\\rtf1 " + b"{\\b word}{\\i other}\\par " * 50_000 + b"}"
    started = time.perf_counter()
    doc = read_rtf(write(tmp_path, data), REQUEST)
    assert doc.chars > 400_000 and time.perf_counter() - started < 20


def test_refusals(tmp_path: Path) -> None:
    with pytest.raises(ExtractionFailed) as failed:
        read_rtf(write(tmp_path, b""), REQUEST)
    assert failed.value.kind == EMPTY
    with pytest.raises(ExtractionFailed) as failed:
        read_rtf(write(tmp_path, b"%PDF-1.4 not rtf"), REQUEST)
    assert failed.value.kind == CORRUPT and "not an RTF file" in failed.value.reason
    with pytest.raises(ExtractionFailed) as failed:
        read_rtf(write(tmp_path, rb"{\rtf1{\fonttbl{\f0 Arial;}}\par\par}"), REQUEST)
    assert failed.value.kind == EMPTY
