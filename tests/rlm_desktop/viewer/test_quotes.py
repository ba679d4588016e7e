"""Finding a quote: exact, normalised, first words; and where it sits in a page's text."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from rlm_desktop.viewer.panel import page_caption
from rlm_desktop.viewer.quotes import find_in_text, find_on_pdf_page, quote_forms
from tests.engine.ingest.makers import make_pdf


def test_quote_forms_go_from_exact_to_first_words() -> None:
    forms = quote_forms("“The tenant shall pay rent monthly — in advance, without any deduction…”")
    assert forms[0].startswith("“The tenant")
    assert forms[1] == 'The tenant shall pay rent monthly - in advance, without any deduction'
    assert forms[-1] == "The tenant shall pay rent"
    assert quote_forms("   ") == []


def test_a_pdf_quote_is_found_exactly_shortened_or_not_at_all(tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["The tenant shall pay the rent on the first day of "
                                        "each month."])
    with pymupdf.open(pdf) as doc:
        page = doc.load_page(0)
        rects, found = find_on_pdf_page(page, ["pay the rent on the first day"])
        assert found and len(rects) == 1 and rects[0][2] > rects[0][0]
        # The model's quote runs on past the page's words: its first words are found.
        rects, found = find_on_pdf_page(page, ["The tenant shall pay the rent on the "
                                               "first day of every single month, always"])
        assert found and rects
        assert find_on_pdf_page(page, ["nothing like this is on the page"]) == ([], False)


def test_find_in_text_ignores_spacing_case_and_typographic_quotes() -> None:
    text = "Clause 9:\nthe  Tenant’s obligation\nis <b>absolute</b>."
    start, end = find_in_text(text, "the tenant's obligation is") or (0, 0)
    assert text[start:end] == "the  Tenant’s obligation\nis"
    assert find_in_text(text, "<b>absolute</b>") is not None
    assert find_in_text(text, "not there") is None


def test_page_caption_names_the_printed_label_when_it_differs() -> None:
    assert page_caption(244, "236", 300) == "p. 236 (PDF p. 244)"
    assert page_caption(3, "3", 9) == "p. 3 of 9" and page_caption(3, "", 0) == "p. 3"
    assert page_caption(3, "¶12–¶30", 9, pdf=False) == "p. ¶12–¶30 (page 3)"


def test_a_page_whose_search_gives_none_or_fails_is_shown_unhighlighted() -> None:
    class OddPage:      # PyMuPDF's search_for returns None on some pages ("\x00" text)
        def __init__(self, result: object) -> None:
            self.result = result

        def search_for(self, text: str) -> object:
            if isinstance(self.result, Exception):
                raise self.result
            return self.result

    assert find_on_pdf_page(OddPage(None), ["a quote"]) == ([], False)
    assert find_on_pdf_page(OddPage(RuntimeError("damaged")), ["a quote"]) == ([], False)
    assert quote_forms("a\x00 quote") == ["a quote"]
