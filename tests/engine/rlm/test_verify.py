"""Resolving and checking citations: the normalisation, the bounded approximate search, and
every status, with near-miss invented quotes and hostile input."""

from __future__ import annotations

import time

import pytest

from engine.context_format import Page, SourceDocument, build_context
from engine.rlm.citations import format_marker
from engine.rlm.verify import (
    MAX_QUOTE_CHARS,
    CitationStatus,
    PageIndex,
    check_citations,
    contains,
    fuzzy_find,
    normalise,
)

LEASE = [
    Page(1, "LEASE AGREEMENT\nbetween Alpha Ltd and Beta plc.", label="i"),
    Page(2, "Clause 9. The Landlord’s liability shall not exceed\nten thousand dollars "
            "(USD 10,000) upon termi-\nnation of the lease.", label="1"),
    Page(3, "Clause 12. The ﬁnal notice — “in writing” — must reach the tenant\n"
            "within thirty (30) days.", label="2"),
]
MEMO = [Page(1, "Board memo: the budget for 2026 is approved.")]


@pytest.fixture(scope="module")
def index() -> PageIndex:
    context, documents = build_context([
        SourceDocument(3, "Lease", "/docs/lease.pdf", "pdf", LEASE),
        SourceDocument(7, "Memo", "/docs/memo.txt", "text", MEMO)])
    return PageIndex.from_context(context, documents)


def one(index: PageIndex, doc: int, page: int, quote: str | None) -> dict[str, object]:
    [checked] = check_citations("Claim " + format_marker(doc, page, quote), index)
    return checked.to_json()


def test_normalise_joins_line_end_hyphens_and_straightens_ligatures_quotes_and_dashes() -> None:
    assert normalise("upon termi-\nnation") == "upon termination"
    assert normalise("upon termi- nation") == "upon termination"
    assert normalise("The ﬁnal “notice” — ’s") == "the final \"notice\" - 's"
    assert normalise("  A\n\tB  ") == "a b"


@pytest.mark.parametrize("quote", [
    "liability shall not exceed ten thousand dollars",
    "LIABILITY SHALL NOT EXCEED TEN THOUSAND DOLLARS",
    "upon termination of the lease",
    "The Landlord's liability shall not exceed ten thousand dollars",   # straight apostrophe
    "liability shall not exceed ten thousend dollars (USD 10,000)",    # a typo
])
def test_the_quote_on_its_page_is_verified(index: PageIndex, quote: str) -> None:
    result = one(index, 3, 2, quote)
    assert result["status"] == "verified"
    assert (result["title"], result["path"], result["page"], result["page_label"]) == \
        ("Lease", "/docs/lease.pdf", 2, "1")
    assert result["cited_page"] is None


def test_ligatures_and_curly_quotes_in_the_page(index: PageIndex) -> None:
    assert one(index, 3, 3, 'The final notice - "in writing" - must reach')["status"] == \
        "verified"


@pytest.mark.parametrize("quote", [
    "liability shall not exceed twenty thousand dollars (USD 20,000)",  # another amount
    "liability shall not exceed ten thousand dollars (USD 10,500) upon",  # one digit
    "The Landlord's liability shall exceed ten thousand dollars (USD 10,000)",  # no "not"
    "within thirty (31) days",
    "liability shall not exceed twenty thousand dollars upon termination",  # a number word
    "The Landlord's liability shall not exceed ten hundred dollars (USD 10,000)",
    "within three (30) days",                                           # short: exact only
    "the tenant may terminate the lease at any time without notice",    # invented
])
def test_a_near_miss_invented_quote_is_never_verified(index: PageIndex, quote: str) -> None:
    assert one(index, 3, 2, quote)["status"] == "not_found"
    assert one(index, 3, 3, quote)["status"] == "not_found"


def test_a_quote_on_another_page_is_relocated_and_corrected(index: PageIndex) -> None:
    result = one(index, 3, 1, "must reach the tenant within thirty (30) days")
    assert result["status"] == "relocated"
    assert (result["doc_id"], result["page"], result["page_label"], result["cited_page"]) == \
        (3, 3, "2", 1)


def test_a_quote_in_another_document_is_relocated_there(index: PageIndex) -> None:
    result = one(index, 3, 2, "the budget for 2026 is approved")
    assert result["status"] == "relocated"
    assert (result["doc_id"], result["page"], result["cited_page"], result["cited_doc_id"]) == \
        (7, 1, 2, 3)


def test_no_quote_and_invalid(index: PageIndex) -> None:
    assert one(index, 3, 2, None)["status"] == "no_quote"
    missing_doc = one(index, 99, 1, None)
    assert missing_doc["status"] == "invalid" and missing_doc["title"] is None
    assert one(index, 3, 40, "no such words anywhere in here")["status"] == "invalid"
    assert one(index, -1, -5, "x")["status"] == "invalid"


def test_every_marker_in_order_numbered(index: PageIndex) -> None:
    answer = (f"A {format_marker(3, 2, 'ten thousand dollars')} B {format_marker(7, 1)} "
              f"C {format_marker(12, 1, 'x')}")
    checked = check_citations(answer, index)
    assert [(c.n, c.status) for c in checked] == [
        (1, CitationStatus.VERIFIED), (2, CitationStatus.NO_QUOTE), (3, CitationStatus.INVALID)]


@pytest.mark.parametrize("quote", [
    ".*", "(((", "[a-z]+", "\\d{3}", "$^", "ten.thousand", "дом и сад", "契約の終了",
    "\x00\x1b[2J", " ", "\u202e evil",
])
def test_hostile_quotes_get_a_clear_status(index: PageIndex, quote: str) -> None:
    assert one(index, 3, 2, quote)["status"] in {"not_found", "no_quote"}


def test_another_script_is_found_exactly() -> None:
    context, documents = build_context([SourceDocument(1, "Договор", "d.txt", "text", [
        Page(1, "Арендатор обязан уведомить арендодателя письменно.")])])
    index = PageIndex.from_context(context, documents)
    assert one(index, 1, 1, "уведомить арендодателя письменно")["status"] == "verified"


def test_a_huge_quote_is_refused_quickly(index: PageIndex) -> None:
    quote = "ten thousand dollars " * 5_000          # 100 KB
    started = time.perf_counter()
    [checked] = check_citations(f'[[cite doc=3 page=2 quote="{quote}"]]', index)
    assert time.perf_counter() - started < 0.5
    assert checked.status == CitationStatus.NOT_FOUND
    assert checked.reason and f"{MAX_QUOTE_CHARS:,}" in checked.reason


def test_fuzzy_search_is_bounded_on_a_large_repetitive_text() -> None:
    text = normalise("the the the the " * 50_000)
    started = time.perf_counter()
    assert fuzzy_find(text, normalise("the the the the the cat the the the the the")) is None
    assert time.perf_counter() - started < 1.0


def test_contains_needs_the_same_digits_and_words() -> None:
    page = normalise("the deposit of 5,000 euros is due on 1 March 2026")
    assert contains(page, normalise("the deposit of 5,000 euro is due on 1 March 2026"))
    assert not contains(page, normalise("the deposit of 6,000 euros is due on 1 March 2026"))
    assert not contains(page, normalise("the deposit of 5,000 euros is not due on 1 March 2026"))


def test_locate_finds_every_page(index: PageIndex) -> None:
    assert [(r.doc_id, r.page, r.label) for r in index.locate("thirty (30) days")] == \
        [(3, 3, "2")]
    assert index.locate("nowhere at all in these pages") == []
    assert index.locate("") == []


def test_a_selection_without_an_index_has_nothing_to_resolve() -> None:
    index = PageIndex.from_context("plain text", [])
    assert one(index, 1, 1, "plain text")["status"] == "invalid"
