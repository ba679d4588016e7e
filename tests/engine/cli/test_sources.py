"""The checked citations under an answer: numbered markers, page words, status words, and
untrusted titles and quotes made safe for a terminal."""

from __future__ import annotations

from engine.cli.sources import citations_json, numbered, page_words, source_lines


def citation(n: int, status: str, **fields: object) -> dict[str, object]:
    return {"n": n, "doc_id": 3, "path": "/d/lease.pdf", "title": "Lease", "page": 14,
            "page_label": "12", "quote": "liability shall not exceed", "status": status,
            "cited_page": None, **fields}


def test_page_words_put_the_printed_number_first() -> None:
    assert page_words(14, "12") == "p. 12 (PDF p. 14)"
    assert page_words(3, "3") == "p. 3" and page_words(3, None) == "p. 3"
    assert page_words(2, "xiv") == "p. xiv (PDF p. 2)"
    assert page_words(2, "lines 101–200") == "lines 101–200"
    assert page_words(2, "¶12–¶30") == "¶12–¶30"


def test_markers_become_numbers_in_order() -> None:
    text = 'A [[cite doc=3 page=1 quote="x"]] B [[cite doc=4 page=2]] C [[cite doc=x]]'
    assert numbered(text) == "A [1] B [2] C [[cite doc=x]]"


def test_each_status_in_the_products_words() -> None:
    lines = source_lines([
        citation(1, "verified"),
        citation(2, "relocated", page=20, page_label="18", cited_page=14),
        citation(3, "not_found"),
        citation(4, "no_quote", quote=None),
        citation(5, "invalid", title=None, path=None, page_label=None, doc_id=99, page=1,
                 quote=None),
        citation(6, "some_future_status"),
    ])
    assert lines[:2] == ["", "Sources:"]
    assert lines[2] == ('[1] Lease, p. 12 (PDF p. 14): "liability shall not exceed" — '
                        "Quote checked on this page")
    assert lines[3].endswith("Quote found on another page — corrected to p. 18 (PDF p. 20)")
    assert lines[4].endswith("Quote not found in the documents — check this claim")
    assert lines[5] == "[4] Lease, p. 12 (PDF p. 14) — Page cited without a quote"
    assert lines[6] == "[5] document 99, page 1 — Broken citation (no such document or page)"
    assert lines[7].endswith("check this claim")       # an unknown status is never a check
    assert source_lines([]) == []


def test_titles_and_quotes_are_shown_as_escapes_and_long_quotes_clipped() -> None:
    [_, _, line] = source_lines([citation(1, "verified", title="Evil\x1b]52;c;x\x07",
                                          quote="a\u202eb " + "long " * 40)])
    assert "\x1b" not in line and "\u202e" not in line and "\\x1b" in line
    assert "…" in line and len(line) < 200


def test_json_keeps_a_fixed_set_of_fields_in_order() -> None:
    [data] = citations_json([citation(1, "verified", extra="dropped")])
    assert list(data) == ["n", "doc_id", "path", "title", "page", "page_label", "quote",
                          "status", "cited_page", "cited_doc_id", "reason"]
