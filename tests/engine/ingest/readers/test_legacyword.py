"""Word 97–2003 binary files: text from the piece table in both encodings, fields, deleted
text, tables, headings and notes; paragraph-range locations a citation verifies against;
specific reasons for what cannot be read; the corpus's real .doc files."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from engine.ingest.model import (
    CORRUPT,
    EMPTY,
    PASSWORD,
    UNSUPPORTED,
    ExtractionFailed,
    ExtractOptions,
    ReadRequest,
)
from engine.ingest.options import IngestOptions
from engine.ingest.pipeline import ingest
from engine.ingest.readers.legacyword import read_legacy_word
from engine.rlm.citations import format_marker
from engine.rlm.verify import PageIndex, check_citations
from engine.store.contexts import prepare_context
from engine.store.library import Library
from tests.engine.ingest.docmaker import (
    SPRM_IN_TABLE,
    SPRM_ROW_END,
    DocText,
    _sprm,
    make_doc,
    write_ole,
)
from tests.engine.ingest.makers import CORPUS

POI = CORPUS / "word" / "apache-poi"
REQUEST = ReadRequest(ExtractOptions())


def contract() -> DocText:
    body = ("Supply Agreement\r"
            "The supplier delivers \x13 MERGEFIELD goods \\* MERGEFORMAT \x14the goods\x15 on "
            "time. Old words removed.\r"
            "Party\x07Role\x07\x07ACME\x07Supplier\x07\x07"
            "Price in € (Ελληνικά) per unit.\r")
    marks = {body.index("\r"): (1, b"")}
    for i, char in enumerate(body):
        if char == "\x07":
            row_end = body[i - 1] == "\x07"
            marks[i] = (0, _sprm(SPRM_IN_TABLE) + (_sprm(SPRM_ROW_END) if row_end else b""))
    deleted = body.index(" Old words removed.")
    return DocText(body, footnotes="Delivery means handing over.",
                   unicode_from=body.index("Price"), marks=marks,
                   deleted=[(deleted, deleted + len(" Old words removed."))])


def test_text_fields_deleted_text_tables_headings_and_notes(tmp_path: Path) -> None:
    doc = read_legacy_word(make_doc(tmp_path / "supply.doc", contract()), REQUEST)
    assert doc.type == "doc" and [p.label for p in doc.pages] == ["¶1–¶4"]
    assert doc.pages[0].text == (
        "# Supply Agreement\n\n"
        "The supplier delivers the goods on time.\n\n"     # field result, not its code
        "Party | Role\nACME | Supplier\n\n"
        "Price in € (Ελληνικά) per unit.\n\n"              # a UTF-16 piece after a cp1252 one
        "[Footnote: Delivery means handing over.]\n")


def test_long_documents_are_paragraph_ranges(tmp_path: Path) -> None:
    body = "".join(f"Clause {i}. " + "The parties agree. " * 30 + "\r" for i in range(1, 41))
    doc = read_legacy_word(make_doc(tmp_path / "long.doc", DocText(body)), REQUEST)
    assert len(doc.pages) > 5
    labels = [p.label or "" for p in doc.pages]
    assert labels[0].startswith("¶1–¶") and labels[-1].endswith("¶40")
    second = int(labels[1].split("–")[0].lstrip("¶"))
    assert doc.pages[1].text.startswith(f"Clause {second}. ")


def test_a_quote_from_an_ingested_doc_verifies(tmp_path: Path) -> None:
    path = make_doc(tmp_path / "supply.doc", contract())
    with Library(tmp_path / "lib.db") as library:
        report = ingest([path], IngestOptions(ocr="off"), library=library)
        (record,) = report.ingested
        cached = prepare_context(library, library.documents(ids=[record.id]), tmp_path / "c")
        index = PageIndex.from_files(cached.context_path, cached.documents)
    good = format_marker(record.id, 1, "The supplier delivers the goods on time")
    made_up = format_marker(record.id, 1, "The buyer pays within ninety days")
    first, second = check_citations(f"Yes {good}. And {made_up}.", index)
    assert first.to_json()["status"] == "verified" and first.page_label == "¶1–¶4"
    assert second.to_json()["status"] == "not_found"


def test_encrypted_and_empty_documents_say_so(tmp_path: Path) -> None:
    locked = DocText("Secret terms.\r", encrypted=True)
    with pytest.raises(ExtractionFailed) as failed:
        read_legacy_word(make_doc(tmp_path / "locked.doc", locked), REQUEST)
    assert failed.value.kind == PASSWORD and "password" in failed.value.reason
    with pytest.raises(ExtractionFailed) as failed:
        read_legacy_word(make_doc(tmp_path / "blank.doc", DocText("\r")), REQUEST)
    assert failed.value.kind == EMPTY
    with pytest.raises(ExtractionFailed) as failed:
        read_legacy_word(make_doc(tmp_path / "pic.doc", DocText("\x01\r")), REQUEST)
    assert failed.value.kind == EMPTY and "pictures" in failed.value.reason


def test_other_files_under_a_doc_name(tmp_path: Path) -> None:
    sheet = write_ole(tmp_path / "sheet.doc", {"Workbook": b"\x09\x08" * 100})
    with pytest.raises(ExtractionFailed) as failed:
        read_legacy_word(sheet, REQUEST)
    assert failed.value.kind == UNSUPPORTED and "Excel workbook" in failed.value.reason
    (tmp_path / "notes.doc").write_bytes(b"just some words, not Word")
    with pytest.raises(ExtractionFailed) as failed:
        read_legacy_word(tmp_path / "notes.doc", REQUEST)
    assert failed.value.kind == UNSUPPORTED
    (tmp_path / "letter.doc").write_bytes(rb"{\rtf1\ansi Dear Sir,\par Regards\par}")
    assert "Dear Sir," in read_legacy_word(tmp_path / "letter.doc", REQUEST).pages[0].text


@pytest.mark.parametrize("damage", ["piece table", "header", "container"])
def test_damaged_files_fail_with_a_reason(tmp_path: Path, damage: str) -> None:
    path = make_doc(tmp_path / "d.doc", DocText("Some text here.\r"))
    data = bytearray(path.read_bytes())
    if damage == "container":
        data[48:52] = b"\xff\xff\xff\x7f"         # the directory's first sector: far away
    else:
        word = data.find(b"\xec\xa5\xc1\x00")
        if damage == "header":
            data[word:word + 2] = b"\x00\x00"
        else:                                    # the CLX's pieces point past the stream
            table = data.find(b"\x02", word + 0x1000)
            data[table + 13:table + 17] = b"\xff\xff\xff\x3f"
    path.write_bytes(bytes(data))
    with pytest.raises(ExtractionFailed) as failed:
        read_legacy_word(path, REQUEST)
    assert failed.value.kind == CORRUPT and len(failed.value.reason) > 30


@pytest.mark.skipif(not POI.is_dir(), reason=f"no corpus at {CORPUS}")
def test_the_corpus_doc_files_come_in_or_fail_with_a_specific_reason() -> None:
    read, failed = 0, collections.Counter()
    for path in sorted(POI.glob("*.doc")):
        try:
            doc = read_legacy_word(path, REQUEST)
        except ExtractionFailed as exc:
            failed[exc.kind] += 1
            assert exc.kind in {PASSWORD, EMPTY, CORRUPT, UNSUPPORTED} and len(exc.reason) > 25
            continue
        assert doc.chars > 0 and all(p.label for p in doc.pages)
        read += 1
    assert read >= 134 and failed[PASSWORD] == 3, (read, failed)
    assert read_legacy_word(POI / "HeaderFooterUnicode.doc", REQUEST).author == "Nick Burch"
    simple = read_legacy_word(POI / "simple-table.doc", REQUEST).pages[0].text
    assert "Cell 1,1 | Cell 1,2 | Cell 1,3\nCell 2,1 | Cell 2,2 | Cell 2,3" in simple
    fields = read_legacy_word(POI / "test-fields.doc", REQUEST).pages[0].text
    assert "[Footnote: Footnote with field: Fridrich Strba]" in fields and "\x13" not in fields


def test_crafted_files_cost_only_themselves_in_the_pool(tmp_path: Path) -> None:
    """Through ``rlm ingest``'s worker pool: each bad file is reported with its reason, the
    good ones come in."""
    folder = tmp_path / "room"
    folder.mkdir()
    make_doc(folder / "good.doc", DocText("The term is five years.\r"))
    make_doc(folder / "locked.doc", DocText("Secret.\r", encrypted=True))
    (folder / "deep.rtf").write_bytes(b"{\\rtf1 " + b"{" * 100_000 + b"}" * 100_000 + b"}")
    (folder / "fine.rtf").write_bytes(rb"{\rtf1 Notice is given.\par}")
    (folder / "bin.rtf").write_bytes(rb"{\rtf1 Tail.\par{\pict\bin4294967295 xx}}")
    (folder / "odd.odt").write_bytes(b"PK\x03\x04 not really a zip")
    with Library(tmp_path / "lib.db") as library:
        report = ingest([folder], IngestOptions(ocr="off", workers=2), library=library)
    read = {Path(d.path).name for d in report.ingested}
    failed = {Path(f.path).name: f for f in report.failed}
    assert read == {"good.doc", "fine.rtf", "bin.rtf"}
    assert {name: f.kind for name, f in failed.items()} == {
        "locked.doc": PASSWORD, "deep.rtf": CORRUPT, "odd.odt": CORRUPT}
    assert "nested" in failed["deep.rtf"].reason and "password" in failed["locked.doc"].reason
