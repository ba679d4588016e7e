"""Citation links in the Ask panel and the run panel for markers with hostile quotes."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QTextCursor, QTextDocument

from engine.rlm.citations import format_marker
from rlm_desktop.ask.render import cite_links, cite_url, parse_cite_url
from rlm_desktop.run.format import plain_citations
from rlm_desktop.widgets.safe_text import MARKDOWN


def rendered(markdown: str) -> QTextDocument:
    document = QTextDocument()
    QTextCursor(document).insertMarkdown(markdown, MARKDOWN)
    return document


def test_quotes_with_backslashes_and_line_breaks_still_make_a_link(qapp: Any) -> None:
    windows_path = format_marker(3, 12, "C:\\Temp\\")
    text = f'See {windows_path} and [[cite doc=4 page=2 quote="one\n\ntwo \\\\ *x*"]].'
    linked = cite_links(text, {3: "Lease"}.get)
    assert '(cite:3/12 "C:\\\\Temp\\\\")' in linked
    assert '(cite:4/2 "one two \\\\\\\\ *x*")' in linked
    document = rendered(linked)
    assert document.toPlainText() == "See [Lease, p. 12] and [document 4, p. 2]."
    assert document.toHtml().count('href="cite:') == 2
    assert plain_citations(text) == "See [doc 3, p. 12] and [doc 4, p. 2]."


def test_cite_urls_round_trip_and_refuse_what_a_signal_cannot_carry() -> None:
    assert parse_cite_url(cite_url(3, 12)) == (3, 12)
    assert parse_cite_url(cite_url(-1, 2)) == (-1, 2)
    for url in ("cite:3000000000/1", "cite:3/" + "9" * 5000, "cite:3/12x", "cite:３/1", "cite:/1"):
        assert parse_cite_url(url) is None, url
