"""Resolve an answer's citation markers to documents and pages, and check each quote there.

The pages come from the context the run used (``context.txt`` and its ``documents`` index),
so checking needs no store access. A quote and the page texts are normalised the same way
(Unicode NFKC, so ligatures split; curly quotes and dashes made straight; a hyphen at a line
end joined; whitespace collapsed; case folded), then the quote is looked for with
``str.find`` on its cited page, then approximately there, then exactly in the whole
selection, then approximately in the cited document only (the whole library would cost
seconds). The approximate search allows at most ``len(quote) // 20`` edits, with the
digits unchanged and the same number of words, each within a typo of its counterpart, so a
typo or an OCR slip passes but a changed amount, date, number word or an added "not" does
not. It finds candidates by the pigeonhole rule (k edits spoil at most k of k + 2 pieces of
the quote, so two are found exactly, where they agree) and checks each with an edit distance.
The work is bounded: so many hits of a piece are followed, so many windows checked; past
that a quote is reported not found, never verified.

A quote longer than ``MAX_QUOTE_CHARS`` (after normalising) is not searched: it is
``not_found`` with a reason, so hostile input costs nothing (the REPL's cite() clips quotes to
300 characters; only a marker written by hand can be longer). A quote shorter than
``MIN_RELOCATE_CHARS`` is looked for on its cited page only: "the" is on some page of any
library, so finding it elsewhere proves nothing.
"""

from __future__ import annotations

import bisect
import enum
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.rlm.citations import Citation, parse_markers

MAX_QUOTE_CHARS = 2_000
MIN_FUZZY_CHARS = 20            # shorter quotes must match exactly (after normalising)
MIN_RELOCATE_CHARS = 12         # shorter quotes are only looked for on their cited page:
                                # "x" or "the" is on some page of any library
EDIT_FRACTION = 20              # at most len // 20 edits: 5 %
MAX_CANDIDATES = 64             # windows checked by edit distance per search
_PAGE_SEPARATOR = "\x00"        # between pages in the selection's text: no match spans two

# Curly quotes and dashes made straight, a soft hyphen dropped, every whitespace character a
# space (NFKC has already made no-break and other wide spaces plain ones).
_STRAIGHT = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u00ad": None,
    **{space: " " for space in "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029\x00"},
})
_KEEP_SEPARATOR = {**_STRAIGHT}
del _KEEP_SEPARATOR[0]
_SPACED_HYPHEN = re.compile(r"- (?=\w)")
_DIGITS = re.compile(r"\d")


class CitationStatus(enum.StrEnum):
    """What checking a citation found; the values are the strings in events and --json."""

    VERIFIED = "verified"        # the quote is on the cited page
    RELOCATED = "relocated"      # the quote is on another page: the citation is corrected
    NOT_FOUND = "not_found"      # the quote is nowhere in the selected documents
    NO_QUOTE = "no_quote"        # a page cited without a quote
    INVALID = "invalid"          # no such document or page


def normalise(text: str, *, pages: bool = False) -> str:
    """The form a quote and a page are compared in (see the module docstring); with ``pages``
    the page separator (``"\\x00"``) is kept."""
    text = unicodedata.normalize("NFKC", text).translate(_KEEP_SEPARATOR if pages
                                                          else _STRAIGHT)
    while "  " in text:   # str.replace is far faster than a regular expression or split()
        text = text.replace("    ", " ").replace("  ", " ")
    text = text.strip(" ")
    if "- " in text:
        text = _join_line_ends(text)
    return text.casefold()


def _join_line_ends(text: str) -> str:
    """"termi- nation" as "termination": a hyphen at a line end, once line breaks are spaces.
    (The word before is checked in Python: a look-behind would make the pattern scan every
    character instead of jumping to each "- ".)"""
    return _SPACED_HYPHEN.sub(_joined, text)


def _joined(match: re.Match[str]) -> str:
    at = match.start()
    before = match.string[at - 1] if at else " "
    return "" if before.isalnum() or before == "_" else match.group()


@dataclass(frozen=True)
class PageRef:
    doc_id: int
    title: str
    path: str
    page: int
    label: str | None


@dataclass(frozen=True)
class CheckedCitation:
    """One resolved citation: where it points (after any correction) and what checking found."""

    n: int
    doc_id: int
    path: str | None
    title: str | None
    page: int
    page_label: str | None
    quote: str | None
    status: CitationStatus
    cited_page: int | None = None       # set when relocated: the page the marker named
    cited_doc_id: int | None = None     # set when relocated to another document
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        return data


def citation_from_json(data: dict[str, Any]) -> CheckedCitation:
    """Read one back from an event, leniently (an unknown status reads as not_found)."""
    try:
        status = CitationStatus(str(data.get("status")))
    except ValueError:
        status = CitationStatus.NOT_FOUND
    fields: dict[str, Any] = {name: data.get(name)
                              for name in CheckedCitation.__dataclass_fields__}
    fields["status"] = status
    for name in ("n", "doc_id", "page"):
        fields[name] = _int(fields[name])
    return CheckedCitation(**fields)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 0


class PageIndex:
    """The pages of a selection: raw text per page, normalised lazily, searchable as a whole."""

    def __init__(self, pages: Iterable[tuple[PageRef, str]]) -> None:
        self.refs: list[PageRef] = []
        self._texts: list[str] = []
        self._by_key: dict[tuple[int, int], int] = {}
        self._docs: dict[int, list[int]] = {}     # doc id -> its page indexes, in order
        for ref, text in pages:
            self._by_key.setdefault((ref.doc_id, ref.page), len(self.refs))
            self._docs.setdefault(ref.doc_id, []).append(len(self.refs))
            self.refs.append(ref)
            self._texts.append(text)
        self._normal: dict[int, str] = {}
        self._whole: str | None = None
        self._starts: list[int] = []

    @classmethod
    def from_context(cls, context: str, documents: list[dict[str, Any]]) -> PageIndex:
        """From a context and its index; each page's text follows its marker line."""
        def pages() -> Iterable[tuple[PageRef, str]]:
            for doc in documents:
                try:
                    doc_id = int(doc["id"])
                except (KeyError, TypeError, ValueError):
                    continue
                for span in doc.get("pages") or ():
                    text = context[int(span["start"]):int(span["end"])]
                    newline = text.find("\n")
                    label = span.get("label")
                    yield (PageRef(doc_id, str(doc.get("title", "")), str(doc.get("path", "")),
                                   int(span["page"]), None if label is None else str(label)),
                           text[newline + 1:] if newline >= 0 else "")
        return cls(pages())

    @classmethod
    def from_files(cls, context_path: Path, documents: list[dict[str, Any]]) -> PageIndex:
        if not documents:
            return cls(())
        return cls.from_context(context_path.read_text(encoding="utf-8", errors="replace"),
                                documents)

    def has_document(self, doc_id: int) -> bool:
        return doc_id in self._docs

    def find_page(self, doc_id: int, page: int) -> int | None:
        return self._by_key.get((doc_id, page))

    def normal(self, index: int) -> str:
        if self._whole is not None:
            return self._whole[self._starts[index]:self._end(index)]
        text = self._normal.get(index)
        if text is None:
            text = self._normal[index] = normalise(self._texts[index])
        return text

    def _whole_text(self) -> str:
        """Every page normalised, joined by the separator: one call for the whole selection
        (10,000 calls of ``normalise`` cost twice as much)."""
        if self._whole is None:
            raw = _PAGE_SEPARATOR.join(text.replace(_PAGE_SEPARATOR, " ")
                                       if _PAGE_SEPARATOR in text else text
                                       for text in self._texts)
            whole = normalise(raw, pages=True)
            starts, at = [0], whole.find(_PAGE_SEPARATOR)
            while at >= 0:
                starts.append(at + 1)
                at = whole.find(_PAGE_SEPARATOR, at + 1)
            assert len(starts) == len(self._texts) or not self._texts
            self._whole, self._starts = whole, starts
            self._normal.clear()   # the whole text holds them now
        return self._whole

    def _end(self, index: int) -> int:
        assert self._whole is not None
        return self._starts[index + 1] - 1 if index + 1 < len(self._starts) else len(self._whole)

    def search(self, quote_normal: str, limit: int = 20, near: int | None = None) -> list[int]:
        """Indexes of the pages the normalised quote is on: found exactly anywhere, else
        approximately in the document ``near`` (an approximate search of the whole library
        would cost seconds, and a near miss far away is more likely another passage)."""
        whole = self._whole_text()
        pages = self._docs.get(near) if near is not None else None
        base, end = (self._starts[pages[0]], self._end(pages[-1])) if pages else (0, 0)
        # The cited document first: a wrong page of the right document is the common slip,
        # and its text is a small part of a large library.
        found = self._exact(whole, quote_normal, base, end, limit) if pages else []
        if not found:
            found = self._exact(whole, quote_normal, 0, len(whole), limit)
        if found or not pages:
            return found
        match = fuzzy_find(whole[base:end], quote_normal)
        return [] if match is None else [bisect.bisect_right(self._starts, base + match) - 1]

    def _exact(self, whole: str, quote_normal: str, start: int, end: int,
               limit: int) -> list[int]:
        found: list[int] = []
        at = whole.find(quote_normal, start, end)
        while at >= 0 and len(found) < limit:
            page = bisect.bisect_right(self._starts, at) - 1
            if not found or found[-1] != page:
                found.append(page)
            at = whole.find(quote_normal, at + 1, end)
        return found

    def locate(self, quote: str, limit: int = 20) -> list[PageRef]:
        quote_normal = normalise(quote)
        if not quote_normal or len(quote_normal) > MAX_QUOTE_CHARS:
            return []
        return [self.refs[i] for i in self.search(quote_normal, limit)]


def max_edits(quote_normal: str) -> int:
    return 0 if len(quote_normal) < MIN_FUZZY_CHARS else len(quote_normal) // EDIT_FRACTION


def contains(text_normal: str, quote_normal: str) -> bool:
    """Whether the quote is in the text, exactly or within the bounded edits."""
    return quote_normal in text_normal or fuzzy_find(text_normal, quote_normal) is not None


def fuzzy_find(text: str, quote: str) -> int | None:
    """Where in ``text`` a span within ``max_edits(quote)`` edits of ``quote`` starts, that has
    the same digits and the same number of words; None when there is none."""
    k = max_edits(quote)
    if k == 0:
        return None
    # k edits spoil at most k of k + 2 pieces, so a true match has two found exactly, at
    # offsets that agree to within k: windows with one piece only are never checked.
    pieces = k + 2
    size = len(quote) // pieces
    votes: dict[int, set[int]] = {}
    for piece_no in range(pieces):
        offset = piece_no * size
        piece = quote[offset:offset + size]
        if not piece.strip():
            continue
        hit = text.find(piece)
        seen = 0
        while hit >= 0 and seen < MAX_CANDIDATES * 4:
            votes.setdefault(max(0, hit - offset), set()).add(piece_no)
            seen += 1
            hit = text.find(piece, hit + 1)
    starts = _agreeing(votes, k)
    checked: list[int] = []
    digits = _DIGITS.findall(quote)
    for start in starts:
        if checked and start - checked[-1] <= k:   # the last window already covered it
            continue
        checked.append(start)
        if len(checked) > MAX_CANDIDATES:
            break
        window_start = max(0, start - k)
        window = text[window_start:start + len(quote) + k]
        if _PAGE_SEPARATOR in window:
            window = _one_page(window, start - window_start)
        end = _best_end(quote, window, k)
        if end is None:
            continue
        span = _span(quote, window, end, k)
        if span is not None and _DIGITS.findall(span) == digits and _same_words(quote, span):
            return window_start + window.find(span)
    return None


def _agreeing(votes: dict[int, set[int]], k: int) -> list[int]:
    """The starts that two different pieces put within ``k`` of each other."""
    ordered = sorted(votes)
    chosen: list[int] = []
    low = 0
    for start in ordered:
        while ordered[low] < start - k:
            low += 1
        high = bisect.bisect_right(ordered, start + k)
        pieces: set[int] = set()
        for near in ordered[low:high]:
            pieces |= votes[near]
            if len(pieces) >= 2:
                chosen.append(start)
                break
    return chosen


def _same_words(quote: str, span: str) -> bool:
    """The same number of words, each within a typo of its counterpart: a quarter of its
    letters (so none in a word under four). "thousend" passes for "thousand"; "twenty" for
    "ten", or an added "not", does not."""
    quote_words, span_words = quote.split(), span.split()
    return len(quote_words) == len(span_words) and all(
        a == b or _distance(a, b, len(a) // 4) is not None
        for a, b in zip(quote_words, span_words, strict=True))


def _one_page(window: str, anchor: int) -> str:
    """The part of a window on the page of ``anchor`` (a match never spans pages)."""
    before = window.rfind(_PAGE_SEPARATOR, 0, anchor)
    after = window.find(_PAGE_SEPARATOR, anchor)
    return window[before + 1:after if after >= 0 else len(window)]


def _best_end(quote: str, window: str, k: int) -> int | None:
    """Semi-global edit distance (the whole quote against any span of the window): the end of
    a span within ``k`` edits, or None. Rows stop early once every cell exceeds ``k``."""
    previous = [0] * (len(window) + 1)      # a span may start anywhere: row 0 costs nothing
    for i, qc in enumerate(quote, 1):
        current = [i] + [0] * len(window)
        best = i
        for j, wc in enumerate(window, 1):
            cost = previous[j - 1] + (qc != wc)
            if previous[j] + 1 < cost:
                cost = previous[j] + 1
            if current[j - 1] + 1 < cost:
                cost = current[j - 1] + 1
            current[j] = cost
            if cost < best:
                best = cost
        if best > k:
            return None
        previous = current
    end = min(range(len(window) + 1), key=lambda j: previous[j])
    return end if previous[end] <= k else None


def _span(quote: str, window: str, end: int, k: int) -> str | None:
    """The closest span of ``window`` ending at ``end``: its start tried within the bound."""
    best: tuple[int, str] | None = None
    for start in range(max(0, end - len(quote) - k), max(0, end - len(quote) + k) + 1):
        span = window[start:end]
        distance = _distance(quote, span, k)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, span)
    return None if best is None else best[1].strip()


def _distance(a: str, b: str, k: int) -> int | None:
    """Levenshtein distance of ``a`` and ``b`` if at most ``k`` (banded), else None."""
    if abs(len(a) - len(b)) > k:
        return None
    big = k + 1
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [big] * (len(b) + 1)
        current[0] = i
        low, high = max(1, i - k), min(len(b), i + k)
        for j in range(low, high + 1):
            current[j] = min(previous[j - 1] + (a[i - 1] != b[j - 1]),
                             previous[j] + 1, current[j - 1] + 1, big)
        if min(current) > k:
            return None
        previous = current
    return previous[len(b)] if previous[len(b)] <= k else None


def check_citations(answer: str, index: PageIndex) -> list[CheckedCitation]:
    """Every marker of ``answer`` in order, resolved and checked against ``index``."""
    return [check(n, citation, index)
            for n, citation in enumerate(parse_markers(answer), 1)]


def check(n: int, citation: Citation, index: PageIndex) -> CheckedCitation:
    """Resolve one citation and check its quote (see ``CitationStatus``)."""
    position = index.find_page(citation.doc_id, citation.page)
    quote = citation.quote
    if position is None:
        reason = ("no such document" if not index.has_document(citation.doc_id)
                  else "no such page in the document")
        if quote:
            return _relocate(n, citation, index, reason)
        return _unresolved(n, citation, CitationStatus.INVALID, reason)
    ref = index.refs[position]
    if not quote or not quote.strip():
        return _resolved(n, citation, ref, CitationStatus.NO_QUOTE)
    quote_normal = normalise(quote)
    if len(quote_normal) > MAX_QUOTE_CHARS:
        return _resolved(n, citation, ref, CitationStatus.NOT_FOUND,
                         reason=f"the quote is longer than {MAX_QUOTE_CHARS:,} characters "
                         "and was not checked")
    if contains(index.normal(position), quote_normal):
        return _resolved(n, citation, ref, CitationStatus.VERIFIED)
    return _relocate(n, citation, index, None)


def _relocate(n: int, citation: Citation, index: PageIndex,
              reason: str | None) -> CheckedCitation:
    """The quote is not on the cited page (or that page does not exist): look everywhere."""
    quote = citation.quote or ""
    quote_normal = normalise(quote)
    if len(quote_normal) > MAX_QUOTE_CHARS:
        status = CitationStatus.INVALID if reason else CitationStatus.NOT_FOUND
        return _unresolved(n, citation, status, reason or "the quote was not checked")
    found = (index.search(quote_normal, near=citation.doc_id)
             if len(quote_normal) >= MIN_RELOCATE_CHARS else [])
    if not found:
        if reason:  # a broken page and a quote found nowhere: the citation is broken
            return _unresolved(n, citation, CitationStatus.INVALID, reason)
        position = index.find_page(citation.doc_id, citation.page)
        assert position is not None
        return _resolved(n, citation, index.refs[position], CitationStatus.NOT_FOUND)
    # Prefer the cited document when the words appear in several places.
    same_doc = [i for i in found if index.refs[i].doc_id == citation.doc_id]
    ref = index.refs[(same_doc or found)[0]]
    return CheckedCitation(
        n=n, doc_id=ref.doc_id, path=ref.path, title=ref.title, page=ref.page,
        page_label=ref.label, quote=citation.quote, status=CitationStatus.RELOCATED,
        cited_page=citation.page,
        cited_doc_id=citation.doc_id if citation.doc_id != ref.doc_id else None,
        reason=reason)


def _resolved(n: int, citation: Citation, ref: PageRef, status: CitationStatus,
              reason: str | None = None) -> CheckedCitation:
    return CheckedCitation(n=n, doc_id=ref.doc_id, path=ref.path, title=ref.title,
                           page=ref.page, page_label=ref.label, quote=citation.quote,
                           status=status, reason=reason)


def _unresolved(n: int, citation: Citation, status: CitationStatus,
                reason: str) -> CheckedCitation:
    return CheckedCitation(n=n, doc_id=citation.doc_id, path=None, title=None,
                           page=citation.page, page_label=None, quote=citation.quote,
                           status=status, reason=reason)
