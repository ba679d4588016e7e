"""E-mail, workbooks, slides and pictures through the whole pipeline (pool, store, context)
to a verified citation on the right location; an e-mail's attachments as documents linked to
it through ingests again, changes and removals; crafted files cost only themselves."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from engine.ingest.options import IngestOptions
from engine.ingest.pipeline import ingest
from engine.rlm.citations import format_marker
from engine.rlm.verify import CitationStatus, PageIndex, check_citations
from engine.store.contexts import prepare_context
from engine.store.library import MISSING, Library
from tests.engine.ingest.makers import make_pdf
from tests.engine.ingest.officemakers import (
    make_eml,
    make_image,
    make_mbox,
    make_message,
    make_msg,
    make_pptx,
    make_xlsx,
)

OPTIONS = IngestOptions(workers=1, ocr="off")


@pytest.fixture
def library(tmp_path: Path) -> Library:
    with Library(tmp_path / "store" / "library.db") as lib:
        yield lib


def data_room(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    pdf = make_pdf(root.parent / "contract.pdf", ["Preamble", "The indemnity cap is ten "
                                                  "million euros."]).read_bytes()
    make_eml(root / "deal.eml", make_message(
        "Deal terms", "Please sign by Friday.", attachments=[("contract.pdf", pdf)]))
    make_msg(root / "outlook.msg", "Outlook note", "The board meets in March.")
    make_mbox(root / "box.mbox", [make_message("First", "Nothing yet."),
                                  make_message("Second", "The buyer accepted the price.")])
    rows: list[list[object]] = [["Party", "Fee"]] + [[f"party {i}", i] for i in range(2, 400)]
    make_xlsx(root / "fees.xlsx", {"Summary": [["Total", 42]], "Fees": rows})
    make_pptx(root / "deck.pptx", [{"title": "Overview"},
                                   {"title": "Risks", "notes": "Escrow of two years"}])
    make_image(root / "scan.png", ["STAMP"])
    return root


def test_each_format_is_cited_on_its_location(tmp_path: Path, library: Library) -> None:
    report = ingest([data_room(tmp_path / "room")], OPTIONS, library=library)
    assert report.failed == []
    by_path = {Path(r.path).relative_to(tmp_path / "room").as_posix(): r
               for r in report.selection}
    assert sorted(by_path) == ["box.mbox", "box.mbox#message 1", "box.mbox#message 2",
                               "deal.eml", "deal.eml#contract.pdf", "deck.pptx",
                               "fees.xlsx", "outlook.msg", "scan.png"]
    assert by_path["deal.eml#contract.pdf"].type == "pdf"
    assert by_path["scan.png"].status == "warning"   # OCR off: the picture has no text
    context = prepare_context(library, report.selection, tmp_path / "contexts")
    index = PageIndex.from_files(context.context_path, context.documents)
    cases = [("deal.eml", 1, "Subject: Deal terms", None),
             ("deal.eml#contract.pdf", 2, "ten million euros", None),
             ("outlook.msg", 1, "The board meets in March.", None),
             ("box.mbox#message 2", 1, "The buyer accepted the price.", None),
             ("fees.xlsx", 3, "party 250 | 250", "Fees rows 201–399"),
             ("deck.pptx", 2, "Escrow of two years", "slide 2")]
    for name, page, quote, label in cases:
        (checked,) = check_citations(format_marker(by_path[name].id, page, quote), index)
        assert (name, checked.status, checked.page, checked.page_label) == \
            (name, CitationStatus.VERIFIED, page, label)


def test_attachments_follow_their_message(tmp_path: Path, library: Library) -> None:
    room = tmp_path / "room"
    room.mkdir()
    mail = make_eml(room / "m.eml", make_message(
        "Two files", "body", attachments=[("a.txt", b"first file"), ("b.txt", b"second")]))
    first = ingest([room], OPTIONS, library=library)
    assert [Path(r.path).name for r in first.selection] == ["m.eml", "m.eml#a.txt",
                                                            "m.eml#b.txt"]
    again = ingest([room], OPTIONS, library=library)     # unchanged: parts still selected
    assert [r.id for r in again.selection] == [r.id for r in first.selection]
    assert [d.status for d in library.documents()] == ["ok"] * 3

    make_eml(mail, make_message("Two files", "body", attachments=[("a.txt", b"first file")]))
    changed = ingest([room], OPTIONS, library=library)    # b.txt is gone from the message
    assert [Path(r.path).name for r in changed.selection] == ["m.eml", "m.eml#a.txt"]
    assert sorted(Path(d.path).name for d in library.documents()) == ["m.eml", "m.eml#a.txt"]

    copy = room / "copy.eml"                              # a copy gets its own parts
    copy.write_bytes(mail.read_bytes())
    ingest([room], OPTIONS, library=library)
    assert sorted(Path(d.path).name for d in library.documents()) == \
        ["copy.eml", "copy.eml#a.txt", "m.eml", "m.eml#a.txt"]

    kept = mail.read_bytes()
    mail.unlink()
    ingest([room], OPTIONS, library=library)
    status = {Path(d.path).name: d.status for d in library.documents()}
    assert status["m.eml"] == status["m.eml#a.txt"] == MISSING
    assert status["copy.eml#a.txt"] == "ok"

    mail.write_bytes(kept)                                # back again: so are its parts
    back = ingest([room], OPTIONS, library=library)
    assert sorted(Path(r.path).name for r in back.selection) == \
        ["copy.eml", "copy.eml#a.txt", "m.eml", "m.eml#a.txt"]
    assert {d.status for d in library.documents()} == {"ok"}


def test_crafted_files_cost_only_themselves(tmp_path: Path, library: Library) -> None:
    room = tmp_path / "room"
    room.mkdir()
    bomb = make_xlsx(room / "bomb.xlsx", {"S": [["a"]]})
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet9.xml", b" " * 60_000_000)
    deep = make_message("level 0", "bottom")
    for level in range(1, 12):
        deep = make_message(f"level {level}", "up", messages=[deep])
    make_eml(room / "deep.eml", deep)
    (room / "fake.pptx").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    (room / "fine.txt").write_text("a fine file")
    report = ingest([room], OPTIONS, library=library)
    failed = {Path(f.path).name: f.reason for f in report.failed}
    assert sorted(failed) == ["bomb.xlsx", "fake.pptx"]
    assert "zip bomb" in failed["bomb.xlsx"]
    assert "not a readable presentation" in failed["fake.pptx"]
    deep_doc = next(r for r in report.selection if Path(r.path).name == "deep.eml")
    assert "nested deeper than" in (deep_doc.error or "")
    assert any(Path(r.path).name == "fine.txt" for r in report.selection)


def test_files_refused_before_their_reader_came_are_read_now(tmp_path: Path,
                                                               library: Library) -> None:
    from engine.ingest.model import UNSUPPORTED
    from engine.store.library import FileRef

    room = tmp_path / "room"
    room.mkdir()
    sheet = make_xlsx(room / "fees.xlsx", {"Fees": [["Item", "Fee"], ["Audit", 900]]})
    stat = sheet.stat()
    collection = library.collection_id("default", create=True) or 0
    library.save_failure(collection, FileRef(sheet, stat.st_size, stat.st_mtime_ns),
                         UNSUPPORTED, "unsupported file type .xlsx", doc_type="xlsx")
    report = ingest([room], OPTIONS, library=library)
    assert [(Path(r.path).name, r.type, r.status) for r in report.selection] == \
        [("fees.xlsx", "spreadsheet", "ok")]
    (room / "broken.pptx").write_bytes(b"not a zip")
    ingest([room], OPTIONS, library=library)
    again = ingest([room], OPTIONS, library=library)   # failed with today's reader: not again
    assert [(Path(f.path).name, f.unchanged) for f in again.failed] == [("broken.pptx", True)]
