"""Keep PDF table rows readable: cells that share a line on the page are joined with " | ".

MuPDF's plain text puts every table cell on its own line, so a row of a rent
schedule reads as a column of loose numbers. On pages whose text looks
tabular (many short lines), the page is read again with positions and lines
that sit side by side are joined: ``Term | 5 years | Rent | $12,000``.
Prose pages, the bulk of most documents, never pay for the second pass.
"""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter
from typing import Any

# A page is worth the positional pass when this many of its lines are this short.
SHORT_LINE = 30
MIN_SHORT_LINES = 8
MIN_SHORT_SHARE = 0.4
# Two lines are in one row when they overlap this much vertically...
ROW_OVERLAP = 0.5
# ...and a gap wider than this many line heights means separate cells, not one phrase.
CELL_GAP = 0.8


def looks_tabular(text: str) -> bool:
    """Cheap test on plain text: are there enough short lines to hold a table?"""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < MIN_SHORT_LINES:
        return False
    short = sum(1 for line in lines if len(line.strip()) <= SHORT_LINE)
    return short >= MIN_SHORT_LINES and short / len(lines) >= MIN_SHORT_SHARE


Line = tuple[int, str, float, float, float, float]   # block, text, x0, y0, x1, y1


def lines_from_words(words: list[tuple[Any, ...]]) -> list[Line]:
    """MuPDF's words (x0, y0, x1, y1, text, block, line, word) grouped back into lines.

    Words are about half the cost of MuPDF's full dictionary output, and all we need.
    """
    lines: list[Line] = []
    for (block, _), group in groupby(words, key=itemgetter(5, 6)):
        items = list(group)
        x0, y0, x1, y1 = items[0][:4]
        texts = []
        for word in items:   # one pass, no min()/max() over generators: tables are word-heavy
            texts.append(word[4])
            if word[0] < x0:
                x0 = word[0]
            if word[1] < y0:
                y0 = word[1]
            if word[2] > x1:
                x1 = word[2]
            if word[3] > y1:
                y1 = word[3]
        lines.append((block, " ".join(texts), x0, y0, x1, y1))
    return lines


def join_table_rows(lines: list[Line]) -> str:
    """The page's text with side-by-side lines joined into rows; blocks keep their order.

    Lines are joined only when they follow each other in the reading order,
    overlap vertically and the second starts right of the first, so two
    columns of prose (one block each) are never zipped together.
    """
    out: list[str] = []
    row: list[Any] | None = None   # [text, x0, y0, x1, y1]
    sizes: dict[int, int] = {}
    for line in lines:
        sizes[line[0]] = sizes.get(line[0], 0) + 1
    previous_block = None
    for block, text, x0, y0, x1, y1 in lines:
        same_block = block == previous_block
        # Across blocks, only join one-line blocks (cells), never paragraphs.
        joinable = row is not None and (same_block or (
            sizes[block] == 1 and previous_block is not None and sizes[previous_block] == 1))
        previous_block = block
        if joinable and row is not None and _same_row(row, x0, y0, y1):
            height = max(1.0, min(y1 - y0, row[4] - row[2]))
            row[0] += (" | " if x0 - row[3] > CELL_GAP * height else " ") + text
            row[3], row[2], row[4] = max(row[3], x1), min(row[2], y0), max(row[4], y1)
            continue
        if row is not None:
            out.append(row[0])
        row = [text, x0, y0, x1, y1]
    if row is not None:
        out.append(row[0])
    return "\n".join(out) + ("\n" if out else "")


def _same_row(row: list[Any], x0: float, y0: float, y1: float) -> bool:
    overlap = min(row[4], y1) - max(row[2], y0)
    smaller = max(1e-6, min(row[4] - row[2], y1 - y0))
    return overlap / smaller >= ROW_OVERLAP and x0 >= row[3] - 1.0
