"""Small documents made on the spot (PyMuPDF, python-docx, hand-written OOXML) for ingest tests."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pymupdf

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus"


def make_pdf(path: Path, pages: list[str], *, title: str | None = None,
             author: str | None = None, labels: list[dict[str, object]] | None = None,
             password: str | None = None) -> Path:
    """A PDF whose page i holds pages[i] (one line per text line)."""
    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page()
        y = 72
        for line in text.split("\n"):
            page.insert_text((72, y), line, fontsize=11)
            y += 14
    if title or author:
        doc.set_metadata({"title": title or "", "author": author or ""})
    if labels:
        doc.set_page_labels(labels)
    if password:
        doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password,
                 owner_pw=password + "-owner")
    else:
        doc.save(path)
    doc.close()
    return path


def make_table_pdf(path: Path, rows: list[list[str]]) -> Path:
    """One page with a grid of short cells, drawn row by row as a word processor would."""
    doc = pymupdf.open()
    page = doc.new_page()
    y = 100
    for row in rows:
        for column, cell in enumerate(row):
            page.insert_text((72 + 150 * column, y), cell, fontsize=10)
        y += 16
    doc.save(path)
    doc.close()
    return path


def make_scanned_pdf(path: Path, text: str = "SCANNED CONTRACT PAGE") -> Path:
    """A page that is only a picture of text (no text layer), as a scanner makes."""
    source = pymupdf.open()
    page = source.new_page(width=612, height=792)
    page.insert_text((72, 200), text, fontsize=36)
    pixmap = page.get_pixmap(dpi=200)
    source.close()
    doc = pymupdf.open()
    scan = doc.new_page(width=612, height=792)
    scan.insert_image(scan.rect, pixmap=pixmap)
    doc.save(path)
    doc.close()
    return path


def make_picture_pdf(path: Path, box: tuple[float, float, float, float],
                     dpi: int = 72) -> Path:
    """One page with no text, only a picture of text drawn in ``box`` (at ``dpi``: at 72 a
    page-sized picture stays under a million pixels, as from a low-resolution scan)."""
    source = pymupdf.open()
    page = source.new_page(width=box[2] - box[0], height=box[3] - box[1])
    page.insert_text((20, 60), "PICTURE OF A PAGE", fontsize=24)
    pixmap = page.get_pixmap(dpi=dpi)
    source.close()
    doc = pymupdf.open()
    doc.new_page(width=612, height=792).insert_image(pymupdf.Rect(box), pixmap=pixmap)
    doc.save(path)
    doc.close()
    return path


def make_stencil_shading_pdf(path: Path) -> Path:
    """One page with no text whose picture is a 1-bit stencil mask painted through with a
    colour gradient (a shading pattern), as some scanners and pdf.js's issue13372.pdf do."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    mask = doc.get_new_xref()
    doc.update_object(mask, "<< /Type /XObject /Subtype /Image /Width 64 /Height 64 "
                      "/ImageMask true /BitsPerComponent 1 >>")
    doc.update_stream(mask, bytes(8 * 64))       # every sample 0: paint everywhere
    shading = doc.get_new_xref()
    doc.update_object(shading, "<< /ShadingType 2 /ColorSpace /DeviceRGB /Coords [0 0 612 0] "
                      "/Function << /FunctionType 2 /Domain [0 1] /C0 [1 0 0] /C1 [0 0 1] "
                      "/N 1 >> >>")
    pattern = doc.get_new_xref()
    doc.update_object(pattern, f"<< /PatternType 2 /Shading {shading} 0 R >>")
    doc.xref_set_key(page.xref, "Resources",
                     f"<< /XObject << /Im1 {mask} 0 R >> /Pattern << /P0 {pattern} 0 R >> >>")
    contents = doc.get_new_xref()
    doc.update_object(contents, "<< >>")
    doc.update_stream(contents, b"q /Pattern cs /P0 scn 480 0 0 640 66 76 cm /Im1 Do Q")
    doc.xref_set_key(page.xref, "Contents", f"{contents} 0 R")
    doc.save(path)
    doc.close()
    return path


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def make_ooxml(path: Path, body: str, *, footnotes: str | None = None,
               comments: str | None = None, main_type: str = CT_MAIN,
               extra_parts: dict[str, bytes] | None = None,
               extra_rels: str = "") -> Path:
    """A hand-written Word package: ``body`` is the XML inside <w:body>."""
    overrides = [f'<Override PartName="/word/document.xml" ContentType="{main_type}"/>']
    rels = []
    files = {}
    if footnotes is not None:
        overrides.append('<Override PartName="/word/footnotes.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>')
        rels.append(f'<Relationship Id="rIdF" Type="{REL}/footnotes" Target="footnotes.xml"/>')
        files["word/footnotes.xml"] = (f'<w:footnotes xmlns:w="{W_NS}">{footnotes}'
                                       '</w:footnotes>').encode()
    if comments is not None:
        overrides.append('<Override PartName="/word/comments.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"/>')
        rels.append(f'<Relationship Id="rIdC" Type="{REL}/comments" Target="comments.xml"/>')
        files["word/comments.xml"] = (f'<w:comments xmlns:w="{W_NS}">{comments}'
                                      '</w:comments>').encode()
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/>' + "".join(overrides) + "</Types>")
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
        f'Type="{REL}/officeDocument" Target="word/document.xml"/></Relationships>')
    doc_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                'openxmlformats.org/package/2006/relationships">' + "".join(rels) + extra_rels
                + "</Relationships>")
    document = (f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}" '
                f'xmlns:r="{R_NS}"><w:body>{body}</w:body></w:document>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("word/_rels/document.xml.rels", doc_rels)
        archive.writestr("word/document.xml", document)
        for name, data in {**files, **(extra_parts or {})}.items():
            archive.writestr(name, data)
    return path


def para(text: str, *, break_before: bool = False, rendered_break: bool = False) -> str:
    """One <w:p> with one run; optionally a page break before the text."""
    brk = '<w:br w:type="page"/>' if break_before else ""
    rendered = "<w:lastRenderedPageBreak/>" if rendered_break else ""
    return f'<w:p><w:r>{brk}{rendered}<w:t xml:space="preserve">{text}</w:t></w:r></w:p>'
