"""Finding a quote on a page: exactly, then in a normalised form, then by its first words."""

from __future__ import annotations

import re
from typing import Any

# Typographic characters a model often changes when it quotes (or a PDF when it extracts),
# each to one character, so offsets in a translated text are offsets in the original.
_TRANSLATE = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'",
                            "–": "-", "—": "-", "‑": "-", "\u00a0": " "})
FIRST_WORDS = (8, 5)          # shortened forms tried when the whole quote is not found
_ENDS = "\"'.,;:!?()[]…"


def normalised(quote: str) -> str:
    """One line, straight quotes and hyphens, no ellipsis or surrounding punctuation."""
    text = quote.translate(_TRANSLATE).replace("\u00ad", "")
    text = " ".join(text.replace("...", " ").replace("…", " ").split())
    return text.strip(_ENDS + " ")


def quote_forms(quote: str) -> list[str]:
    """The forms of a quote to look for, best first (no duplicates, none empty)."""
    quote = "".join(ch for ch in quote if ch.isprintable() or ch.isspace())
    forms = [" ".join(quote.split()), normalised(quote)]
    words = normalised(quote).split()
    forms += [" ".join(words[:count]) for count in FIRST_WORDS if len(words) > count]
    seen: list[str] = []
    for form in forms:
        if form and form not in seen:
            seen.append(form)
    return seen


Rect = tuple[float, float, float, float]     # x0, y0, x1, y1 in PDF points


def find_on_pdf_page(page: Any, quotes: list[str]) -> tuple[list[Rect], bool]:
    """The rectangles of every quote on a PyMuPDF page, each in its first form that is found;
    the flag says whether every quote was found in some form."""
    rects: list[Rect] = []
    every = True
    for quote in quotes:
        hits: list[Any] = []
        for form in quote_forms(quote):
            try:
                hits = list(page.search_for(form) or [])   # None for some odd text ("\x00")
            except Exception:     # a damaged page: the page is still shown, unhighlighted
                hits = []
            if hits:
                break
        every = every and bool(hits)
        rects += [(r.x0, r.y0, r.x1, r.y1) for r in hits]
    return rects, every


def find_in_text(text: str, quote: str) -> tuple[int, int] | None:
    """Where a quote sits in a page's text (start, end), spacing and case aside; None if not."""
    folded = text.translate(_TRANSLATE)
    for form in quote_forms(quote):
        words = form.translate(_TRANSLATE).split()
        if not words:
            continue
        pattern = r"\s+".join(re.escape(word) for word in words)
        match = re.search(pattern, folded, re.IGNORECASE)
        if match:
            return match.start(), match.end()
    return None
