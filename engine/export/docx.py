"""An export as a Word document (python-docx). Every string is set as run text, never as
markup or a field: an answer's tags, links or image syntax stay the words they are."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.document import Document as WordDocument
from docx.shared import Pt

from engine.export.atomic import write_atomically
from engine.export.document import ExportDocument

CODE_FONT = "Courier New"


def _code(document: WordDocument, text: str) -> None:
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text.rstrip("\n"))
    run.font.name = CODE_FONT
    run.font.size = Pt(8)


def _labelled(document: WordDocument, label: str, value: str,
              style: str | None = None) -> None:
    paragraph = document.add_paragraph(style=style)
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(value)


def build(doc: ExportDocument) -> WordDocument:
    document = docx.Document()
    document.core_properties.title = doc.title
    document.core_properties.subject = doc.question[:255]
    document.add_heading(doc.title, level=0)
    document.add_heading("Question", level=1)
    document.add_paragraph(doc.question)
    document.add_heading(doc.answer_label, level=1)
    document.add_paragraph(doc.answer or "(no answer)")
    if doc.sources:
        document.add_heading("Sources", level=1)
        for source in doc.sources:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"[{source.n}] ").bold = True
            paragraph.add_run(source.place)
            if source.quote:
                paragraph.add_run(": ")
                paragraph.add_run(f"“{source.quote}”").italic = True
            if source.status:
                paragraph.add_run(f" — {source.status}")
    document.add_heading("Details", level=1)
    for label, value in doc.facts:
        _labelled(document, label, value, "List Bullet")
    appendix = doc.appendix
    if appendix is not None:
        document.add_page_break()
        document.add_heading("Audit appendix", level=1)
        document.add_heading("Safe workspace", level=2)
        for line in appendix.sandbox or ["not recorded"]:
            document.add_paragraph(line, style="List Bullet")
        document.add_heading("Timings", level=2)
        for line in appendix.timings:
            document.add_paragraph(line, style="List Bullet")
        document.add_heading("Code cells", level=2)
        if not appendix.cells:
            document.add_paragraph("None.")
        for cell in appendix.cells:
            document.add_heading(cell.title, level=3)
            _code(document, cell.code)
            if cell.output.strip():
                document.add_paragraph("Output:")
                _code(document, cell.output)
            if cell.error:
                document.add_paragraph("Error:")
                _code(document, cell.error)
        document.add_heading("Helper questions", level=2)
        if not appendix.helpers:
            document.add_paragraph("None.")
        for helper in appendix.helpers:
            document.add_heading(helper.title, level=3)
            document.add_paragraph("Question:")
            _code(document, helper.prompt)
            document.add_paragraph("Answer:")
            _code(document, helper.answer)
        if appendix.notices:
            document.add_heading("Notices", level=2)
            for line in appendix.notices:
                document.add_paragraph(line, style="List Bullet")
    return document


def write(doc: ExportDocument, path: Path) -> None:
    document = build(doc)
    write_atomically(path, lambda temporary: document.save(str(temporary)))
