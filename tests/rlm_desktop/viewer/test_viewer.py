"""The source viewer in the window: citations and the library open it at the right page."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication

from rlm_desktop.viewer import render
from tests.engine.ingest.makers import make_pdf
from tests.rlm_desktop.ask.test_flow import add_lease, ask
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS
from tests.support.fake_openai import FakeOpenAI, by_model, sequence
from tests.support.harness import repl


def quoting_script(quote: str) -> Any:
    root = sequence(
        repl('hits = [d for d in documents if "Lease" in d["title"]]\n'
             f'FINAL("The code is 7319 " + cite(hits[0]["id"], 2, {quote!r}))'))
    return by_model({"fake-root": root, "fake-sub": lambda request: "unused"})


def shown(qtbot: Any, viewer: Any, mode: str) -> None:
    qtbot.waitUntil(lambda: viewer.mode == mode and viewer.doc is not None,
                    timeout=REPLY_TIMEOUT_MS)


def click_citation(panel: Any) -> None:
    """Click the first citation link of the Ask panel's answer (as a mouse click would)."""
    html = panel.view.toHtml()
    start = html.index('href="cite:') + len('href="')
    panel.view.anchorClicked.emit(QUrl(html[start:html.index('"', start)]))


def test_a_citation_opens_the_cited_pdf_page_with_the_quote_highlighted(
        qtbot: Any, window: Any, configured: FakeOpenAI, tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    configured.set_script(quoting_script("the secret code is 7319"))
    ask(qtbot, window, "What is the code?")
    click_citation(window.ask_panel)
    viewer = window.viewer
    shown(qtbot, viewer, "pdf")
    assert window.side_tabs.currentWidget() is viewer
    assert viewer.page == 2 and viewer.page_label.text() == "p. 2 of 2"
    assert viewer.title.text() == "Lease" and viewer.notice_text() == ""
    rects = viewer.canvas.highlight_rects()
    assert len(rects) == 1 and rects[0].width() > viewer.canvas.width() * 0.1
    assert viewer.canvas.rect().contains(rects[0].toRect())
    qtbot.waitUntil(lambda: viewer.canvas.drawn_rects == rects, timeout=5000)  # painted
    assert viewer.last_render_s < 2.0
    # Zoom and pages, by keyboard.
    width = viewer.canvas.width()
    window.activateWindow()
    viewer.scroll_area.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is viewer.scroll_area, timeout=2000)
    qtbot.keyClick(viewer.scroll_area, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: viewer.canvas.width() > width * 1.2, timeout=REPLY_TIMEOUT_MS)
    assert not viewer.fit_width
    qtbot.keyClick(viewer.scroll_area, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: viewer.page_label.text() == "p. 1 of 2", timeout=REPLY_TIMEOUT_MS)
    assert not viewer.prev_action.isEnabled() and viewer.next_action.isEnabled()


def test_a_quote_not_on_the_page_shows_the_page_and_says_so(
        qtbot: Any, window: Any, configured: FakeOpenAI, tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    configured.set_script(quoting_script("words that are nowhere in this lease"))
    ask(qtbot, window, "What is the code?")
    click_citation(window.ask_panel)
    shown(qtbot, window.viewer, "pdf")
    assert window.viewer.canvas.highlight_rects() == []
    assert window.viewer.notice_text() == "Quote not found on this page."


def test_double_click_in_the_library_opens_page_one_drawn_off_the_gui_thread(
        qtbot: Any, window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    real = render.render_page

    def recording(request: render.PageRequest) -> render.RenderedPage:
        threads.append(threading.current_thread())
        return real(request)

    monkeypatch.setattr(render, "render_page", recording)
    add_lease(qtbot, window, tmp_path / "docs")
    table = window.library.table
    index = table.model().index(0, 0)
    table.doubleClicked.emit(index)
    shown(qtbot, window.viewer, "pdf")
    assert window.viewer.page == 1 and window.side_tabs.currentWidget() is window.viewer
    assert threads and threading.main_thread() not in threads


def test_a_moved_file_shows_the_stored_text_and_says_so(qtbot: Any, window: Any,
                                                        tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    lease = window.library.model.documents()[0]
    os.rename(lease.path, tmp_path / "elsewhere.pdf")
    window.show_source(lease.id, 2, ["secret code is 7319"])
    viewer = window.viewer
    shown(qtbot, viewer, "text")
    assert "no longer where it was added" in viewer.notice_text()
    assert "Clause 9: the secret code is 7319." in viewer.text_view.toPlainText()
    start, end = viewer.text_spans[0]
    assert viewer.text_view.toPlainText()[start:end] == "secret code is 7319"
    assert len(viewer.text_view.extraSelections()) == 1


def test_a_changed_file_is_never_shown_as_the_cited_page(qtbot: Any, window: Any,
                                                         tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    lease = window.library.model.documents()[0]
    make_pdf(Path(lease.path), ["A new first page.", "Another page entirely.", "And more."])
    window.show_source(lease.id, 2)
    shown(qtbot, window.viewer, "text")
    assert "has changed since it was added" in window.viewer.notice_text()
    assert "secret code is 7319" in window.viewer.text_view.toPlainText()


def test_a_text_document_shows_hostile_text_as_typed_with_the_quote_highlighted(
        qtbot: Any, window: Any, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    hostile = "Memo <b>bold</b> <img src='file:///etc/passwd'> &amp; the fee is 12%."
    (folder / "memo.txt").write_text(hostile, encoding="utf-8")
    window.library.add_paths([str(folder)])
    qtbot.waitUntil(lambda: window.library.document_count() == 1 and
                    not window.library.runner.running, timeout=REPLY_TIMEOUT_MS)
    memo = window.library.model.documents()[0]
    window.show_source(memo.id, 1, ["<b>bold</b> <img"])
    viewer = window.viewer
    shown(qtbot, viewer, "text")
    assert viewer.text_view.toPlainText().strip() == hostile
    start, end = viewer.text_spans[0]
    assert viewer.text_view.toPlainText()[start:end] == "<b>bold</b> <img"
    assert viewer.notice_text() == "" and not viewer.zoom_in_action.isEnabled()


def test_a_word_document_shows_its_stored_page_text(qtbot: Any, window: Any,
                                                    tmp_path: Path) -> None:
    import docx

    folder = tmp_path / "word"
    folder.mkdir()
    document = docx.Document()
    document.add_paragraph("The indemnity is capped at <i>EUR 2 million</i> per claim.")
    document.save(str(folder / "memo.docx"))
    window.library.add_paths([str(folder)])
    qtbot.waitUntil(lambda: window.library.document_count() == 1 and
                    not window.library.runner.running, timeout=REPLY_TIMEOUT_MS)
    memo = window.library.model.documents()[0]
    window.show_source(memo.id, 1, ["capped at <i>EUR 2 million</i>"])
    viewer = window.viewer
    shown(qtbot, viewer, "text")
    start, end = viewer.text_spans[0]
    assert viewer.text_view.toPlainText()[start:end] == "capped at <i>EUR 2 million</i>"
    assert viewer.page_label.text() == "p. ¶1 (page 1)"      # paragraph-labelled page


def test_a_document_removed_from_the_library_says_so(qtbot: Any, window: Any) -> None:
    window.show_source(987_654, 1)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=REPLY_TIMEOUT_MS)
    assert "removed from the library" in window.banner.text.text()
    assert "removed from the library" in window.viewer.notice_text()


def test_a_printed_page_label_is_shown_beside_the_pdf_page(qtbot: Any, window: Any,
                                                           tmp_path: Path) -> None:
    folder = tmp_path / "book"
    folder.mkdir()
    make_pdf(folder / "book.pdf", [f"Page {n} of the book." for n in range(1, 6)],
             labels=[{"startpage": 0, "prefix": "", "style": "r", "firstpagenum": 1},
                     {"startpage": 2, "prefix": "", "style": "D", "firstpagenum": 235}])
    window.library.add_paths([str(folder)])
    qtbot.waitUntil(lambda: window.library.document_count() == 1 and
                    not window.library.runner.running, timeout=REPLY_TIMEOUT_MS)
    book = window.library.model.documents()[0]
    window.show_source(book.id, 4, ["Page 4 of the book"])
    viewer = window.viewer
    shown(qtbot, viewer, "pdf")
    assert viewer.page_label.text() == "p. 236 (PDF p. 4)"       # VOCABULARY.md's form
    assert viewer.page_label.toolTip() == "5 pages in all"
    assert len(viewer.canvas.highlight_rects()) == 1
    viewer.next_action.trigger()
    qtbot.waitUntil(lambda: viewer.page_label.text() == "p. 237 (PDF p. 5)",
                    timeout=REPLY_TIMEOUT_MS)
    # The quote belongs to the cited page: no highlight and no "not found" elsewhere.
    assert viewer.canvas.highlight_rects() == [] and viewer.notice_text() == ""
    assert not viewer.next_action.isEnabled()
    viewer.prev_action.trigger()
    qtbot.waitUntil(lambda: viewer.page == 4 and len(viewer.canvas.highlight_rects()) == 1,
                    timeout=REPLY_TIMEOUT_MS)


def test_a_pdf_attached_to_an_e_mail_shows_its_stored_page_text(qtbot: Any, window: Any,
                                                                tmp_path: Path) -> None:
    from tests.engine.ingest.officemakers import make_eml, make_message

    folder = tmp_path / "mail"
    folder.mkdir()
    pdf = make_pdf(tmp_path / "terms.pdf", ["Cover", "The fee is 4% of the price."])
    make_eml(folder / "deal.eml", make_message("Deal", "See the terms.",
                                               attachments=[("terms.pdf", pdf.read_bytes())]))
    window.library.add_paths([str(folder)])
    qtbot.waitUntil(lambda: window.library.document_count() == 2 and
                    not window.library.runner.running, timeout=REPLY_TIMEOUT_MS)
    terms = next(d for d in window.library.model.documents() if d.path.endswith("#terms.pdf"))
    window.show_source(terms.id, 2, ["fee is 4%"])
    viewer = window.viewer
    shown(qtbot, viewer, "text")
    start, end = viewer.text_spans[0]
    assert viewer.text_view.toPlainText()[start:end] == "fee is 4%"
    assert viewer.notice_text() == ""
    assert viewer.page_label.text() == "p. 2 of 2"
