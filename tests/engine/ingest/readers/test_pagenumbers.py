"""Printed page numbers detected from headers and footers (a PDF without page labels)."""

from __future__ import annotations

from engine.ingest.readers.pagenumbers import (
    detect_page_labels,
    edge_lines,
    roman_value,
    to_roman,
)

BODY = "The tenant shall pay the rent on the first day of each month.\n" \
       "Notice is given in writing to the address above.\n" \
       "Nothing here is a page number.\n"


def page(footer: str = "", header: str = "", body: str = BODY) -> str:
    return f"{header}\n{body}{footer}\n" if header else f"{body}{footer}\n"


def test_edge_lines_are_the_first_and_last_two_non_blank_lines() -> None:
    assert edge_lines("\n  one \n\ntwo\nthree\nfour\n\n five\n\n") == \
        ["one", "two", "four", "five"]
    assert edge_lines("one\ntwo\nthree") == ["one", "two", "three"]   # each line once
    assert edge_lines("") == []
    assert edge_lines("only") == ["only"]


def test_roman_numerals() -> None:
    assert [roman_value(t) for t in ("xiv", "XIV", "iv", "mcmxcix")] == [14, 14, 4, 1999]
    assert [roman_value(t) for t in ("iiii", "vx", "did", "civil", "")] == [None] * 5
    assert to_roman(14) == "xiv"


def test_arabic_numbers_with_an_offset() -> None:
    texts = ["Title page", "Copyright"] + [page(str(n)) for n in range(1, 9)]
    assert detect_page_labels(texts) == [None, None] + [str(n) for n in range(1, 9)]


def test_roman_front_matter_then_arabic() -> None:
    texts = ["Cover"] + [page(to_roman(n)) for n in range(1, 5)] + \
        [page(str(n)) for n in range(1, 6)]
    assert detect_page_labels(texts) == \
        [None, "i", "ii", "iii", "iv", "1", "2", "3", "4", "5"]


def test_pages_without_a_number_inside_a_run_are_inferred_only_between_agreeing_pages(
) -> None:
    numbers: list[int | None] = [10, 11, None, 13, 14, None, None, 17, 18]
    texts = [page(str(n)) if n else "CHAPTER TWO\nOpening words." for n in numbers]
    assert detect_page_labels(texts) == [str(n) for n in range(10, 19)]
    # Unnumbered first and last pages: no neighbour on one side, no label.
    texts = ["Chapter one"] + [page(str(n)) for n in range(2, 7)] + ["Blank?"]
    assert detect_page_labels(texts) == [None, "2", "3", "4", "5", "6", None]


def test_a_jump_in_the_offset_starts_a_new_run_and_the_gap_stays_unlabelled() -> None:
    # Printed 1-5, then a page left out of the PDF, then 8-12: the page between the runs
    # has neighbours that disagree (offsets 1 and 3), so it gets no label.
    texts = [page(str(n)) for n in range(1, 6)] + ["Plate"] + \
        [page(str(n)) for n in range(8, 13)]
    labels = detect_page_labels(texts)
    assert labels[:5] == ["1", "2", "3", "4", "5"]
    assert labels[5] is None
    assert labels[6:] == ["8", "9", "10", "11", "12"]


def test_running_headers_on_alternating_sides() -> None:
    texts = []
    for n in range(236, 246):
        if n % 2 == 0:   # verso: number first, in the footer, above a link line
            texts.append(page(f"{n} FREE CULTURE\n<http://free-culture.org/get-it>"))
        else:            # recto: the chapter's name, then the number, at the top
            texts.append(page(header=f"BALANCES {n}"))
    assert detect_page_labels(["Cover"] * 8 + texts)[8:] == [str(n) for n in range(236, 246)]
    assert detect_page_labels(["Cover"] * 8 + texts)[:8] == [None] * 8
    front = [page(header="xiv PREFACE"), page("PREFACE xv"), page(header="xvi PREFACE")]
    assert detect_page_labels(["Cover"] * 13 + front) == [None] * 13 + ["xiv", "xv", "xvi"]


def test_other_footer_forms() -> None:
    for form in ("- {} -", "Page {}", "Page {} of 40", "{} / 40", "Smith v. Jones | {}"):
        texts = [page(form.format(n)) for n in range(5, 10)]
        assert detect_page_labels(texts) == [str(n) for n in range(5, 10)], form


def test_bates_stamps() -> None:
    texts = [page(f"CONFIDENTIAL ACME_{n:06d}") for n in range(123, 128)]
    assert detect_page_labels(texts) == [f"ACME_{n:06d}" for n in range(123, 128)]
    # A page without its stamp between two stamped pages is inferred, zero-padded.
    texts[2] = page("")
    assert detect_page_labels(texts)[2] == "ACME_000125"
    # The prefix changes: two documents, neither a run of three.
    mixed = [page(f"ACME_{n:06d}") for n in (1, 2)] + [page(f"BETA_{n:06d}") for n in (3, 4)]
    assert detect_page_labels(mixed) == [None] * 4
    # Not increasing by one page by page: no sequence.
    jumps = [page(f"ACME_{n:06d}") for n in (10, 20, 30, 40)]
    assert detect_page_labels(jumps) == [None] * 4


def test_numbers_in_body_text_do_not_make_or_break_a_sequence() -> None:
    texts = []
    for n in range(1, 11):
        body = f"The lease of {1990 + 3 * n} ends in {n * 7}\n" + BODY + f"see section {n * 2}\n"
        texts.append(body + f"{n + 20}\n")
    texts[4] = texts[4].replace("25\n", "")   # a page without its number, body numbers kept
    assert detect_page_labels(texts) == [str(n + 20) for n in range(1, 11)]


def test_footnotes_and_headings_that_count_up_are_not_page_numbers() -> None:
    # One footnote a page, numbered 1, 2, 3... from the second page: a sequence by number,
    # but beside words of its own each time, unlike a running header.
    notes = ["Memo"] + [page(f"{n} See Smith v. Jones, case {n * 11}, at {n + 4}.")
                        for n in range(1, 7)]
    assert detect_page_labels(notes) == [None] * 7
    headings = ["Report"] + [page(header=f"{n} {title}") for n, title in
                             enumerate(["Scope", "Facts", "Law", "Analysis", "Costs"], 1)]
    assert detect_page_labels(headings) == [None] * 6
    # The same numbers with a recurring running header are page numbers.
    running = ["Report"] + [page(header=f"{n} EXPERT REPORT") for n in range(1, 6)]
    assert detect_page_labels(running) == [None, "1", "2", "3", "4", "5"]


def test_no_consistent_sequence_gives_no_labels() -> None:
    assert detect_page_labels([]) == []
    assert detect_page_labels([BODY] * 10) == [None] * 10
    # Numbers at the edges that do not follow the pages: a table of contents, a list.
    toc = ["Contents\nPreface 13\nIntroduction 1\nPiracy 17\nProperty 85\nIndex 333"] * 3
    assert detect_page_labels(toc) == [None] * 3
    scattered = [page(str(n)) for n in (4, 19, 2, 77, 5, 31, 12)]
    assert detect_page_labels(scattered) == [None] * 7
    # Two numbered pages are not a sequence yet.
    assert detect_page_labels([page("7"), page("8")]) == [None, None]
    # A sentence starting with "I" is not page one.
    assert detect_page_labels([page(header="I agree"), page(header="I do"),
                               page(header="I will")]) == [None] * 3
