"""A cell's answer read into its column's type by the engine, whatever the model wrote."""

from __future__ import annotations

from typing import Any

import pytest

from engine.review.answers import AnswerType, parse_answer

A = AnswerType


@pytest.mark.parametrize(("raw", "value", "shown"), [
    ("1,200", 1200, "1,200"),
    ("1.234,56", 1234.56, "1,234.56"),
    ("12,5", 12.5, "12.5"),
    ("1 234,5", 1234.5, "1,234.5"),
    ("1.2 million", 1_200_000, "1,200,000"),
    ("Ninety days", 90, "90"),
    ("thirty (30) days", 30, "30"),     # the number in words and in figures is one number
    ("-5", -5, "-5"),
    ("(1,200)", -1200, "-1,200"),       # as accounts write a negative
    ("about 3 months", 3, "3"),
])
def test_numbers_in_the_forms_documents_write_them(raw: str, value: Any, shown: str) -> None:
    parsed = parse_answer(A.NUMBER, raw)
    assert (parsed.value, parsed.shown, parsed.problem) == (value, shown, "")


def test_a_second_number_is_noted_and_no_number_is_a_problem() -> None:
    assert parse_answer(A.NUMBER, "3 or 4").notes
    parsed = parse_answer(A.NUMBER, "the lease does not say how long")
    assert parsed.value is None
    assert parsed.problem == "could not read a number from: the lease does not say how long"


@pytest.mark.parametrize(("raw", "amount", "currency", "shown"), [
    ("$1,200.50 per month", "1200.50", "USD", "USD 1,200.50"),
    ("EUR 12,400", "12400", "EUR", "EUR 12,400"),
    ("12.400 €", "12400", "EUR", "EUR 12,400"),
    ("GBP 1.2m", "1200000", "GBP", "GBP 1,200,000"),
    ("five thousand dollars", "5000", "USD", "USD 5,000"),
    ("CHF 900", "900", "CHF", "CHF 900"),
])
def test_money_keeps_the_currency_and_the_exact_amount(raw: str, amount: str, currency: str,
                                                       shown: str) -> None:
    parsed = parse_answer(A.MONEY, raw)
    assert parsed.value == {"amount": amount, "currency": currency}
    assert parsed.shown == shown and not parsed.problem


def test_money_without_a_currency_says_so() -> None:
    parsed = parse_answer(A.MONEY, "1,500")
    assert parsed.value == {"amount": "1500", "currency": None}
    assert parsed.notes == ("no currency given",)


@pytest.mark.parametrize(("raw", "iso"), [
    ("1 March 2024", "2024-03-01"),
    ("March 1, 2024", "2024-03-01"),
    ("2024-03-01", "2024-03-01"),
    ("the 3rd day of June, 2021", "2021-06-03"),
    ("25/12/2025", "2025-12-25"),
    ("12/25/2025", "2025-12-25"),
    ("Sept. 30 2027", "2027-09-30"),
])
def test_dates_become_iso_dates(raw: str, iso: str) -> None:
    parsed = parse_answer(A.DATE, raw)
    assert parsed.value == iso and not parsed.problem


def test_dates_that_cannot_be_read_without_a_guess_say_why() -> None:
    assert parse_answer(A.DATE, "03/04/2025").problem.startswith("ambiguous date 03/04/2025")
    assert parse_answer(A.DATE, "31 February 2024").problem == \
        "no such date: 31 February 2024"
    month_only = parse_answer(A.DATE, "June 2021")
    assert month_only.value == "2021-06-01" and month_only.notes
    assert parse_answer(A.DATE, "on signing").problem.startswith("could not read a date")


@pytest.mark.parametrize(("raw", "value"), [
    ("Yes", True), ("Yes, on three months' notice", True), ("no.", False), ("False", False),
])
def test_yes_and_no(raw: str, value: bool) -> None:
    assert parse_answer(A.YES_NO, raw).value is value


def test_neither_yes_nor_no_is_a_problem_not_a_guess() -> None:
    parsed = parse_answer(A.YES_NO, "It depends on the notice")
    assert parsed.value is None and parsed.problem.startswith("could not read yes or no")


@pytest.mark.parametrize("raw", ["NOT STATED", "Not in this document.", "n/a", "", "  "])
def test_not_stated_is_its_own_outcome(raw: str) -> None:
    for kind in A:
        parsed = parse_answer(kind, raw, ("a", "b"))
        assert parsed.not_stated and parsed.value is None and not parsed.problem
        assert parsed.shown == "Not in this document"


def test_choices_match_whole_words_once() -> None:
    choices = ("English", "New York", "Delaware")
    assert parse_answer(A.CHOICE, "delaware", choices).value == "Delaware"
    assert parse_answer(A.CHOICE, "It is governed by New York law", choices).value == \
        "New York"
    both = parse_answer(A.CHOICE, "English or New York law", choices)
    assert both.value is None and "more than one" in both.problem
    none = parse_answer(A.CHOICE, "French law", choices)
    assert none.value is None and "none of the choices" in none.problem


def test_lists_from_bullets_lines_or_commas() -> None:
    assert parse_answer(A.LIST, "- Acme Ltd\n- Bolt GmbH\n").value == ["Acme Ltd", "Bolt GmbH"]
    assert parse_answer(A.LIST, "1. Acme\n2) Bolt").value == ["Acme", "Bolt"]
    assert parse_answer(A.LIST, "Acme Ltd, Bolt GmbH (Berlin, Germany)").value == \
        ["Acme Ltd", "Bolt GmbH (Berlin, Germany)"]


def test_text_is_kept_and_hostile_or_huge_answers_are_bounded() -> None:
    assert parse_answer(A.TEXT, "England\nand  Wales").value == "England and Wales"
    huge = parse_answer(A.NUMBER, "9" * 100_000)
    assert huge.value is not None or huge.problem
    assert len(parse_answer(A.TEXT, "x " * 100_000).shown) <= 4000
