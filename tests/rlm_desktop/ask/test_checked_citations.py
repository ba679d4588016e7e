"""Checked citations (the engine's answer_citations event) in the Ask panel and the run card:
numbered markers with VOCABULARY.md's marks, tooltips, the sources list, hostile text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument

from engine.rlm.citations import format_marker
from rlm_desktop.ask.panel import AskPanel
from rlm_desktop.ask.render import Turn, render
from rlm_desktop.replies import AskResult
from rlm_desktop.run.items import OutcomeCard
from rlm_desktop.run.tree import RunNode, RunTree
from rlm_desktop.widgets.citation_marks import cite_number, parse_cite_url
from rlm_desktop.widgets.icons import semantic_color
from tests.rlm_desktop.ask.test_panel import FakeClient

HOSTILE = '<img src="file:///etc/passwd"><b>bold</b> [x](https://evil) **y**'


def cite(n: int, status: str, **more: Any) -> dict[str, Any]:
    base = {"n": n, "doc_id": 3, "path": "/docs/lease.pdf", "title": "Lease agreement",
            "page": 3, "page_label": None, "quote": "the rent is due", "status": status,
            "cited_page": None, "cited_doc_id": None, "reason": None}
    return base | more


ANSWER = ("Rent " + format_marker(3, 3, "the rent is due") + ", moved "
          + format_marker(3, 9, "deposit of two months") + ", missing "
          + format_marker(3, 4, "a pony") + ", bare " + format_marker(3, 5)
          + ", broken " + format_marker(77, 1, "nothing") + ".")

CITATIONS = [
    cite(1, "verified"),
    cite(2, "relocated", page=12, page_label="10", quote="deposit of two months",
         cited_page=9),
    cite(3, "not_found", page=4, quote="a pony", reason="the quote is on no page"),
    cite(4, "no_quote", page=5, quote=None),
    cite(5, "invalid", doc_id=77, title=None, path=None, page=1, quote="nothing",
         reason="no such document"),
]


def anchors(document: QTextDocument) -> dict[int, tuple[str, str, Any]]:
    """The first link of each checked citation: its text, tooltip and foreground colour."""
    found: dict[int, tuple[str, str, Any]] = {}
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            iterator += 1
            fmt = fragment.charFormat()
            n = cite_number(fmt.anchorHref()) if fmt.isAnchor() else 0
            if n and n not in found:
                found[n] = (fragment.text(), fmt.toolTip(), fmt.foreground().color())
        block = block.next()
    return found


def rendered(turn: Turn) -> QTextDocument:
    document = QTextDocument()
    render(document, [turn], AskPanel(FakeClient(), lambda: (None, None)).palette(),  # type: ignore[arg-type]
           {3: "Lease agreement"}.get)
    return document


def done_turn(citations: list[dict[str, Any]] | None) -> Turn:
    turn = Turn("What about rent?")
    turn.apply_result(AskResult.from_json(
        {"answer": ANSWER, "stop_reason": "answered", "duration_s": 1.0, "usage": {},
         "citations": citations or []}))
    return turn


def test_each_status_has_its_number_mark_and_tooltip_words(qtbot: Any) -> None:
    document = rendered(done_turn(CITATIONS))
    text = document.toPlainText()
    assert "Rent [1]✓, moved [2]↪, missing [3]⚠, bare [4], broken [5]⚠." in text
    assert "Sources" in text
    assert "[1] ✓ Lease agreement, p. 3 — Quote checked on this page" in text
    assert ("[2] ↪ Lease agreement, p. 10 (PDF p. 12) — Quote found on another page — "
            "corrected to p. 10 (PDF p. 12)") in text
    assert ("[3] ⚠ Lease agreement, p. 4 — Quote not found in the documents — "
            "check this claim") in text
    assert "[4] Lease agreement, p. 5 — Page cited without a quote" in text
    assert "[5] ⚠ document 77, p. 1 — Broken citation (no such document or page)" in text
    links = anchors(document)
    assert sorted(links) == [1, 2, 3, 4, 5]
    tips = {n: QTextDocument() for n in links}
    for n, doc in tips.items():
        doc.setHtml(links[n][1])          # the tooltip as Qt shows it: rich text
    assert "“the rent is due”" in tips[1].toPlainText()
    assert "Quote checked on this page" in tips[1].toPlainText()
    assert "corrected to p. 10 (PDF p. 12)" in tips[2].toPlainText()
    assert "The answer cited p. 9." in tips[2].toPlainText()
    assert "check this claim" in tips[3].toPlainText()
    assert "The quote is on no page" in tips[3].toPlainText()
    assert "Page cited without a quote" in tips[4].toPlainText()
    assert "No such document" in tips[5].toPlainText()
    warning = semantic_color("warning", AskPanel(FakeClient(),  # type: ignore[arg-type]
                                                 lambda: (None, None)).palette())
    assert links[3][2] == warning and links[5][2] == warning
    assert links[1][2] != warning and links[4][2] != warning


def test_a_relocated_citation_opens_the_corrected_page(qtbot: Any) -> None:
    client = FakeClient()
    panel = AskPanel(client, lambda: ("acme", None))  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    panel.ask("What about rent?")
    _, _, on_event, on_done = client.requests[-1]
    on_event({"type": "answer_citations", "run_id": "r1", "depth": 0,
              "citations": CITATIONS})
    on_done({"ok": True, "result": {"answer": ANSWER, "stop_reason": "answered",
                                    "usage": {}, "duration_s": 1.0}})
    links = anchors(panel.view.document())
    assert links[2][0].startswith("[2]")
    opened: list[tuple[int, int]] = []
    panel.citation_clicked.connect(lambda doc, page: opened.append((doc, page)))
    html = panel.view.toHtml()
    assert 'href="cite:3/12/2"' in html and "cite:3/9" not in html
    panel._link(QUrl("cite:3/12/2"))
    assert opened == [(3, 12)]
    assert parse_cite_url("cite:3/12/2") == (3, 12)
    assert panel.quotes_for(3, 12) == ["deposit of two months"]   # the viewer marks it there
    assert panel.quotes_for(3, 9) == []


def test_hostile_quote_and_title_stay_plain(qtbot: Any) -> None:
    citations = [cite(1, "not_found", title=HOSTILE, quote=HOSTILE, reason=HOSTILE),
                 cite(2, "verified", title=HOSTILE, page_label=HOSTILE)]
    turn = Turn("q")
    turn.apply_result(AskResult.from_json(
        {"answer": "A " + format_marker(3, 3, HOSTILE) + " B " + format_marker(3, 3),
         "stop_reason": "answered", "usage": {}, "citations": citations}))
    document = rendered(turn)
    text = document.toPlainText()
    one_line = " ".join(HOSTILE.split())
    assert f"[1] ⚠ {one_line}, p. 3 — Quote not found" in text
    assert f"[2] ✓ {one_line}, p. {one_line} (PDF p. 3)" in text
    html = document.toHtml()
    assert "<img" not in html and 'href="https://evil"' not in html and "<b>bold" not in html
    assert "[x](https://evil) **y**" in text          # the Markdown shows as typed
    for _text, tip, _colour in anchors(document).values():
        tip_doc = QTextDocument()
        tip_doc.setHtml(tip)
        assert "<img" not in tip_doc.toHtml()
    tip = anchors(document)[1][1]
    assert "&lt;img" in tip and "<img" not in tip


def test_an_answer_without_checked_citations_renders_as_before(qtbot: Any) -> None:
    text = rendered(done_turn(None)).toPlainText()
    assert "Rent [Lease agreement, p. 3], moved [Lease agreement, p. 9]" in text
    assert "Sources" not in text and "[1]" not in text


def test_the_run_card_shows_the_numbered_markers_and_sources(qtbot: Any) -> None:
    tree = RunTree()
    for event in ({"type": "run_started", "run_id": "r1", "depth": 0, "question": "q"},
                  {"type": "answer", "run_id": "r1", "depth": 0, "text": ANSWER},
                  {"type": "answer_citations", "run_id": "r1", "depth": 0,
                   "citations": CITATIONS},
                  {"type": "run_finished", "run_id": "r1", "depth": 0,
                   "stop_reason": "answered", "duration_s": 1.0}):
        tree.apply(event)
    run = tree.root
    assert run is not None and [c["n"] for c in run.citations] == [1, 2, 3, 4, 5]
    card = OutcomeCard()
    qtbot.addWidget(card)
    card.show_run(run)
    text = card.answer.view.text()
    assert "Rent [1]✓, moved [2]↪, missing [3]⚠, bare [4], broken [5]⚠." in text
    assert "[1] ✓ Lease agreement, p. 3 — Quote checked on this page" in text
    links = anchors(card.answer.view.document())
    assert "Quote checked on this page" in links[1][1]
    card.answer.view.anchorClicked.emit(QUrl("cite:3/12/2"))   # opens nothing, asks nothing
    # Without the event: as before.
    plain = RunNode(run_id="r2", answer=ANSWER, stop_reason="answered")
    card.show_run(plain)
    assert "Rent [doc 3, p. 3], moved [doc 3, p. 9]" in card.answer.view.text()
    assert "Sources" not in card.answer.view.text()
