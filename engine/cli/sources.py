"""An answer's checked citations for a terminal: numbered markers in the text, then the sources
with what checking found, in the words people read (VOCABULARY.md, "Citations")."""

from __future__ import annotations

import itertools
import re
from typing import Any

from engine.cli.terminal import printable
from engine.rlm.citations import Citation, replace_markers
from engine.rlm.verify import CheckedCitation, CitationStatus, citation_from_json

QUOTE_SHOWN_CHARS = 80
# A printed page number ("12", "xiv", "A-3"); any other label ("lines 101–200", "¶12–¶30")
# names the place itself and is shown alone.
_PAGE_NUMBER = re.compile(r"[0-9A-Za-z.\-]{1,12}")
JSON_FIELDS = ("n", "doc_id", "path", "title", "page", "page_label", "quote", "status",
               "cited_page", "cited_doc_id", "reason")


def page_words(page: int, label: str | None) -> str:
    """"p. 12 (PDF p. 14)" when the printed number differs from the position, else "p. 14";
    a label that is no page number ("lines 101–200") is shown as it is."""
    if not label or label == str(page):
        return f"p. {page}"
    if _PAGE_NUMBER.fullmatch(label):
        return f"p. {label} (PDF p. {page})"
    return label


def status_words(citation: CheckedCitation) -> str:
    match citation.status:
        case CitationStatus.VERIFIED:
            return "Quote checked on this page"
        case CitationStatus.RELOCATED:
            return ("Quote found on another page — corrected to "
                    f"{page_words(citation.page, citation.page_label)}")
        case CitationStatus.NOT_FOUND:
            return "Quote not found in the documents — check this claim"
        case CitationStatus.NO_QUOTE:
            return "Page cited without a quote"
    return "Broken citation (no such document or page)"


def numbered(answer: str) -> str:
    """The answer with each marker as [1], [2], ... in order of appearance."""
    counter = itertools.count(1)

    def number(_: Citation) -> str:
        return f"[{next(counter)}]"

    return replace_markers(answer, number)


def source_lines(citations: list[dict[str, Any]], prefix: str = "") -> list[str]:
    """The numbered sources under an answer; no lines when it cites nothing."""
    if not citations:
        return []
    lines = ["", f"{prefix}Sources:"]
    for data in citations:
        cite = citation_from_json(data)
        where = (f"{cite.title or 'document ' + str(cite.doc_id)}, "
                 f"{page_words(cite.page, cite.page_label)}"
                 if cite.status != CitationStatus.INVALID
                 else f"document {cite.doc_id}, page {cite.page}")
        if cite.status == CitationStatus.RELOCATED:  # where it was, where it is now
            where = f"{cite.title or 'document ' + str(cite.doc_id)}"
        line = f"{prefix}[{cite.n}] {printable(where, keep_layout=False)}"
        if cite.quote:
            quote = cite.quote
            if len(quote) > QUOTE_SHOWN_CHARS:
                quote = quote[:QUOTE_SHOWN_CHARS - 1] + "…"
            line += f': "{printable(quote, keep_layout=False)}"'
        lines.append(f"{line} — {status_words(cite)}")
    return lines


def citations_json(citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The --json form: the fields in a fixed order."""
    return [{name: data.get(name) for name in JSON_FIELDS} for data in citations]
