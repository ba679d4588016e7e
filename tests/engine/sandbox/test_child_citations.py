"""The REPL child's cite() and engine.rlm.citations agree on every marker (the child cannot
import the module, so these tests are what keeps the two from drifting)."""

from __future__ import annotations

import random

import pytest

from engine.rlm import citations
from engine.sandbox import child
from tests.engine.rlm.test_citations import HOSTILE_QUOTES

# Characters that stress the grammar, mixed at random below.
PIECES = ['"', "\\", "]", "[", "]]", '"]]', '\\"', " ", "  ", "\n", "\t", "\r\n", "a", "Z",
          "é", "引", "🙂", "\x1b", "\x00", "\u2028", "\u202e", "quote=", "[[cite doc=1 page=2"]


def random_quotes(count: int, seed: int = 20251120) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))
            for _ in range(count)]


@pytest.fixture
def no_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(child, "DOC_INDEX", {})


@pytest.fixture
def documents_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(child, "DOC_INDEX", {"1": ("Alpha", [1, 2]), "12": ("Beta", [3, 40])})


def test_both_clip_quotes_to_the_same_length() -> None:
    assert citations.QUOTE_MAX_CHARS == child.QUOTE_MAX_CHARS


@pytest.mark.usefixtures("documents_index")
@pytest.mark.parametrize("quote", [None, *HOSTILE_QUOTES])
def test_child_markers_parse_back_to_what_was_cited(quote: str | None) -> None:
    marker = child.cite("12", 40, quote)
    text = f"Clause 9 {marker}, and more."
    expected = None if quote is None else citations.clean_quote(quote)
    assert citations.parse_markers(text) == [citations.Citation(12, 40, expected, 9,
                                                                9 + len(marker))]
    assert marker == citations.format_marker(12, 40, quote)


@pytest.mark.usefixtures("no_documents")
def test_random_hostile_quotes_round_trip() -> None:
    for n, quote in enumerate(random_quotes(2000)):
        marker = child.cite(n, n % 7 + 1, quote)
        assert marker == citations.format_marker(n, n % 7 + 1, quote), quote
        (cite,) = citations.parse_markers(f"x{marker}y")
        assert (cite.doc_id, cite.page, cite.quote) == (n, n % 7 + 1,
                                                        citations.clean_quote(quote)), quote


@pytest.mark.usefixtures("no_documents")
def test_markers_side_by_side_stay_apart() -> None:
    quotes = random_quotes(50, seed=7)
    markers = [child.cite(i, 1, q) for i, q in enumerate(quotes)]
    found = citations.parse_markers("".join(markers))
    assert [c.doc_id for c in found] == list(range(len(quotes)))
    assert [c.quote for c in found] == [citations.clean_quote(q) for q in quotes]


@pytest.mark.usefixtures("no_documents")
@pytest.mark.parametrize(("doc_id", "page"), [("007", "3"), (-4, -1), (" 5 ", 0),
                                              (9_223_372_036_854_775_807, 1)])
def test_ids_the_child_accepts_without_documents_parse_too(doc_id: int | str,
                                                           page: int | str) -> None:
    (cite,) = citations.parse_markers(child.cite(doc_id, page, "q"))
    assert (cite.doc_id, cite.page, cite.quote) == (int(doc_id), int(page), "q")
