"""The report's charts as PNG, drawn with PyMuPDF: per task, score against length (mean and
95% interval per method), and cost against length, with the length on a log scale."""

from __future__ import annotations

import dataclasses
import math
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from engine.bench.report import Row, tokens_label
from engine.rlm.words import printable

WIDTH, HEIGHT = 640, 400          # points; at DPI the PNG is 1280 x 800 pixels
DPI = 144
LEFT, RIGHT, TOP, BOTTOM = 64, 150, 52, 52   # margins; the legend sits in the right one
MIN_TOKENS, MAX_TOKENS = 8 << 10, 8 << 20    # the paper's range, widened if a length is out
FONT = "helv"
# Distinguishable for most readers, colour-blind included (Okabe and Ito).
COLOURS = [(0.0, 0.45, 0.70), (0.84, 0.37, 0.0), (0.0, 0.62, 0.45), (0.80, 0.47, 0.65),
           (0.94, 0.89, 0.26), (0.34, 0.71, 0.91), (0.9, 0.6, 0.0), (0.0, 0.0, 0.0)]
DASHES = [None, "[6 3] 0", "[2 2] 0", "[8 3 2 3] 0"]
LEGEND_STEP = 15
GRID = (0.88, 0.88, 0.88)
INK = (0.15, 0.15, 0.15)


@dataclass(frozen=True)
class Frame:
    """Where values land on the page: x is log2 of tokens; y linear from y_low to y_high, or
    with ``y_log`` log10 of the value from 10**y_low to 10**y_high (less is drawn at the
    bottom)."""
    x_low: float
    x_high: float
    y_low: float
    y_high: float
    y_log: bool = False

    def point(self, tokens: float, value: float) -> pymupdf.Point:
        share_x = (math.log2(tokens) - self.x_low) / (self.x_high - self.x_low)
        if self.y_log:
            value = math.log10(max(value, 10 ** self.y_low))
        share_y = (value - self.y_low) / ((self.y_high - self.y_low) or 1.0)
        return pymupdf.Point(LEFT + share_x * (WIDTH - LEFT - RIGHT),
                             HEIGHT - BOTTOM - share_y * (HEIGHT - TOP - BOTTOM))


def frame_for(lengths: list[int], y_high: float) -> Frame:
    low = min([MIN_TOKENS, *lengths])
    high = max([MAX_TOKENS, *lengths])
    return Frame(math.floor(math.log2(low)), math.ceil(math.log2(high)), 0.0, y_high)


def y_ticks(frame: Frame) -> list[float]:
    """Six even steps, or each power of ten on a log axis."""
    if frame.y_log:
        return [10.0 ** e for e in range(int(frame.y_low), int(frame.y_high) + 1)]
    return [frame.y_low + (frame.y_high - frame.y_low) * step / 5 for step in range(6)]


def dollars(value: float, step: float | None = None) -> str:
    """$0.001, $0.05, $2, $1,000: as many decimals as the value (or the step between ticks)
    needs, up to six."""
    unit = step or value
    decimals = min(6, max(0, -math.floor(math.log10(unit) + 1e-9))) if unit > 0 else 0
    return f"${value:,.{decimals}f}"


def label(text: str) -> str:
    """A name from the results as plain text on one line (data, never markup), short."""
    text = printable(text, keep_layout=False)
    return text if len(text) <= 22 else text[:21] + "…"


def nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value * (1 - 1e-9))


def _text(page: pymupdf.Page, where: pymupdf.Point, text: str, size: float = 9,
          align_right: bool = False, centre: bool = False) -> None:
    width = pymupdf.get_text_length(text, fontname=FONT, fontsize=size)
    x = where.x - width if align_right else where.x - width / 2 if centre else where.x
    page.insert_text((x, where.y), text, fontname=FONT, fontsize=size, color=INK)


def _axes(page: pymupdf.Page, frame: Frame, title: str, y_title: str,
          y_format: Callable[[float], str]) -> None:
    _text(page, pymupdf.Point(LEFT, 20), title, size=12)
    for power in range(int(frame.x_low), int(frame.x_high) + 1):
        bottom = frame.point(2 ** power, frame.y_low)
        top = frame.point(2 ** power, frame.y_high)
        page.draw_line(bottom, top, color=GRID, width=0.5)
        _text(page, bottom + pymupdf.Point(0, 13), tokens_label(2 ** power), size=8, centre=True)
    for value in y_ticks(frame):
        left, right = frame.point(2 ** frame.x_low, value), frame.point(2 ** frame.x_high, value)
        page.draw_line(left, right, color=GRID, width=0.5)
        _text(page, left + pymupdf.Point(-4, 3), y_format(value), size=8, align_right=True)
    corner = frame.point(2 ** frame.x_low, frame.y_low)
    page.draw_line(corner, frame.point(2 ** frame.x_high, frame.y_low), color=INK, width=0.8)
    page.draw_line(corner, frame.point(2 ** frame.x_low, frame.y_high), color=INK, width=0.8)
    middle = (frame.point(2 ** frame.x_low, frame.y_low).x
              + frame.point(2 ** frame.x_high, frame.y_low).x) / 2
    _text(page, pymupdf.Point(middle, HEIGHT - 12), "context length (tokens, log scale)",
          size=9, centre=True)
    _text(page, pymupdf.Point(8, TOP - 12), y_title, size=9)


def _series(page: pymupdf.Page, frame: Frame, points: list[tuple[int, float]], index: int,
            dashes: str | None = None,
            band: list[tuple[int, float, float]] | None = None) -> None:
    colour = COLOURS[index % len(COLOURS)]
    if band and len(band) > 1:
        outline = [frame.point(t, high) for t, _low, high in band] + \
                  [frame.point(t, low) for t, low, _high in reversed(band)]
        page.draw_polyline(outline + outline[:1], color=None, fill=colour, fill_opacity=0.18,
                           width=0)
    elif band:  # one length: an error bar
        tokens, low, high = band[0]
        page.draw_line(frame.point(tokens, low), frame.point(tokens, high), color=colour,
                       width=1.2)
    shown = [frame.point(t, v) for t, v in points]
    if len(shown) > 1:
        page.draw_polyline(shown, color=colour, width=1.6, dashes=dashes)
    for where in shown:
        page.draw_circle(where, 2.6, color=colour, fill=colour, width=0)


def _legend(page: pymupdf.Page, entries: list[tuple[str, int, str | None]]) -> None:
    """A line per (name, colour index, dashes) in the right margin, as many as fit."""
    x = WIDTH - RIGHT + 12
    room = (HEIGHT - BOTTOM - TOP) // LEGEND_STEP
    for line, (name, index, dashes) in enumerate(entries[:room]):
        y = TOP + 10 + line * LEGEND_STEP
        if line == room - 1 and len(entries) > room:
            _text(page, pymupdf.Point(x + 34, y), f"and {len(entries) - line} more", size=8)
            break
        colour = COLOURS[index % len(COLOURS)]
        page.draw_line((x, y - 3), (x + 28, y - 3), color=colour, width=1.6, dashes=dashes)
        page.draw_circle((x + 14, y - 3), 2.6, color=colour, fill=colour, width=0)
        _text(page, pymupdf.Point(x + 34, y), label(name), size=8)


def _save(document: pymupdf.Document, path: Path) -> Path:
    document[0].get_pixmap(dpi=DPI, alpha=False).save(str(path))
    return path


def score_chart(table: list[Row], task: str, path: Path) -> Path:
    """Score (0 to 1) against length for one task: a line per method, its 95% band."""
    rows = [r for r in table if r.task == task]
    frame = frame_for([r.tokens for r in rows], 1.0)
    methods = sorted({r.method for r in rows})
    document = pymupdf.open()
    page = document.new_page(width=WIDTH, height=HEIGHT)
    _axes(page, frame, f"{label(task)}: score against length", "score (mean, 95% interval)",
          lambda value: f"{value:.1f}")
    for index, method in enumerate(methods):
        mine = sorted((r for r in rows if r.method == method), key=lambda r: r.tokens)
        _series(page, frame, [(r.tokens, r.mean) for r in mine], index,
                band=[(r.tokens, r.low, r.high) for r in mine])
    _legend(page, [(method, index, None) for index, method in enumerate(methods)])
    return _save(document, path)


def cost_frame(lengths: list[int], costs: list[float]) -> Frame:
    """Linear from $0, or on a log scale when the costs span a hundredfold or more (direct at
    8K beside rlm at 8M), so that the cheap lines are not flat on the axis."""
    frame = frame_for(lengths, nice_top(max(costs)))
    positive = [c for c in costs if c > 0]
    if positive and max(positive) >= 100 * min(positive):
        return dataclasses.replace(frame, y_low=math.floor(math.log10(min(positive))),
                                   y_high=math.ceil(math.log10(max(positive))), y_log=True)
    return frame


def cost_chart(table: list[Row], path: Path) -> Path | None:
    """Mean cost per question against length: a colour per method, a dash per task. None
    when no answer was priced."""
    priced = [r for r in table if r.cost_usd is not None]
    if not priced:
        return None
    frame = cost_frame([r.tokens for r in priced], [r.cost_usd or 0.0 for r in priced])
    methods = sorted({r.method for r in priced})
    tasks = sorted({r.task for r in priced})
    document = pymupdf.open()
    page = document.new_page(width=WIDTH, height=HEIGHT)
    _axes(page, frame, "cost against length",
          "cost per question (USD" + (", log scale)" if frame.y_log else ")"),
          dollars if frame.y_log else lambda value: dollars(value, frame.y_high / 5))
    entries: list[tuple[str, int, str | None]] = []
    series: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in priced:
        series[(r.method, r.task)].append(r)
    for (method, task), mine in sorted(series.items()):
        index = methods.index(method)
        dash = DASHES[tasks.index(task) % len(DASHES)]
        mine.sort(key=lambda r: r.tokens)
        _series(page, frame, [(r.tokens, r.cost_usd or 0.0) for r in mine], index, dash)
        entries.append((f"{method} · {task}" if len(tasks) > 1 else method, index, dash))
    _legend(page, entries)
    return _save(document, path)


def file_name(task: str, taken: set[str]) -> str:
    """score-needle.png; a task name from the results never leaves the folder, and two tasks
    never share a file (score-task.png, score-task-2.png)."""
    stem = "score-" + (re.sub(r"[^A-Za-z0-9_-]+", "_", task).strip("_") or "task")
    name, number = f"{stem}.png", 1
    while name in taken:
        number += 1
        name = f"{stem}-{number}.png"
    taken.add(name)
    return name


def write_charts(table: list[Row], folder: Path) -> list[Path]:
    """Every chart of ``table`` into ``folder``: a score chart per task, then the cost chart."""
    taken = {"cost.png"}
    written = [score_chart(table, task, folder / file_name(task, taken))
               for task in sorted({r.task for r in table})]
    cost = cost_chart(table, folder / "cost.png")
    return written + ([cost] if cost is not None else [])
