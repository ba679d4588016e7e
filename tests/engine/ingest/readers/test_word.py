"""Word files: structure as text, locations for citations, and clear refusals."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest

from engine.ingest.extraction import extract
from engine.ingest.model import (
    CORRUPT,
    PASSWORD,
    TOO_LARGE,
    ExtractionFailed,
    ExtractOptions,
)
from engine.ingest.readers.word import CHUNK_CHARS, extract_docx
from tests.engine.ingest.docmaker import DocText, make_doc
from tests.engine.ingest.makers import make_ooxml, para

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def make_contract(path: Path) -> Path:
    document = docx.Document()
    document.core_properties.title = "Master Services Agreement"
    document.core_properties.author = "ACME Legal"
    document.sections[0].header.paragraphs[0].text = "CONFIDENTIAL"
    document.sections[0].footer.paragraphs[0].text = "Draft 3"
    document.add_heading("Master Services Agreement", level=0)
    document.add_heading("Definitions", level=1)
    document.add_paragraph("Services means the work in Schedule 1.", style="List Number")
    document.add_paragraph("Fees means the amounts in Schedule 2.", style="List Number")
    document.add_heading("Liability", level=2)
    body = document.add_paragraph("Liability is capped at the fees paid.")
    document.add_comment(body.runs, text="Check the cap with finance", author="Alice")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("Party", "Role"), ("ACME", "Supplier")], strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.save(path)
    return path


def test_structure_becomes_readable_text(tmp_path: Path) -> None:
    doc = extract_docx(make_contract(tmp_path / "msa.docx"))
    text = "".join(p.text for p in doc.pages)
    assert (doc.type, doc.title, doc.author) == ("docx", "Master Services Agreement",
                                                 "ACME Legal")
    assert "# Master Services Agreement" in text          # Title style
    assert "# Definitions" in text and "## Liability" in text
    assert "1. Services means" in text and "2. Fees means" in text   # Word's own numbers
    assert "[Comment by Alice: Check the cap with finance]" in text
    assert "Party | Role\nACME | Supplier" in text
    assert text.startswith("[Header: CONFIDENTIAL]") and "[Footer: Draft 3]" in text


def test_without_rendered_page_breaks_locations_are_paragraph_numbers(tmp_path: Path) -> None:
    paragraphs = "".join(para(f"Paragraph {i} " + "words " * 60) for i in range(1, 41))
    doc = extract_docx(make_ooxml(tmp_path / "long.docx", paragraphs))
    assert len(doc.pages) > 1
    assert all(len(p.text) <= CHUNK_CHARS + 400 for p in doc.pages)
    assert doc.pages[0].label is not None and doc.pages[0].label.startswith("¶1–¶")
    second = doc.pages[1]
    first_para = int(second.label.split("–")[0].lstrip("¶"))  # type: ignore[union-attr]
    assert second.text.startswith(f"Paragraph {first_para} ")


def test_word_page_breaks_make_real_pages(tmp_path: Path) -> None:
    body = (para("Cover page") + para("Second page text", rendered_break=True)
            + para("Third page text", break_before=True)
            + '<w:p><w:r><w:t>still three, </w:t><w:lastRenderedPageBreak/>'
              '<w:t>now four</w:t></w:r></w:p>')
    doc = extract_docx(make_ooxml(tmp_path / "pages.docx", body))
    assert [(p.number, p.label) for p in doc.pages] == [(1, None), (2, None), (3, None),
                                                        (4, None)]
    assert "Second page text" in doc.pages[1].text
    assert "still three," in doc.pages[2].text and "now four" in doc.pages[3].text


def test_footnotes_comments_tracked_changes_and_fields(tmp_path: Path) -> None:
    body = ('<w:p><w:r><w:t>The fee</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r>'
            '<w:ins><w:r><w:t> is final</w:t></w:r></w:ins>'
            '<w:del><w:r><w:delText> was open</w:delText></w:r></w:del>'
            '<w:r><w:instrText>PAGE \\* MERGEFORMAT</w:instrText></w:r>'
            '<w:commentRangeStart w:id="7"/><w:r><w:t>.</w:t></w:r>'
            '<w:r><w:commentReference w:id="7"/></w:r></w:p>')
    footnotes = ('<w:footnote w:type="separator" w:id="0"><w:p><w:r><w:t>---</w:t></w:r></w:p>'
                 '</w:footnote><w:footnote w:id="2"><w:p><w:r><w:t>Before VAT.</w:t></w:r>'
                 '</w:p></w:footnote>')
    comments = ('<w:comment w:id="7" w:author="Bob"><w:p><w:r><w:t>Agreed?</w:t></w:r></w:p>'
                '</w:comment>')
    doc = extract_docx(make_ooxml(tmp_path / "notes.docx", body, footnotes=footnotes,
                                  comments=comments))
    text = doc.pages[0].text
    assert "The fee[^2] is final." in text
    assert "[^2]: Before VAT." in text and "---" not in text
    assert "was open" not in text and "MERGEFORMAT" not in text
    assert "[Comment by Bob: Agreed?]" in text


def test_macro_files_and_templates_are_read_without_running_anything(tmp_path: Path) -> None:
    docm = "application/vnd.ms-word.document.macroEnabled.main+xml"
    dotx = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
    for name, main_type in (("m.docm", docm), ("t.dotx", dotx)):
        doc = extract_docx(make_ooxml(tmp_path / name, para("Clause text"), main_type=main_type))
        assert doc.type == name.split(".")[1] and "Clause text" in doc.pages[0].text


def test_a_missing_picture_does_not_cost_the_text(tmp_path: Path) -> None:
    rel = ('<Relationship Id="rIdImg" Type="http://schemas.openxmlformats.org/officeDocument/'
           '2006/relationships/image" Target="media/image1.png"/>')
    path = make_ooxml(tmp_path / "pic.docx", para("Text beside a lost picture"), extra_rels=rel)
    assert "Text beside a lost picture" in extract_docx(path).pages[0].text


def test_legacy_and_disguised_files(tmp_path: Path) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    legacy = tmp_path / "old.doc"
    legacy.write_bytes(ole)
    with pytest.raises(ExtractionFailed) as failed:    # an OLE header and nothing more
        extract(legacy, ExtractOptions())
    assert failed.value.kind == CORRUPT and "container is damaged" in failed.value.reason
    misnamed = make_doc(tmp_path / "old.docx", DocText("Binary Word under a new name.\r"))
    assert extract(misnamed, ExtractOptions()).pages[0].text == "Binary Word under a new name.\n"
    with pytest.raises(ExtractionFailed, match="legacy binary Word file"):
        extract_docx(misnamed)                           # the package reader alone refuses it
    encrypted = tmp_path / "locked.docx"
    encrypted.write_bytes(ole + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100)
    with pytest.raises(ExtractionFailed) as failed:
        extract_docx(encrypted)
    assert failed.value.kind == PASSWORD
    really_docx = tmp_path / "new.doc"                       # a .docx saved as .doc
    make_ooxml(really_docx, para("modern content"))
    assert "modern content" in extract(really_docx, ExtractOptions()).pages[0].text
    html_doc = tmp_path / "web.doc"                          # Word's "HTML .doc"
    html_doc.write_text("<html><body><p>web content</p></body></html>", encoding="utf-8")
    assert "web content" in extract(html_doc, ExtractOptions()).pages[0].text


def test_zip_bomb_and_garbage_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(64):                            # 64 MB of zeros, ~64 KB packed
                member.write(chunk)
    assert bomb.stat().st_size < 5_000_000
    with pytest.raises(ExtractionFailed) as failed:
        extract_docx(bomb)
    assert failed.value.kind == TOO_LARGE and "zip bomb" in failed.value.reason
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ExtractionFailed) as failed:
        extract_docx(junk)
    assert failed.value.kind == CORRUPT
    other = tmp_path / "sheet.docx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("xl/workbook.xml", f"<workbook {W}/>")
    with pytest.raises(ExtractionFailed, match="no document part"):
        extract_docx(other)
