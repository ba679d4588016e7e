"""E-mail: headers at the top, HTML bodies as text, attachments as documents of their own
(read recursively to a depth limit), mailboxes as one document per message, Outlook .msg."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.ingest.model import CORRUPT, EMPTY, ExtractionFailed, ExtractOptions, ReadRequest
from engine.ingest.readers.mail import mbox_messages, read_email
from engine.ingest.readers.mailparts import MAX_DEPTH, unique_names
from tests.engine.ingest.makers import make_pdf
from tests.engine.ingest.officemakers import (
    make_eml,
    make_mbox,
    make_message,
    make_msg,
    make_xlsx,
)

REQUEST = ReadRequest(ExtractOptions(ocr="off"))


def test_headers_head_the_text_and_attachments_are_documents(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "c.pdf", ["The indemnity cap is ten million euros."]).read_bytes()
    sheet = make_xlsx(tmp_path / "s.xlsx", {"Fees": [["Item", "Fee"], ["Audit", 900]]})
    inner = make_message("Re: escrow", "The escrow closes on Friday.")
    message = make_message("Deal terms", "Please see the contract.",
                           attachments=[("contract.pdf", pdf),
                                        ("fees.xlsx", sheet.read_bytes()),
                                        ("archive.zip", b"PK")], messages=[inner])
    doc = read_email(make_eml(tmp_path / "m.eml", message), REQUEST)
    assert doc.type == "email"
    assert doc.title == "Deal terms"
    assert doc.pages[0].text == (
        "From: Alice Lawyer <alice@firm.example>\nTo: Bob Client <bob@client.example>\n"
        "Cc: Carol <carol@firm.example>\nDate: Tue, 03 Nov 2026 09:30:00 +0100\n"
        "Subject: Deal terms\nAttachments: contract.pdf, fees.xlsx, archive.zip, "
        "Re: escrow.eml\n\nPlease see the contract.\n")
    assert [(p.name, p.extracted.type) for p in doc.parts] == \
        [("contract.pdf", "pdf"), ("fees.xlsx", "spreadsheet"), ("Re: escrow.eml", "email")]
    assert "ten million euros" in doc.parts[0].extracted.pages[0].text
    assert "Audit | 900" in doc.parts[1].extracted.pages[0].text
    assert "The escrow closes on Friday." in doc.parts[2].extracted.pages[0].text
    assert doc.warnings == ["attachment 'archive.zip' was not read: unsupported file type .zip"]


def test_the_same_attachment_twice_is_one_content_under_two_names(tmp_path: Path) -> None:
    message = make_message("Twice", "body", attachments=[("a.txt", b"same words"),
                                                          ("a.txt", b"same words")])
    doc = read_email(make_eml(tmp_path / "m.eml", message), REQUEST)
    assert [p.name for p in doc.parts] == ["a.txt", "a (2).txt"]
    assert doc.parts[0].content_hash == doc.parts[1].content_hash
    assert unique_names(["x#y/z.pdf", "", "X#Y/Z.pdf"]) == \
        ["x_y_z.pdf", "attachment", "X_Y_Z (2).pdf"]


def test_an_html_only_body_is_read_as_text(tmp_path: Path) -> None:
    message = make_message("News", "")
    message.clear_content()
    message.set_content("<html><body><p>Board <b>approved</b> the sale.</p>"
                        "<script>x()</script></body></html>", subtype="html")
    doc = read_email(make_eml(tmp_path / "h.eml", message), REQUEST)
    assert doc.pages[0].text.endswith("\n\nBoard approved the sale.\n")


def test_messages_nested_past_the_limit_are_left_with_a_warning(tmp_path: Path) -> None:
    message = make_message("level 0", "bottom")
    for level in range(1, MAX_DEPTH + 3):
        message = make_message(f"level {level}", f"body {level}", messages=[message])
    doc = read_email(make_eml(tmp_path / "deep.eml", message), REQUEST)
    assert len(doc.parts) == MAX_DEPTH
    assert doc.parts[-1].name.count("#") == MAX_DEPTH - 1
    assert any(f"nested deeper than {MAX_DEPTH} levels" in w for w in doc.warnings)


def test_a_mailbox_is_an_index_and_one_document_per_message(tmp_path: Path) -> None:
    box = make_mbox(tmp_path / "box.mbox", [
        make_message("First", "Body one\nFrom the start of a line"),
        make_message("Second", "Body two", attachments=[("note.txt", b"attached words")]),
    ])
    assert len(list(mbox_messages(box))) == 2
    doc = read_email(box, REQUEST)
    assert doc.type == "mailbox"
    assert doc.pages[0].text.startswith("Mailbox of 2 messages\nmessage 1: From: Alice")
    assert [p.name for p in doc.parts] == ["message 1", "message 2", "message 2#note.txt"]
    assert "\nFrom the start of a line" in doc.parts[0].extracted.pages[0].text
    assert doc.parts[2].extracted.pages[0].text == "attached words"


def test_an_outlook_message_with_an_attachment_and_a_forwarded_message(tmp_path: Path) -> None:
    path = make_msg(tmp_path / "m.msg", "Outlook subject", "Outlook body text",
                    attachments=[("terms.txt", b"Payment within 30 days.")],
                    inner=("Fwd: offer", "The offer stands until June."))
    doc = read_email(path, REQUEST)
    assert doc.pages[0].text == (
        "From: Alice Lawyer <alice@firm.example>\nTo: Bob Client\nCc: Carol\n"
        "Date: Tue, 03 Nov 2026 08:30:00 +0000\nSubject: Outlook subject\n"
        "Attachments: terms.txt, Fwd: offer.msg\n\nOutlook body text\n")
    assert [p.name for p in doc.parts] == ["terms.txt", "Fwd: offer.msg"]
    assert doc.parts[0].extracted.pages[0].text == "Payment within 30 days."
    assert "The offer stands until June." in doc.parts[1].extracted.pages[0].text


@pytest.mark.parametrize(("name", "data", "kind"), [
    ("empty.eml", b"", EMPTY), ("noise.eml", b"just some words\n", CORRUPT),
    ("plain.msg", b"not an OLE file", CORRUPT), ("empty.mbox", b"\n\n", CORRUPT)])
def test_files_that_are_not_mail(tmp_path: Path, name: str, data: bytes, kind: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ExtractionFailed) as failed:
        read_email(path, REQUEST)
    assert failed.value.kind == kind


def test_encoded_headers_names_and_charsets_are_decoded(tmp_path: Path) -> None:
    message = make_message("Vertrag – Übergabe", "Grüße aus Köln",
                           sender="Jürgen Müller <j@firm.example>",
                           attachments=[("Übersicht.txt", "Größe".encode())])
    raw = bytes(message)
    assert b"=?utf-8?" in raw and "Übergabe".encode() not in raw.split(b"\n\n")[0]
    doc = read_email(make_eml(tmp_path / "de.eml", message), REQUEST)
    text = doc.pages[0].text
    assert "From: Jürgen Müller <j@firm.example>" in text
    assert "Subject: Vertrag – Übergabe" in text and "Grüße aus Köln" in text
    assert [p.name for p in doc.parts] == ["Übersicht.txt"]


POI = Path(__file__).parent / "data" / "poi"


def test_real_outlook_messages_from_apache_poi() -> None:
    quick = read_email(POI / "quick.msg", REQUEST)
    assert quick.pages[0].text == (
        "From: Kevin Roast\nTo: Kevin Roast\nDate: Thu, 14 Jun 2007 09:42:53 +0000\n"
        "Subject: Test the content transformer\n\nThe quick brown fox jumps over the lazy "
        "dog\n")
    both = read_email(POI / "attachment_msg_pdf.msg", REQUEST)
    assert [(p.name, p.extracted.type) for p in both.parts] == \
        [("Test Attachment.msg", "email"), ("smbprn.00009008.KdcPjl.pdf", "pdf")]
    assert "Subject: Test Attachment\n\nBlah blah blah" in both.parts[0].extracted.pages[0].text
    assert "Blah blah blah" in both.parts[1].extracted.pages[0].text
    # 8-bit strings in the message's code page (1251, 950), not as Windows-1252.
    cyrillic = read_email(POI / "ASCII_CP1251_LCID1049.msg", REQUEST).pages[0].text
    assert "Subject: Subject автоматически Subject" in cyrillic
    chinese = read_email(POI / "chinese-traditional.msg", REQUEST).pages[0].text
    assert "Subject: Alfresco MSG format testing ( MSG 格式測試 )" in chinese
    assert read_email(POI / "simple_test_msg.msg", REQUEST).title == "test message"
