"""`rlm info`'s reader list: every advertised format, with what reads it and what it needs."""

from __future__ import annotations

from engine.ingest.formats import FORMATS
from engine.ingest.readers.about import reader_list


def test_each_advertised_format_is_listed_with_its_library() -> None:
    readers = {r["kind"]: r for r in reader_list()}
    assert list(readers) == [f.kind for f in FORMATS if f.label]
    assert readers["spreadsheet"]["reader"].startswith("openpyxl 3.")
    assert readers["slides"]["reader"].startswith("python-pptx 1.")
    assert "olefile" in readers["email"]["reader"]
    assert "Tesseract" in readers["image"]["reader"]
    assert readers["image"]["suffixes"] == [".jpeg", ".jpg", ".png", ".tif", ".tiff"]
