"""An export as PDF (PyMuPDF's Story), laid out on A4 pages. The page is built as a tree of
elements with every string added as a text node (``add_text``), never parsed as HTML: MuPDF's
HTML reader decodes entities twice, so even ``html.escape``d markup would come back as "<" and
"&" in the text, and the tree has no way in for a tag at all. The Story gets no archive, so it
can load no file, image or font from outside."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pymupdf

from engine.export.atomic import write_atomically
from engine.export.document import ExportDocument

PAGE = pymupdf.paper_rect("a4")
MARGIN = 56
CSS = """
body { font-family: sans-serif; font-size: 10pt; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; } h3 { font-size: 11pt; } h4 { font-size: 10pt; }
pre, code { font-family: monospace; font-size: 8pt; white-space: pre-wrap; }
"""
CODE_WIDTH = 90                 # characters of 8 pt monospace in the text width of A4
_UNBROKEN = re.compile(rf"\S{{{CODE_WIDTH}}}(?=\S)")


def _para(parent: Any, text: str) -> Any:
    paragraph = parent.add_paragraph()
    paragraph.add_text(text)
    return paragraph


def _span(parent: Any, text: str, *, bold: bool = False, italic: bool = False) -> None:
    # Each piece of a mixed line in a span of its own: text added to the paragraph after a
    # span would land in that span, and take its style.
    span = parent.add_span()
    if bold:
        span.set_bold(True)
    if italic:
        span.set_italic(True)
    span.add_text(text)


def _pre(parent: Any, text: str) -> None:
    # Long lines wrap at spaces (pre-wrap); a run with no space is broken every CODE_WIDTH.
    text = _UNBROKEN.sub(lambda match: match.group(0) + "\n", text.rstrip("\n"))
    parent.add_codeblock().add_text(text or " ")


def _bullets(parent: Any, lines: list[str]) -> None:
    items = parent.add_bullet_list()
    for line in lines:
        items.add_list_item().add_text(line)


def build(doc: ExportDocument) -> pymupdf.Story:
    story = pymupdf.Story(user_css=CSS)
    body = story.body
    body.add_header(1).add_text(doc.title)
    body.add_header(2).add_text("Question")
    _para(body, doc.question)
    body.add_header(2).add_text(doc.answer_label)
    _para(body, doc.answer or "(no answer)")
    if doc.sources:
        body.add_header(2).add_text("Sources")
        for source in doc.sources:
            paragraph = body.add_paragraph()
            _span(paragraph, f"[{source.n}] ", bold=True)
            _span(paragraph, source.place)
            if source.quote:
                _span(paragraph, ": ")
                _span(paragraph, f"“{source.quote}”", italic=True)
            if source.status:
                _span(paragraph, f" — {source.status}")
    body.add_header(2).add_text("Details")
    facts = body.add_bullet_list()
    for label, value in doc.facts:
        item = facts.add_list_item()
        _span(item, f"{label}: ", bold=True)
        _span(item, value)
    appendix = doc.appendix
    if appendix is not None:
        body.add_header(2).add_text("Audit appendix")
        body.add_header(3).add_text("Safe workspace")
        _bullets(body, appendix.sandbox or ["not recorded"])
        body.add_header(3).add_text("Timings")
        _bullets(body, appendix.timings)
        body.add_header(3).add_text("Code cells")
        if not appendix.cells:
            _para(body, "None.")
        for cell in appendix.cells:
            body.add_header(4).add_text(cell.title)
            _pre(body, cell.code)
            if cell.output.strip():
                _para(body, "Output:")
                _pre(body, cell.output)
            if cell.error:
                _para(body, "Error:")
                _pre(body, cell.error)
        body.add_header(3).add_text("Helper questions")
        if not appendix.helpers:
            _para(body, "None.")
        for helper in appendix.helpers:
            body.add_header(4).add_text(helper.title)
            _para(body, "Question:")
            _pre(body, helper.prompt)
            _para(body, "Answer:")
            _pre(body, helper.answer)
        if appendix.notices:
            body.add_header(3).add_text("Notices")
            _bullets(body, appendix.notices)
    return story


def _write_pdf(doc: ExportDocument, path: Path) -> None:
    story = build(doc)
    writer = pymupdf.DocumentWriter(str(path))
    where = pymupdf.Rect(PAGE.x0 + MARGIN, PAGE.y0 + MARGIN, PAGE.x1 - MARGIN, PAGE.y1 - MARGIN)
    more = True
    while more:
        device = writer.begin_page(PAGE)
        more, _ = story.place(where)
        story.draw(device)
        writer.end_page()
    writer.close()
    # Title and author in the file's metadata, set on the finished file.
    with pymupdf.open(str(path)) as pdf:
        pdf.set_metadata({"title": doc.title, "subject": doc.question[:255],
                          "creator": "RLM Desktop"})
        pdf.saveIncr()


def write(doc: ExportDocument, path: Path) -> None:
    write_atomically(path, lambda temporary: _write_pdf(doc, temporary))
