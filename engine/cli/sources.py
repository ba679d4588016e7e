"""An answer's checked citations for a terminal: numbered markers in the text, then the sources
with what checking found, in the words people read (VOCABULARY.md, "Citations")."""

from __future__ import annotations

from typing import Any

from engine.cli.terminal import printable
from engine.rlm.verify import citation_from_json
from engine.rlm.words import numbered as numbered
from engine.rlm.words import page_words as page_words
from engine.rlm.words import source_place, status_words

QUOTE_SHOWN_CHARS = 80
JSON_FIELDS = ("n", "doc_id", "path", "title", "page", "page_label", "quote", "status",
               "cited_page", "cited_doc_id", "reason")


def source_lines(citations: list[dict[str, Any]], prefix: str = "") -> list[str]:
    """The numbered sources under an answer; no lines when it cites nothing."""
    if not citations:
        return []
    lines = ["", f"{prefix}Sources:"]
    for data in citations:
        cite = citation_from_json(data)
        where = source_place(cite)
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
