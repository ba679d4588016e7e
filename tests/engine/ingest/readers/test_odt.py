"""OpenDocument text: headings, lists, tables, notes, comments and metadata as located text;
tracked deletions left out; entities, zip bombs, encryption and other ODF kinds refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from engine.ingest.model import (
    CORRUPT,
    EMPTY,
    PASSWORD,
    TOO_LARGE,
    UNSUPPORTED,
    ExtractionFailed,
    ExtractOptions,
    ReadRequest,
)
from engine.ingest.readers.odt import read_odt

REQUEST = ReadRequest(ExtractOptions())
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:dc="http://purl.org/dc/elements/1.1/" '
      'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"')
TEXT_MIME = "application/vnd.oasis.opendocument.text"


def make_odt(path: Path, body: str, *, mimetype: str = TEXT_MIME, prolog: str = "",
             manifest: str = "", extra: dict[str, bytes] | None = None) -> Path:
    content = (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<office:document-content {NS}>'
               f"<office:body><office:text>{body}</office:text></office:body>"
               "</office:document-content>")
    meta = (f'<office:document-meta {NS}><office:meta><dc:title>Lease of Unit 4</dc:title>'
            "<meta:initial-creator>Jane Roe</meta:initial-creator></office:meta>"
            "</office:document-meta>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("meta.xml", meta)
        archive.writestr("META-INF/manifest.xml", f"<manifest>{manifest}</manifest>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


LEASE = (
    '<text:h text:outline-level="1">Lease</text:h>'
    '<text:h text:outline-level="2">Rent</text:h>'
    "<text:p>The rent is <text:span>£1,200</text:span>,<text:s text:c=\"2\"/>due monthly"
    '<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation>'
    "<text:note-body><text:p>In advance.</text:p></text:note-body></text:note>."
    "<office:annotation><dc:creator>Bob</dc:creator><text:p>Check this</text:p>"
    "</office:annotation></text:p>"
    "<text:tracked-changes><text:changed-region><text:deletion><text:p>Removed clause"
    "</text:p></text:deletion></text:changed-region></text:tracked-changes>"
    "<text:list><text:list-item><text:p>Keys</text:p></text:list-item>"
    "<text:list-item><text:p>Parking</text:p><text:list><text:list-item><text:p>Bay 4</text:p>"
    "</text:list-item></text:list></text:list-item></text:list>"
    "<table:table><table:table-column/><table:table-header-rows><table:table-row>"
    "<table:table-cell><text:p>Party</text:p></table:table-cell>"
    "<table:table-cell><text:p>Role</text:p></table:table-cell></table:table-row>"
    "</table:table-header-rows><table:table-row><table:table-cell><text:p>ACME</text:p>"
    "</table:table-cell><table:table-cell><text:p>Landlord</text:p></table:table-cell>"
    '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>'
    '<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
    "</table:table>"
    "<text:section><text:p>Signed.</text:p></text:section>")


def test_structure_becomes_located_text(tmp_path: Path) -> None:
    doc = read_odt(make_odt(tmp_path / "lease.odt", LEASE), REQUEST)
    assert (doc.type, doc.title, doc.author) == ("odt", "Lease of Unit 4", "Jane Roe")
    assert [p.label for p in doc.pages] == ["¶1–¶8"]
    assert doc.pages[0].text == (
        "# Lease\n\n## Rent\n\n"
        "The rent is £1,200,  due monthly [Note 1: In advance.]. [Comment by Bob: Check this]"
        "\n\n- Keys\n\n- Parking\n\n- Bay 4\n\n"
        "Party | Role\nACME | Landlord\n\nSigned.\n")


def test_long_documents_are_paragraph_ranges(tmp_path: Path) -> None:
    body = "".join(f"<text:p>Clause {i}. {'The parties agree. ' * 30}</text:p>"
                   for i in range(1, 41))
    doc = read_odt(make_odt(tmp_path / "long.odt", body), REQUEST)
    labels = [p.label or "" for p in doc.pages]
    assert len(labels) > 5 and labels[0].startswith("¶1–¶") and labels[-1].endswith("¶40")


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    prolog = ('<!DOCTYPE x [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
              '<!ENTITY secret SYSTEM "file:///etc/passwd">]>')
    path = make_odt(tmp_path / "e.odt", "<text:p>Start &b; &secret; end</text:p>", prolog=prolog)
    try:
        text = read_odt(path, REQUEST).pages[0].text
    except ExtractionFailed as exc:
        assert exc.kind in (CORRUPT, EMPTY)
    else:
        assert "root:" not in text and "AAAAAAAAAA" not in text


def test_refusals_with_reasons(tmp_path: Path) -> None:
    cases = {
        "sheet.odt": (make_odt(tmp_path / "sheet.odt", "",
                               mimetype="application/vnd.oasis.opendocument.spreadsheet"),
                      UNSUPPORTED),
        "locked.odt": (make_odt(tmp_path / "locked.odt", "<text:p>x</text:p>",
                                manifest="<manifest:encryption-data/>"), PASSWORD),
        "blank.odt": (make_odt(tmp_path / "blank.odt", "<text:p> </text:p>"), EMPTY),
        "bad.odt": (make_odt(tmp_path / "bad.odt", "<text:p>unclosed"), CORRUPT),
    }
    (tmp_path / "notzip.odt").write_bytes(b"plain words")
    cases["notzip.odt"] = (tmp_path / "notzip.odt", CORRUPT)
    bomb = tmp_path / "bomb.odt"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", TEXT_MIME)
        with archive.open("content.xml", "w", force_zip64=True) as part:
            chunk = b" " * (1 << 20)
            for _ in range(60):   # 60 MB of spaces: over the ratio limit
                part.write(chunk)
    cases["bomb.odt"] = (bomb, TOO_LARGE)
    for name, (path, kind) in cases.items():
        with pytest.raises(ExtractionFailed) as failed:
            read_odt(path, REQUEST)
        assert failed.value.kind == kind, name
        assert len(failed.value.reason) > 20, name
