"""Checked citations on screen: numbered markers with a status mark, and a sources list.

The words and marks are VOCABULARY.md's ("Citations"). Everything here is Markdown for
``safe_text.insert_markdown`` (no HTML): titles and quotes come from documents and the model,
so they are escaped as Markdown, and tooltips are set afterwards with ``wrapped_tooltip``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtGui import QPalette, QTextCharFormat, QTextDocument

from engine.rlm.citations import Citation, replace_markers
from engine.rlm.verify import CheckedCitation, citation_from_json
from rlm_desktop.widgets.icons import semantic_color
from rlm_desktop.widgets.safe_text import fragments, select, wrapped_tooltip

MARKS = {"verified": "✓", "relocated": "↪", "not_found": "⚠", "invalid": "⚠", "no_quote": ""}
WARNING = frozenset({"not_found", "invalid"})


def cite_url(doc_id: int, page: int, n: int = 0) -> str:
    """The link a citation carries (read back by ``parse_cite_url``); ``n`` numbers a
    checked citation."""
    return f"cite:{doc_id}/{page}" + (f"/{n}" if n else "")


# At most 9 digits: citation_clicked signals carry 32-bit ints, and any link in an answer's
# Markdown, written by the model, reaches parse_cite_url.
_CITE_URL = re.compile(r"cite:(-?[0-9]{1,9})/(-?[0-9]{1,9})(?:/([0-9]{1,9}))?")


def parse_cite_url(url: str) -> tuple[int, int] | None:
    """``cite:3/12`` (or ``cite:3/12/1``) -> (3, 12)."""
    match = _CITE_URL.fullmatch(url)
    return (int(match.group(1)), int(match.group(2))) if match else None


def cite_number(url: str) -> int:
    """The number of the checked citation a link is for, 0 if none."""
    match = _CITE_URL.fullmatch(url)
    return int(match.group(3)) if match and match.group(3) else 0


def checked(raw: Any) -> list[CheckedCitation]:
    """An ``answer_citations`` event's list (or an ask result's), read leniently."""
    if not isinstance(raw, list):
        return []
    return [citation_from_json(item) for item in raw if isinstance(item, dict)]


def page_text(cite: CheckedCitation) -> str:
    """"p. 236 (PDF p. 244)": the printed page first, the PDF position when it differs."""
    label = " ".join(str(cite.page_label or "").split())
    if label and label != str(cite.page):
        return f"p. {label} (PDF p. {cite.page})"
    return f"p. {cite.page}"


def status_words(cite: CheckedCitation) -> str:
    status = str(cite.status)
    if status == "verified":
        return "Quote checked on this page"
    if status == "relocated":
        return f"Quote found on another page — corrected to {page_text(cite)}"
    if status == "no_quote":
        return "Page cited without a quote"
    if status == "invalid":
        return "Broken citation (no such document or page)"
    return "Quote not found in the documents — check this claim"


def mark(cite: CheckedCitation) -> str:
    return MARKS.get(str(cite.status), "⚠")


def title_of(cite: CheckedCitation) -> str:
    return " ".join(str(cite.title or "").split()) or f"document {cite.doc_id}"


def tooltip_text(cite: CheckedCitation) -> str:
    """The quote, the status words and the reason, as plain text (lines)."""
    lines = [f"{title_of(cite)}, {page_text(cite)}"]
    if cite.quote:
        lines.append(f"“{' '.join(cite.quote.split())}”")
    lines.append(status_words(cite))
    if cite.cited_doc_id is not None:
        lines.append(f"The answer cited document {cite.cited_doc_id}, p. {cite.cited_page}.")
    elif cite.cited_page is not None and cite.cited_page != cite.page:
        lines.append(f"The answer cited p. {cite.cited_page}.")
    if cite.reason:
        reason = " ".join(cite.reason.split())
        lines.append(reason[:1].upper() + reason[1:])
    return "\n".join(lines)


def source_line(cite: CheckedCitation) -> str:
    """"[1] ✓ Lease agreement, p. 3 — Quote checked on this page" (plain text)."""
    sign = mark(cite)
    return (f"[{cite.n}]{' ' + sign if sign else ''} {title_of(cite)}, {page_text(cite)} — "
            f"{status_words(cite)}")


_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape_markdown(text: str) -> str:
    """``text`` on one line, every ASCII punctuation character backslash-escaped: it reads as
    typed, never as a link, emphasis, a list or an entity."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def numbered_markdown(answer: str, citations: list[CheckedCitation],
                      fallback: Callable[[Citation], str]) -> str:
    """``answer`` with its n-th marker as a link "[n]✓" to the (corrected) page; a marker
    without a checked citation is written by ``fallback``."""
    by_number = {cite.n: cite for cite in citations}
    seen = 0

    def replace(marker: Citation) -> str:
        nonlocal seen
        seen += 1
        cite = by_number.get(seen)
        if cite is None:
            return fallback(marker)
        return f"[\\[{cite.n}\\]{mark(cite)}]({cite_url(cite.doc_id, cite.page, cite.n)})"

    return replace_markers(answer, replace)


def sources_markdown(citations: Iterable[CheckedCitation]) -> str:
    """The sources list: one linked paragraph per citation, its text escaped."""
    lines = [f"[{escape_markdown(source_line(cite))}]"
             f"({cite_url(cite.doc_id, cite.page, cite.n)})" for cite in citations]
    return "**Sources**\n\n" + "\n\n".join(lines) if lines else ""


def cited_markdown(answer: str, citations: list[CheckedCitation],
                   fallback: Callable[[Citation], str]) -> str:
    """The answer with numbered markers, then its sources list."""
    text = numbered_markdown(answer, citations, fallback)
    sources = sources_markdown(citations)
    return f"{text}\n\n{sources}" if sources else text


def decorate(document: QTextDocument, citations: list[CheckedCitation], palette: QPalette,
             start: int = 0) -> None:
    """From ``start`` on: give each checked citation's link its tooltip (escaped) and, for a
    quote not found or a broken citation, the warning colour."""
    by_number = {cite.n: cite for cite in citations}
    warning = semantic_color("warning", palette)
    spans: list[tuple[int, int, CheckedCitation]] = []
    for fragment in fragments(document, start):
        char_format = fragment.charFormat()
        if not char_format.isAnchor():
            continue
        cite = by_number.get(cite_number(char_format.anchorHref()))
        if cite is not None:
            spans.append((fragment.position(), fragment.length(), cite))
    for position, length, cite in spans:
        cursor = select(document, position, length)
        extra = QTextCharFormat()
        extra.setToolTip(wrapped_tooltip(tooltip_text(cite)))
        if str(cite.status) in WARNING:
            extra.setForeground(warning)
        cursor.mergeCharFormat(extra)
