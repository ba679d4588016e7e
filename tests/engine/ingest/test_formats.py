"""The format registry: every entry names functions that exist, suffixes are unambiguous,
and naming readers costs no import until a file of theirs is read."""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from engine.ingest.formats import FORMATS, SUPPORTED_TEXT, Format, format_of, load
from engine.ingest.model import ExtractOptions, ReadRequest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.kind)
def test_every_entry_names_functions_that_exist_with_the_right_arguments(fmt: Format) -> None:
    reader = load(fmt.reader)
    inspect.signature(reader).bind(Path("file"), ReadRequest(ExtractOptions()))
    if fmt.ranges is not None:
        inspect.signature(load(fmt.ranges.finish)).bind(object())
        if fmt.ranges.release is not None:
            inspect.signature(load(fmt.ranges.release)).bind()
    for module in fmt.preload:   # the fork server skips a module it cannot import, silently
        assert importlib.util.find_spec(module) is not None, module


def test_a_misnamed_reader_is_caught() -> None:
    with pytest.raises(AttributeError):
        load("engine.ingest.readers.pdf:read_pfd")
    with pytest.raises(ImportError):
        load("engine.ingest.readers.pfd:read_pdf")


def test_each_suffix_belongs_to_one_format() -> None:
    suffixes = [s for fmt in FORMATS for s in fmt.suffixes]
    assert len(suffixes) == len(set(suffixes))
    assert all(s.startswith(".") and s == s.lower() for s in suffixes)
    assert len({fmt.kind for fmt in FORMATS}) == len(FORMATS)


def test_a_file_s_format_comes_from_its_suffix_in_any_case() -> None:
    names = ["a.PDF", "b.docx", "c.Doc", "d.md", "e.htm", "f.xyz", "README"]
    kinds = [fmt.kind if (fmt := format_of(Path(name))) else None for name in names]
    assert kinds == ["pdf", "word", "legacy_word", "text", "html", None, None]
    assert SUPPORTED_TEXT.startswith("PDF, Word (.docx), Word 97–2003 (.doc), RTF, "
                                      "OpenDocument text (.odt), plain text")
    assert [format_of(Path(n)).kind for n in ("a.rtf", "b.ODT", "c.ott")] == \
        ["rtf", "odt", "odt"]  # type: ignore[union-attr]
    mail = ["a.EML", "b.msg", "c.mbox", "d.xlsx", "e.XLSM", "f.pptx", "g.png", "h.JPG",
            "i.tif", "j.tiff", "k.xls"]
    kinds = [fmt.kind if (fmt := format_of(Path(name))) else None for name in mail]
    assert kinds == ["email"] * 3 + ["spreadsheet"] * 2 + ["slides"] + ["image"] * 4 + [None]
    for label in ("e-mail (.eml, .msg, .mbox)", "Excel (.xlsx)", "PowerPoint (.pptx)",
                  "pictures (OCR)"):
        assert label in SUPPORTED_TEXT


def test_the_registry_imports_no_reader_until_a_file_is_read() -> None:
    code = ("import sys\n"
            "import engine.ingest.pipeline, engine.ingest.walk\n"
            "loaded = [m for m in sys.modules if m.startswith('engine.ingest.readers.')\n"
            "          or m.split('.')[0] in ('pymupdf', 'fitz', 'docx', 'lxml')]\n"
            "print(loaded); sys.exit(1 if loaded else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
