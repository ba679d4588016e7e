"""Citation markers: format and parse round trip, hostile quotes, malformed markers, replacing."""

from __future__ import annotations

import time

import pytest

from engine.rlm.citations import (
    QUOTE_MAX_CHARS,
    Citation,
    clean_quote,
    format_marker,
    parse_markers,
    replace_markers,
)

HOSTILE_QUOTES = [
    "",
    "liability shall not exceed",
    'the "deadline" is May 3',
    '"',
    '""',
    "a]]b",
    'ends in "]]',
    "]]]]",
    "back\\slash",
    "ends in a backslash\\",
    "\\",
    "\\\\",
    '\\"',
    'a\\"]]b',
    "C:\\Temp\\",
    "line one\nline two\r\n\tthree",
    "  padded  ",
    "[[cite doc=1 page=2]]",
    '[[cite doc=1 page=2 quote="nested"]]',
    "ünïcødé — “quotes” 引用 🙂",
    "escape \x1b[31m red \x00 nul",
    "y" * 1000,
]


def test_a_marker_reads_as_the_repl_writes_it() -> None:
    assert format_marker(3, 12) == "[[cite doc=3 page=12]]"
    assert (format_marker(3, 12, "liability shall not exceed")
            == '[[cite doc=3 page=12 quote="liability shall not exceed"]]')
    assert (format_marker(1, 2, 'the "deadline"')
            == '[[cite doc=1 page=2 quote="the \\"deadline\\""]]')


@pytest.mark.parametrize("quote", HOSTILE_QUOTES)
def test_format_then_parse_gives_back_the_cleaned_quote(quote: str) -> None:
    marker = format_marker(7, 41, quote)
    text = f"Before {marker} after."
    assert parse_markers(text) == [Citation(7, 41, clean_quote(quote), 7, 7 + len(marker))]


def test_without_a_quote_the_quote_is_none_and_an_empty_one_stays_empty() -> None:
    assert parse_markers(format_marker(1, 1)) == [Citation(1, 1, None, 0, 21)]
    assert [c.quote for c in parse_markers(format_marker(1, 1, "  \n "))] == [""]


def test_clean_quote_collapses_whitespace_drops_brackets_and_clips() -> None:
    assert clean_quote("  a \n\t b  ") == "a b"
    assert clean_quote("x]] y]") == "x y"
    assert clean_quote("z" * 1000) == "z" * QUOTE_MAX_CHARS


def test_format_rejects_what_is_not_an_id() -> None:
    with pytest.raises(TypeError):
        format_marker(True, 1)
    with pytest.raises(TypeError):
        format_marker("3", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="digits"):
        format_marker(10**19, 1)
    assert parse_markers(format_marker(9_223_372_036_854_775_807, -1))[0].page == -1


def test_several_markers_in_order_with_their_spans() -> None:
    first, second, third = (format_marker(1, 2), format_marker(3, 4, 'x "y"'),
                            format_marker(5, 6, "z\\"))
    text = f"A {first}{second}\nB {third}."
    found = parse_markers(text)
    assert [(c.doc_id, c.page, c.quote) for c in found] == [(1, 2, None), (3, 4, 'x "y"'),
                                                            (5, 6, "z\\")]
    assert [text[c.start:c.end] for c in found] == [first, second, third]


def test_markers_written_by_hand_may_hold_brackets_and_line_breaks() -> None:
    text = '[[cite doc=2 page=5 quote="a ] b\nc [d]"]] and [[cite doc=02 page=007]]'
    found = parse_markers(text)
    assert [(c.doc_id, c.page, c.quote) for c in found] == [(2, 5, "a ] b\nc [d]"),
                                                            (2, 7, None)]


def test_the_first_closing_quote_ends_the_marker() -> None:
    text = '[[cite doc=1 page=1 quote="a\\"]] b"]]'
    (cite,) = parse_markers(text)
    assert cite.quote == "a\\" and text[cite.end:] == ' b"]]'


@pytest.mark.parametrize("text", [
    "[[cite doc=3 page=12",
    "[[cite doc=3 page=12]",
    "[cite doc=3 page=12]]",
    "[[cite doc=3]]",
    "[[cite page=12 doc=3]]",
    "[[cite doc=x page=12]]",
    "[[cite doc=3 page=]]",
    "[[cite doc=3 page=1.5]]",
    "[[cite doc=3  page=12]]",
    "[[Cite doc=3 page=12]]",
    "[[cite doc=3 page=12 ]]",
    "[[cite doc=3 page=12 quote=]]",
    "[[cite doc=3 page=12 quote=\"unterminated]]",
    "[[cite doc=3 page=12 quote='single']]",
    '[[cite doc=3 page=12 quote="bare " quote"]]',
    '[[cite doc=3 page=12 quote="x" extra]]',
    "[[cite doc=３ page=12]]",                       # full-width digit
    "[[cite doc=" + "9" * 20 + " page=1]]",           # int() of thousands of digits raises
    "[[cite doc=" + "9" * 5000 + " page=1]]",
    "[[cite doc=- page=1]]",
    "[[not a cite]]",
])
def test_malformed_markers_stay_plain_text(text: str) -> None:
    assert parse_markers(text) == []
    assert replace_markers(text, lambda cite: "REPLACED") == text


def test_a_malformed_marker_does_not_hide_the_next_one() -> None:
    text = ('[[cite doc=1 page=2 quote="never closed [[cite doc=3 page=4]] '
            "then [[cite doc=5 page=6]]")
    assert [(c.doc_id, c.page) for c in parse_markers(text)] == [(3, 4), (5, 6)]


def test_replace_markers_calls_back_once_per_marker() -> None:
    seen: list[Citation] = []

    def label(cite: Citation) -> str:
        seen.append(cite)
        return f"<{cite.doc_id}:{cite.page}:{cite.quote or '-'}>"

    text = (f"Rent {format_marker(3, 2, 'EUR 12,400')}; term {format_marker(3, 5)}; "
            "[[cite doc=oops page=1]].")
    assert replace_markers(text, label) == ("Rent <3:2:EUR 12,400>; term <3:5:->; "
                                            "[[cite doc=oops page=1]].")
    assert [(c.doc_id, c.page) for c in seen] == [(3, 2), (3, 5)]
    assert replace_markers("no markers here", label) == "no markers here"


def test_replacement_text_is_not_read_as_a_template() -> None:
    assert replace_markers(format_marker(1, 1), lambda cite: "\\1 \\g<doc>") == "\\1 \\g<doc>"


ADVERSARIAL = {
    "unclosed quotes": '[[cite doc=1 page=1 quote="' * 40_000,
    "escaped quotes": '[[cite doc=1 page=1 quote="' + '\\"' * 500_000,
    "backslashes": '[[cite doc=1 page=1 quote="' + "\\" * 1_000_000,
    "brackets": '[[cite doc=1 page=1 quote="a' + "]" * 1_000_000,
    "escaped closers": '[[cite doc=1 page=1 quote="' + '\\"]' * 330_000,
    "openers": "[[cite doc=1 page=1 " * 50_000,
    "digits": "[[cite doc=" + "1" * 1_000_000,
    "almost markers": '[[cite doc=1 page=1 quote="x\\"]' * 70_000,
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_a_megabyte_of_hostile_text_parses_in_linear_time(name: str) -> None:
    text = ADVERSARIAL[name]
    assert len(text) >= 900_000
    started = time.perf_counter()
    found = parse_markers(text)
    assert replace_markers(text, lambda cite: "") is not None
    assert all(text[c.start:c.end].startswith("[[cite ") for c in found)
    # Catastrophic backtracking on a megabyte takes hours; linear takes well under a second.
    assert time.perf_counter() - started < 60
