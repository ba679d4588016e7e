"""PowerPoint: one page per slide with its title, text frames, tables and notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.ingest.model import BLANK, CORRUPT, ExtractionFailed, ExtractOptions, ReadRequest
from engine.ingest.readers.slides import read_pptx
from tests.engine.ingest.officemakers import make_pptx

REQUEST = ReadRequest(ExtractOptions())


def test_titles_text_tables_and_notes_by_slide(tmp_path: Path) -> None:
    path = make_pptx(tmp_path / "deck.pptx", [
        {"title": "Project Falcon", "text": ["Closing in Q1", "Price: 5 million"],
         "table": [["Risk", "Owner"], ["Escrow", "Legal"]], "notes": "Say the price slowly"},
        {"title": ""},
        {"title": "Old plan", "text": ["Dropped"], "hidden": True},
    ])
    doc = read_pptx(path, REQUEST)
    assert doc.type == "slides"
    assert doc.title == "Project Falcon"
    assert [(p.number, p.label) for p in doc.pages] == \
        [(1, "slide 1"), (2, "slide 2"), (3, "slide 3")]
    assert doc.pages[0].text == ("Project Falcon\n\nClosing in Q1\nPrice: 5 million\n\n"
                                 "Risk | Owner\nEscrow | Legal\n\nNotes: Say the price slowly")
    assert doc.pages[1].kind == BLANK
    assert doc.pages[2].text.startswith("(hidden slide)\nOld plan")
    assert doc.warnings == ["hidden slide read and marked as hidden: 3"]


def test_a_file_that_is_not_a_presentation(tmp_path: Path) -> None:
    path = tmp_path / "fake.pptx"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ExtractionFailed) as failed:
        read_pptx(path, REQUEST)
    assert failed.value.kind == CORRUPT
