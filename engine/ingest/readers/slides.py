"""PowerPoint presentations (.pptx) with python-pptx: one page per slide, holding its title,
text frames, tables and speaker notes, so a citation points to the slide number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engine.ingest.model import (
    BLANK,
    CORRUPT,
    TEXT,
    Extracted,
    ExtractedPage,
    ExtractionFailed,
    ReadRequest,
    clean_text,
    usable_title,
)
from engine.ingest.readers.officezip import check_package

# Groups inside groups are read this deep at most (a crafted file may nest them endlessly).
MAX_GROUP_DEPTH = 20


def read_pptx(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    check_package(path, "presentation", "ppt/presentation.xml",
                  "save it as .pptx (File > Save As) without a password")
    import pptx

    try:
        presentation = pptx.Presentation(str(path))
    except MemoryError:
        raise
    except Exception as exc:
        detail = " ".join(str(exc).split())[:200]
        raise ExtractionFailed(CORRUPT, "not a readable presentation: the file is damaged"
                               + (f" ({detail})" if detail else "")) from exc
    pages: list[ExtractedPage] = []
    hidden: list[int] = []
    first_title = None
    for number, slide in enumerate(presentation.slides, start=1):
        title, text = slide_text(slide)
        first_title = first_title or title
        if slide._element.get("show") == "0":
            hidden.append(number)
            text = "(hidden slide)\n" + text if text else ""
        pages.append(ExtractedPage(number=number, text=text, label=f"slide {number}",
                                   kind=TEXT if text.strip() else BLANK))
        if request.progress is not None and number % 10 == 0:
            request.progress(number)
    warnings = []
    if hidden:
        warnings.append(f"hidden slide{'s' * (len(hidden) != 1)} read and marked as hidden: "
                        + ", ".join(map(str, hidden[:12])))
    core = presentation.core_properties
    return Extracted(type="slides", pages=pages, warnings=warnings,
                     title=usable_title(core.title) or usable_title(first_title),
                     author=usable_title(core.author))


def slide_text(slide: Any) -> tuple[str | None, str]:
    """A slide's title and its text: the title first, then each shape in the slide's order,
    then the speaker notes."""
    title_shape = slide.shapes.title
    title = _frame_text(title_shape.text_frame) if title_shape is not None else ""
    lines = [title] if title else []
    for block in _shape_texts(slide.shapes, title_shape, 0):
        lines.append(block)
    if slide.has_notes_slide:
        notes_frame = slide.notes_slide.notes_text_frame
        notes = _frame_text(notes_frame) if notes_frame is not None else ""
        if notes:
            lines.append("Notes: " + notes)
    return (title or None), clean_text("\n\n".join(lines))


def _shape_texts(shapes: Any, skip: Any, depth: int) -> Iterator[str]:
    if depth > MAX_GROUP_DEPTH:
        return
    # In the slide's own order (its z-order, which authoring tools keep as written):
    # sorting by position costs a third of the reading, in inherited placeholder lookups.
    for shape in shapes:
        if skip is not None and shape.shape_id == skip.shape_id:
            continue
        if shape.shape_type is not None and int(shape.shape_type) == 6:   # a group
            yield from _shape_texts(shape.shapes, None, depth + 1)
        elif getattr(shape, "has_table", False) and shape.has_table:
            rows = [" | ".join(" ".join(_frame_text(cell.text_frame).split())
                               for cell in row.cells) for row in shape.table.rows]
            yield "\n".join(r for r in rows if r.strip(" |"))
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            text = _frame_text(shape.text_frame)
            if text:
                yield text


def _frame_text(frame: Any) -> str:
    return "\n".join(p.text for p in frame.paragraphs if p.text.strip()).strip()
