"""Citation markers in answer text: the one grammar that formats, finds and replaces them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

QUOTE_MAX_CHARS = 300           # the REPL child's cite() clips quotes to the same length
_MAX_DIGITS = 19                # as many as a SQLite row id has; a longer number is no id,
                                # and int() of thousands of digits raises

# A marker reads [[cite doc=3 page=12 quote="liability shall not exceed"]]; the quote is
# optional. The REPL child's cite() writes markers and cannot import this module, so the
# grammar follows the child's escaping: the quote has its whitespace collapsed and every "]"
# dropped, and only '"' is escaped, as \" (a backslash is not). So \" just before ]] is a
# literal backslash and the closing quote; anywhere else it is an escaped quote. A quote
# written by hand may also hold "]" or line breaks. doc and page are integers (negative ones
# too: the child checks nothing when it has no documents). Each character has one reading
# and *+ never backtracks, so a hostile text of any length takes linear time.
_NUMBER = rf"-?[0-9]{{1,{_MAX_DIGITS}}}"
_MARKER = re.compile(rf"""
    \[\[cite\ doc=(?P<doc>{_NUMBER})\ page=(?P<page>{_NUMBER})
    (?:\ quote="(?P<quote>
        (?: [^"\\]                  # any character but a quote or a backslash
          | \\"(?!\]\])             # an escaped quote
          | \\(?!"(?!\]\]))         # a backslash that escapes nothing
        )*+
    )")?
    \]\]
""", re.VERBOSE)


@dataclass(frozen=True)
class Citation:
    """One marker in a text: the document, the page, the quote if any, and where it sits."""

    doc_id: int
    page: int
    quote: str | None
    start: int          # the marker is text[start:end]
    end: int


def clean_quote(quote: str) -> str:
    """A quote as a marker holds it: whitespace collapsed, no "]", at most QUOTE_MAX_CHARS."""
    return " ".join(quote.split()).replace("]", "")[:QUOTE_MAX_CHARS]


def format_marker(doc_id: int, page: int, quote: str | None = None) -> str:
    """The marker for a page (and a quote on it); the same text the REPL's cite() returns."""
    marker = f"[[cite doc={_number(doc_id, 'doc_id')} page={_number(page, 'page')}"
    if quote is not None:
        marker += ' quote="{}"'.format(clean_quote(str(quote)).replace('"', '\\"'))
    return marker + "]]"


def _number(value: int, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    text = str(value)
    if len(text.lstrip("-")) > _MAX_DIGITS:
        raise ValueError(f"{name} has more than {_MAX_DIGITS} digits")
    return text


def parse_markers(text: str) -> list[Citation]:
    """Every well-formed marker in ``text``, in order; anything malformed is plain text."""
    return [_citation(match) for match in _MARKER.finditer(text)]


def replace_markers(text: str, replace: Callable[[Citation], str]) -> str:
    """``text`` with each well-formed marker replaced by what ``replace`` returns for it."""
    return _MARKER.sub(lambda match: replace(_citation(match)), text)


def _citation(match: re.Match[str]) -> Citation:
    quote = match.group("quote")
    return Citation(doc_id=int(match.group("doc")), page=int(match.group("page")),
                    quote=None if quote is None else quote.replace('\\"', '"'),
                    start=match.start(), end=match.end())
