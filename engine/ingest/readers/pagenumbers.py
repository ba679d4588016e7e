"""Printed page numbers found in the text of a document whose PDF defines no page labels.

A book's PDF page 244 may be the page printed "236": a reader cites the printed one.
Candidates are read from each page's first and last two lines only (a number alone on
a line, or at the start or end of a running header such as "236 FREE CULTURE" or
"INTRODUCTION 17"; lower- or upper-case roman numerals likewise; Bates stamps such as
``ACME_000123``). A page's candidates become its label only as part of a consistent
run: at least ``MIN_SUPPORT`` pages whose number minus their index is the same, close
together (gaps of at most ``MAX_GAP - 1`` pages) and covering at least ``MIN_DENSITY``
of their span. A number beside words counts only where those words recur on another
page of the run, as a running header's do (a footnote's or a heading's do not).

A page without a number inside such a run (a chapter opening, a blank page) is labelled
from the run, since the numbered pages on both sides agree; pages outside every run get
no label. Where runs compete for pages, the better supported wins. A number in body
text seldom sits in the first or last lines, and when it does it forms no run.

Pure Python on strings, no PDF library: cheap enough to run on every PDF at ingest.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

EDGE_LINES = 2          # lines looked at, from the top and from the bottom of each page
MIN_SUPPORT = 3         # pages showing the number before a run counts
MAX_GAP = 6             # numbered pages of a run at most this many pages apart
MIN_DENSITY = 0.5       # share of a run's pages that show their number
MAX_LINE = 120          # longer edge lines are body text, not headers or footers
MAX_ARABIC = 99_999

_ROMAN_VALUES = (("m", 1000), ("cm", 900), ("d", 500), ("cd", 400), ("c", 100), ("xc", 90),
                 ("l", 50), ("xl", 40), ("x", 10), ("ix", 9), ("v", 5), ("iv", 4), ("i", 1))
_ROMAN = r"[ivxlcdm]{1,12}|[IVXLCDM]{1,12}"
_NUMBER = rf"\d{{1,5}}|{_ROMAN}"
# A number alone ("17", "- 17 -", "Page 17", "Page 17 of 300", "17 / 300").
_ALONE = re.compile(rf"^(?:page\s+|p\.\s*)?[-–—]?\s*({_NUMBER})\s*[-–—]?"
                    r"(?:\s*(?:of|/)\s*\d{1,5})?$", re.IGNORECASE)
# At the start or end of a running header ("236 FREE CULTURE", "INTRODUCTION 17").
_FIRST = re.compile(rf"^({_NUMBER})(?:\s*[|·•]\s*|\s{{2,}}|\s)(?=\S)")
_LAST = re.compile(rf"(?<=\S)(?:\s*[|·•]\s*|\s)({_NUMBER})$")
# A Bates stamp: a prefix and zero-padded digits, alone or ending a line ("ACME_000123").
_BATES = re.compile(r"(?:^|\s)([A-Z][A-Z0-9_\-.]*?\s?)(\d{4,10})$")

_ROMAN_LETTERS = "ivxlcdmIVXLCDM"
_MAY_START = frozenset("0123456789-–—pP" + _ROMAN_LETTERS)
_MAY_END = frozenset("0123456789-–—" + _ROMAN_LETTERS)

Key = tuple[str, ...]   # ("arabic",), ("roman",), ("bates", prefix, width)


@dataclass
class _Run:
    key: Key
    offset: int                 # printed number minus the page's index
    pages: list[int]            # indexes of the pages showing their number
    upper: bool = False         # roman numerals printed in capitals


def edge_lines(text: str, count: int = EDGE_LINES) -> list[str]:
    """The first and last ``count`` non-blank lines of a page's text, stripped (each line
    once), found without splitting the whole page."""
    head: list[str] = []
    start = 0
    while len(head) < count and start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        if line := text[start:end].strip():
            head.append(line)
        start = end + 1
    head_end = start
    tail: list[str] = []
    stop = len(text)
    while len(tail) < count and stop > head_end:
        begin = text.rfind("\n", head_end, stop) + 1
        begin = max(begin, head_end)
        if line := text[begin:stop].strip():
            tail.append(line)
        stop = begin - 1
    return head + tail[::-1]


def roman_value(text: str) -> int | None:
    """The value of a roman numeral written the usual way ("xiv" 14), else None."""
    lower = text.lower()
    value, rest = 0, lower
    for numeral, worth in _ROMAN_VALUES:
        while rest.startswith(numeral):
            value += worth
            rest = rest[len(numeral):]
    return value if value and not rest and to_roman(value) == lower else None


def to_roman(value: int) -> str:
    out = []
    for numeral, worth in _ROMAN_VALUES:
        count, value = divmod(value, worth)
        out.append(numeral * count)
    return "".join(out)


def _candidates(line: str) -> list[tuple[Key, int, str, str]]:
    """(sequence kind, value, label as printed, the running header's words) for each
    number this line may carry; the words are "" for a number or a stamp alone."""
    if len(line) > MAX_LINE:
        return []
    found: list[tuple[Key, int, str, str]] = []
    # Most lines neither start nor end with a number: skip the patterns cheaply.
    head_may, tail_may = line[0] in _MAY_START, line[-1] in _MAY_END
    matches = (_ALONE.match(line) if head_may and tail_may else None,
               _FIRST.match(line) if head_may else None,
               _LAST.search(line) if tail_may else None)
    for match in matches:
        if match is None:
            continue
        token = match.group(1)
        words = "" if match.re is _ALONE else \
            " ".join((line[:match.start()] + line[match.end():]).lower().split())
        if token.isdigit():
            value = int(token)
            if 0 < value <= MAX_ARABIC and not (len(token) > 1 and token[0] == "0"):
                found.append((("arabic",), value, str(value), words))
        elif (roman := roman_value(token)) is not None and (token.islower() or len(token) > 1):
            # A capital "I" alone starts sentences; "II", "XIV" or "i" are numbers.
            found.append((("roman",), roman, token, words))
    if line[-1].isdigit() and (bates := _BATES.search(line)) is not None:
        prefix, digits = bates.group(1), bates.group(2)
        found.append((("bates", prefix, str(len(digits))), int(digits), prefix + digits, ""))
    return found


def detect_page_labels(texts: Sequence[str]) -> list[str | None]:
    """Each page's printed number (its label) where the pages' headers and footers show a
    consistent sequence; None for the others, and for every page when none shows."""
    # (kind, offset) -> {page index: (label as printed, running header's words)}
    support: dict[tuple[Key, int], dict[int, tuple[str, str]]] = {}
    for index, text in enumerate(texts):
        for line in edge_lines(text):
            for key, value, printed, words in _candidates(line):
                shown = support.setdefault((key, value - index), {})
                if index not in shown or not words:
                    shown[index] = (printed, words)
    runs = []
    for (key, offset), shown in support.items():
        if len(shown) < MIN_SUPPORT:
            continue
        # A number beside words counts when the words recur (a running header: the book's
        # or the chapter's title), not beside words of their own (a footnote, a heading,
        # a sentence).
        recurring = Counter(words for _, words in shown.values() if words)
        counted = [i for i, (_, words) in shown.items() if not words or recurring[words] > 1]
        clusters: list[list[int]] = []
        for index in sorted(counted):
            if clusters and index - clusters[-1][-1] <= MAX_GAP:
                clusters[-1].append(index)
            else:
                clusters.append([index])
        for cluster in clusters:
            span = cluster[-1] - cluster[0] + 1
            if len(cluster) >= MIN_SUPPORT and len(cluster) / span >= MIN_DENSITY:
                upper = sum(shown[i][0].isupper() for i in cluster) * 2 > len(cluster)
                runs.append(_Run(key, offset, cluster, upper))
    labels: list[str | None] = [None] * len(texts)
    taken: list[tuple[int, int]] = []
    # The best supported first; on a tie, plain numbers before a stamp that holds them.
    runs.sort(key=lambda run: (-len(run.pages), run.key[0] == "bates", run.pages[0]))
    for run in runs:
        first, last = run.pages[0], run.pages[-1]
        if any(first <= other_last and other_first <= last for other_first, other_last in taken):
            continue   # a better supported run claims these pages
        taken.append((first, last))
        shown = support[(run.key, run.offset)]
        for index in range(first, last + 1):
            labels[index] = shown[index][0] if index in shown else \
                _label(run, index + run.offset)
    return labels


def _label(run: _Run, value: int) -> str:
    kind = run.key[0]
    if kind == "roman":
        return to_roman(value).upper() if run.upper else to_roman(value)
    if kind == "bates":
        return f"{run.key[1]}{value:0{int(run.key[2])}d}"
    return str(value)
