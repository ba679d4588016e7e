"""Workbooks, presentations, pictures and e-mails (.eml, .mbox, .msg) made on the spot for
the tests of their readers."""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pymupdf

from tests.engine.ingest.cfb import Tree, write_cfb


def make_xlsx(path: Path, sheets: dict[str, list[list[Any]]], *, hidden: tuple[str, ...] = (),
              cached: dict[str, str] | None = None) -> Path:
    """A workbook with these sheets; ``cached`` gives a formula (as written) the value Excel
    would have cached for it (openpyxl writes formulas without one)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    if cached:
        _rewrite_zip(path, lambda name, data: _cache_formulas(data, cached)
                     if name.startswith("xl/worksheets/") else data)
    return path


def _cache_formulas(data: bytes, cached: dict[str, str]) -> bytes:
    text = data.decode("utf-8")
    for formula, value in cached.items():
        text = text.replace(f"<f>{formula}</f><v></v>", f"<f>{formula}</f><v>{value}</v>")
        text = text.replace(f"<f>{formula}</f><v />", f"<f>{formula}</f><v>{value}</v>")
    return text.encode("utf-8")


def _rewrite_zip(path: Path, change: Any) -> None:
    with zipfile.ZipFile(path) as source:
        items = [(info, change(info.filename, source.read(info))) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            target.writestr(info, data)


def make_pptx(path: Path, slides: list[dict[str, Any]]) -> Path:
    """Slides with a ``title``, ``text`` lines, a ``table`` (rows) and ``notes``."""
    import pptx
    from pptx.util import Inches

    deck = pptx.Presentation()
    for spec in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[5])   # title only
        slide.shapes.title.text = spec.get("title", "")
        if spec.get("text"):
            box = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1))
            box.text_frame.text = "\n".join(spec["text"])
        if spec.get("table"):
            rows = spec["table"]
            shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(1), Inches(4),
                                           Inches(6), Inches(2))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    shape.table.cell(r, c).text = value
        if spec.get("notes"):
            slide.notes_slide.notes_text_frame.text = spec["notes"]
        if spec.get("hidden"):
            slide._element.set("show", "0")
    deck.save(path)
    return path


def make_image(path: Path, texts: list[str]) -> Path:
    """A picture of each text (a .tif holds them all as pages; other types the first)."""
    pixmaps = []
    for text in texts:
        doc = pymupdf.open()
        page = doc.new_page(width=500, height=200)
        page.insert_text((30, 110), text, fontsize=28)
        pixmaps.append(page.get_pixmap(dpi=150))
        doc.close()
    if path.suffix.lower() in (".tif", ".tiff"):
        from PIL import Image

        images = [Image.frombytes("RGB", (p.width, p.height), p.samples) for p in pixmaps]
        images[0].save(path, save_all=True, append_images=images[1:])
    else:
        pixmaps[0].save(path)
    return path


def make_message(subject: str, body: str, *, html: str | None = None,
                 attachments: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
                 messages: list[EmailMessage] = (),  # type: ignore[assignment]
                 sender: str = "Alice Lawyer <alice@firm.example>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "Bob Client <bob@client.example>"
    message["Cc"] = "Carol <carol@firm.example>"
    message["Date"] = "Tue, 03 Nov 2026 09:30:00 +0100"
    message["Subject"] = subject
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream",
                               filename=name)
    for inner in messages:
        message.add_attachment(inner)
    return message


def make_eml(path: Path, message: EmailMessage) -> Path:
    path.write_bytes(bytes(message))
    return path


def make_mbox(path: Path, messages: list[EmailMessage]) -> Path:
    chunks = []
    for message in messages:
        data = bytes(message).replace(b"\nFrom ", b"\n>From ")
        chunks.append(b"From alice@firm.example Tue Nov  3 09:30:00 2026\n" + data + b"\n")
    path.write_bytes(b"".join(chunks))
    return path


def _unicode(prop: int, text: str) -> tuple[str, bytes]:
    return f"__substg1.0_{prop:04X}001F", text.encode("utf-16-le")


def _msg_tree(subject: str, body: str, sent: dt.datetime, header: int,
              attachments: list[tuple[str, bytes]], embedded: Tree | None) -> Tree:
    ticks = int((sent - dt.datetime(1601, 1, 1)).total_seconds() * 10_000_000)
    props = b"\0" * header + struct.pack("<IIQ", (0x0039 << 16) | 0x0040, 6, ticks)
    tree: Tree = dict([_unicode(0x0037, subject), _unicode(0x0C1A, "Alice Lawyer"),
                       _unicode(0x5D01, "alice@firm.example"),
                       _unicode(0x0E04, "Bob Client"), _unicode(0x0E03, "Carol"),
                       _unicode(0x1000, body)])
    tree["__properties_version1.0"] = props
    for number, (name, data) in enumerate(attachments):
        tree[f"__attach_version1.0_#{number:08X}"] = dict([
            _unicode(0x3707, name), ("__substg1.0_37010102", data),
            ("__properties_version1.0", b"\0" * 8)])
    if embedded is not None:
        tree[f"__attach_version1.0_#{len(attachments):08X}"] = {
            **dict([_unicode(0x3001, "forwarded")]),
            "__substg1.0_3701000D": embedded, "__properties_version1.0": b"\0" * 8}
    return tree


def make_msg(path: Path, subject: str, body: str, *,
             attachments: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
             inner: tuple[str, str] | None = None) -> Path:
    """An Outlook message; ``inner`` (subject, body) attaches a message to it as Outlook
    does (an embedded message storage)."""
    sent = dt.datetime(2026, 11, 3, 8, 30)
    embedded = _msg_tree(inner[0], inner[1], sent, 24, [], None) if inner else None
    path.write_bytes(write_cfb(_msg_tree(subject, body, sent, 32, list(attachments),
                                         embedded)))
    return path
