"""Paragraphs and table cells (as the .doc, RTF and OpenDocument readers find them) into
numbered text blocks, and those into page-sized chunks labelled with their paragraph range
("¶12–¶30"), the way a .docx without page breaks is located."""

from __future__ import annotations

from dataclasses import dataclass

from engine.ingest.model import ExtractedPage, clean_text
from engine.ingest.readers.word import Block, _located_chunks

__all__ = ["Block", "Paragraph", "paragraph_blocks", "paragraph_pages"]


@dataclass
class Paragraph:
    """One paragraph (or table cell) as visible text, with what its properties say."""

    text: str
    heading: int = 0        # 1-9, 0 for body text
    in_table: bool = False
    cell_end: bool = False  # ended by a cell mark
    row_end: bool = False   # the row's end mark (carries no text)


def paragraph_blocks(paragraphs: list[Paragraph]) -> list[Block]:
    """Paragraph and table blocks numbered as a reader counts paragraphs."""
    blocks: list[Block] = []
    rows: list[str] = []
    cells: list[str] = []
    cell: list[str] = []
    number = 0

    def add(text: str) -> None:
        nonlocal number
        text = clean_text(text).strip("\n")
        if text.strip():
            number += 1
            blocks.append(Block(text, 1, number))

    def end_table() -> None:
        if cell or cells:
            rows.append(" | ".join([*cells, " ".join(cell)]))
            cells.clear()
            cell.clear()
        if rows:
            add("\n".join(r for r in rows if r.strip(" |")))
            rows.clear()

    for p in paragraphs:
        text = clean_text(p.text)
        text = " ".join(text.split()) if p.in_table else text.strip()
        if p.row_end:
            if cell:
                cells.append(" ".join(cell))
                cell.clear()
            rows.append(" | ".join(cells))
            cells.clear()
        elif p.cell_end:
            cell.append(text)
            cells.append(" ".join(c for c in cell if c))
            cell.clear()
        elif p.in_table:
            cell.append(text)
        else:
            end_table()
            if text:
                add("#" * p.heading + " " + text if p.heading else text)
    end_table()
    return blocks


def paragraph_pages(blocks: list[Block]) -> list[ExtractedPage]:
    """Page-sized chunks at paragraph boundaries, labelled "¶first–¶last"."""
    return _located_chunks(blocks, multi_section=False)
