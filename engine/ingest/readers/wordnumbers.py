"""Word's automatic list numbers ("1.", "3.2", "(a)", "iv."), which are not in the text itself.

Legal documents number their clauses this way, so without it "clause 7.2"
could not be found. Covers the common formats; unknown ones count in decimal.
"""

from __future__ import annotations

from typing import Any

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_LEVELS = 9


def _val(element: Any, path: str) -> str | None:
    found = element.find(path)
    return None if found is None else found.get(W + "val")


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def roman(number: int) -> str:
    if number <= 0 or number >= 4000:
        return str(number)
    out = []
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                           (4, "iv"), (1, "i")):
        while number >= value:
            out.append(letters)
            number -= value
    return "".join(out)


def letters(number: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa (Word repeats the letter)."""
    if number <= 0:
        return str(number)
    return chr(ord("a") + (number - 1) % 26) * ((number - 1) // 26 + 1)


def format_number(number: int, fmt: str) -> str:
    if fmt in ("lowerLetter",):
        return letters(number)
    if fmt == "upperLetter":
        return letters(number).upper()
    if fmt == "lowerRoman":
        return roman(number)
    if fmt == "upperRoman":
        return roman(number).upper()
    if fmt == "none":
        return ""
    if fmt == "decimalZero":
        return f"{number:02d}"
    return str(number)


class Numbering:
    """Counters for each list; ``label(num_id, level)`` advances and renders one item."""

    def __init__(self, numbering_xml: Any | None) -> None:
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}   # abstract id -> levels
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}   # num id -> (abstract, starts)
        self.counters: dict[str, list[int]] = {}
        if numbering_xml is None:
            return
        for abstract in numbering_xml.iterfind(W + "abstractNum"):
            levels = {}
            for lvl in abstract.iterfind(W + "lvl"):
                ilvl = _int(lvl.get(W + "ilvl"), 0)
                levels[ilvl] = (_int(_val(lvl, W + "start"), 1),
                                _val(lvl, W + "numFmt") or "decimal",
                                _val(lvl, W + "lvlText") or "")
            self.levels[str(abstract.get(W + "abstractNumId"))] = levels
        for num in numbering_xml.iterfind(W + "num"):
            starts = {}
            for override in num.iterfind(W + "lvlOverride"):
                start = _val(override, W + "startOverride")
                if start is not None:
                    starts[_int(override.get(W + "ilvl"), 0)] = _int(start, 1)
            self.nums[str(num.get(W + "numId"))] = (str(_val(num, W + "abstractNumId")), starts)

    def label(self, num_id: str, level: int) -> str:
        """The rendered number of the next item of list ``num_id`` at ``level`` ("" if none)."""
        if num_id not in self.nums or num_id == "0":
            return ""
        abstract, starts = self.nums[num_id]
        levels = self.levels.get(abstract, {})
        level = max(0, min(level, MAX_LEVELS - 1))
        if level not in levels:
            return ""
        counters = self.counters.setdefault(
            num_id, [starts.get(i, levels.get(i, (1, "", ""))[0]) - 1 for i in range(MAX_LEVELS)])
        counters[level] += 1
        for deeper in range(level + 1, MAX_LEVELS):
            counters[deeper] = starts.get(deeper, levels.get(deeper, (1, "", ""))[0]) - 1
        _, fmt, text = levels[level]
        if fmt == "bullet":
            return "•"
        for i in range(level + 1):
            _, sub_fmt, _ = levels.get(i, (1, "decimal", ""))
            value = max(counters[i], levels.get(i, (1, "", ""))[0])
            text = text.replace(f"%{i + 1}", format_number(value, sub_fmt))
        return text.strip()
