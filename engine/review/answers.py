"""A review cell's answer read into its column's type (text, yes/no, number, date, money,
one of a list of choices, a list) by the engine, never trusted as typed by the model."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any


class AnswerType(StrEnum):
    TEXT = "text"
    YES_NO = "yesno"
    NUMBER = "number"
    DATE = "date"
    MONEY = "money"
    CHOICE = "choice"
    LIST = "list"


# What ``--column "Question:type"`` and the app accept for each type.
TYPE_NAMES: dict[str, AnswerType] = {
    "text": AnswerType.TEXT, "yesno": AnswerType.YES_NO, "yes/no": AnswerType.YES_NO,
    "bool": AnswerType.YES_NO, "number": AnswerType.NUMBER, "date": AnswerType.DATE,
    "money": AnswerType.MONEY, "amount": AnswerType.MONEY, "choice": AnswerType.CHOICE,
    "list": AnswerType.LIST,
}

# The answer a model gives when the document does not say (the cell prompt asks for it).
NOT_STATED = "NOT STATED"
_NOT_STATED = re.compile(r"^\W*(not (stated|found|specified|mentioned|in (this|the) "
                         r"document)|n/?a|none stated|unknown)\W*$", re.IGNORECASE)
MAX_RAW_CHARS = 4000


@dataclass(frozen=True)
class ParsedAnswer:
    """What a cell shows: ``value`` typed for sorting and export (JSON-ready), ``shown`` the
    short text, ``problem`` why the raw answer could not be read as the type ("" when it
    could), ``not_stated`` when the document does not say."""

    value: Any
    shown: str
    problem: str = ""
    not_stated: bool = False
    notes: tuple[str, ...] = field(default=())


def parse_answer(kind: AnswerType, raw: str, choices: tuple[str, ...] = ()) -> ParsedAnswer:
    """Read a model's short answer as ``kind``. Never raises: what cannot be read says why."""
    text = " ".join(str(raw).split())[:MAX_RAW_CHARS].strip()
    if not text or _NOT_STATED.match(text):
        return ParsedAnswer(None, "Not in this document", not_stated=True)
    reader = _READERS[kind]
    if kind is AnswerType.CHOICE:
        return _choice(text, choices)
    if kind is AnswerType.LIST:
        return _list(str(raw))
    return reader(text)


# --- yes / no ---------------------------------------------------------------------------

_YES = {"yes", "y", "true", "yes.", "correct", "it does", "it is"}
_NO = {"no", "n", "false", "no.", "none", "it does not", "it is not"}


def _yes_no(text: str) -> ParsedAnswer:
    first = re.split(r"[,;:.\s(—–-]", text.lower(), maxsplit=1)[0]
    if first in _YES or text.lower() in _YES:
        return ParsedAnswer(True, "Yes")
    if first in _NO or text.lower() in _NO:
        return ParsedAnswer(False, "No")
    return ParsedAnswer(None, text[:80], problem=f"could not read yes or no from: {_clip(text)}")


# --- numbers ----------------------------------------------------------------------------

_SMALL = {word: n for n, word in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen"))}
_TENS = {word: 10 * n for n, word in enumerate((
    "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"))
    if word}
_SCALES = {"thousand": Decimal(1000), "k": Decimal(1000), "million": Decimal(10**6),
           "m": Decimal(10**6), "mn": Decimal(10**6), "billion": Decimal(10**9),
           "bn": Decimal(10**9), "b": Decimal(10**9)}
_NUMBER = re.compile(r"(?P<sign>[-−])?\s*(?P<digits>\d[\d,.' \u00a0\u202f]*\d|\d)"
                     r"\s*(?P<scale>thousand|million|billion|mn|bn|k|m|b)?\b", re.IGNORECASE)


def _digits(raw: str) -> Decimal | None:
    """Digits with grouping marks: 1,234.5 / 1.234,5 / 1 234,5 / 1'234.5 / 12,5."""
    text = re.sub(r"[ '\u00a0\u202f]", "", raw)
    commas, dots = text.count(","), text.count(".")
    if commas and dots:   # the later mark is the decimal one
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
    elif commas == 1 and not re.search(r",\d{3}$", text):
        decimal_mark = ","          # 12,5 — but 1,200 is twelve hundred
    elif dots == 1 and not re.search(r"^\d{1,3}\.\d{3}$", text):
        decimal_mark = "."
    elif dots > 1 or commas > 1 or (dots == 1 and re.search(r"^\d{1,3}\.\d{3}$", text)):
        decimal_mark = "," if dots else "."    # 1.234.567 or 1.200: dots group thousands
    else:
        decimal_mark = "."
    group_mark = "," if decimal_mark == "." else "."
    text = text.replace(group_mark, "").replace(decimal_mark, ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _words_number(text: str) -> Decimal | None:
    """Numbers in words up to the thousands: "thirty", "ninety (90)", "two hundred".
    Returns None when the text holds no number word."""
    total, current, seen = 0, 0, False
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _SMALL:
            current += _SMALL[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred" and seen:
            current *= 100
        elif word == "thousand" and seen:
            total, current = total + current * 1000, 0
        elif word == "and" and seen:
            continue
        elif seen:
            break
        else:
            continue
        seen = True
    return Decimal(total + current) if seen else None


# "(1,200)" alone, as accounts write a negative amount; "thirty (30)" is thirty.
_ACCOUNTING_NEGATIVE = re.compile(r"^\W{0,3}\(\s*[^\w(]{0,4}\d[\d,.\s]*\)\W*$")


def read_number(text: str) -> tuple[Decimal | None, str]:
    """The first number in ``text`` and what else it held ("" or a note)."""
    match = _NUMBER.search(text)
    if match:
        value = _digits(match.group("digits"))
        if value is not None:
            scale = (match.group("scale") or "").lower()
            # "m"/"b" alone count as a scale only right after the digits ("1.2m", "3 bn").
            if scale:
                value *= _SCALES[scale]
            if match.group("sign") or _ACCOUNTING_NEGATIVE.match(text):
                value = -value
            others = _NUMBER.findall(text[match.end():])
            note = "the answer holds more than one number; the first was taken" \
                if others and not re.search(r"\(\s*" + re.escape(match.group("digits")), text) \
                else ""
            return value, note
    value = _words_number(text)
    return value, ""


def _number(text: str) -> ParsedAnswer:
    value, note = read_number(text)
    if value is None:
        return ParsedAnswer(None, text[:80], problem=f"could not read a number from: "
                                                       f"{_clip(text)}")
    return ParsedAnswer(_json_number(value), _show_number(value),
                        notes=(note,) if note else ())


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _show_number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"


# --- money ------------------------------------------------------------------------------

_CURRENCY_SIGNS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
                   "CHF": "CHF", "A$": "AUD", "C$": "CAD", "Fr.": "CHF", "kr": "SEK"}
_CURRENCY_WORDS = {"dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR",
                   "pound": "GBP", "pounds": "GBP", "sterling": "GBP", "yen": "JPY",
                   "rupees": "INR", "francs": "CHF"}
_CODE = re.compile(r"\b(USD|EUR|GBP|JPY|CHF|CAD|AUD|NZD|SEK|NOK|DKK|INR|CNY|HKD|SGD|ZAR|"
                   r"BRL|MXN|PLN|CZK)\b")


def _money(text: str) -> ParsedAnswer:
    value, note = read_number(text)
    if value is None:
        return ParsedAnswer(None, text[:80], problem=f"could not read an amount from: "
                                                       f"{_clip(text)}")
    currency = _currency(text)
    if value == value.to_integral_value():
        amount, number = Decimal(int(value)), f"{int(value):,}"
    else:
        amount = value.quantize(Decimal("0.01"))
        number = f"{amount:,.2f}"
    shown = f"{currency} {number}" if currency else number
    notes = tuple(n for n in (note, "" if currency else "no currency given") if n)
    return ParsedAnswer({"amount": str(amount), "currency": currency or None}, shown,
                        notes=notes)


def _currency(text: str) -> str:
    code = _CODE.search(text.upper())
    if code:
        return code.group(1)
    for sign in sorted(_CURRENCY_SIGNS, key=len, reverse=True):
        if sign in text:
            return _CURRENCY_SIGNS[sign]
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _CURRENCY_WORDS:
            return _CURRENCY_WORDS[word]
    return ""


# --- dates ------------------------------------------------------------------------------

_MONTHS = {name: n for n, names in enumerate((
    (), ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
    ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
    ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec"))) for name in names}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_DATE_FORMS = (
    re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+day\s+of)?\s+{_MONTH},?\s+"
               r"(?P<year>\d{4})\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b",
               re.IGNORECASE),
    re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<year>\d{4})\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<year>\d{{4}})\b", re.IGNORECASE),
)


def read_date(text: str) -> tuple[dt.date | None, str]:
    """The first date in ``text``; a note when it was read with an assumption, a problem
    ("ambiguous: ...") instead of a guess when 03/04/2025 could be either way."""
    for form in _DATE_FORMS:
        for match in form.finditer(text):
            parts = match.groupdict()
            year = int(parts["year"])
            if "a" in parts and parts.get("a"):
                a, b = int(parts["a"]), int(parts["b"])
                if a != b and a <= 12 and b <= 12:
                    return None, (f"ambiguous date {match.group()}: day {a} of month {b}, or "
                                  f"month {a} day {b}?")
                day, month = (a, b) if a > 12 or a == b else (b, a)
            elif parts.get("mnum"):
                day, month = int(parts["day"]), int(parts["mnum"])
            else:
                month = _MONTHS.get(parts["month"].lower(), 0)
                if not month:
                    continue
                day = int(parts["day"]) if parts.get("day") else 1
                if not parts.get("day"):
                    try:
                        return dt.date(year, month, 1), "no day given; the 1st was taken"
                    except ValueError:
                        continue
            try:
                return dt.date(year, month, day), ""
            except ValueError:
                return None, f"no such date: {match.group()}"
    return None, ""


def _date(text: str) -> ParsedAnswer:
    value, note = read_date(text)
    if value is None:
        problem = note or f"could not read a date from: {_clip(text)}"
        return ParsedAnswer(None, text[:80], problem=problem)
    return ParsedAnswer(value.isoformat(), f"{value.day} {value:%B %Y}",
                        notes=(note,) if note else ())


# --- choices, lists, text ---------------------------------------------------------------

def _choice(text: str, choices: tuple[str, ...]) -> ParsedAnswer:
    if not choices:
        return ParsedAnswer(text, text[:80])
    lowered = text.lower().strip(" .\"'")
    for choice in choices:
        if lowered == choice.lower():
            return ParsedAnswer(choice, choice)
    named = [c for c in choices
             if re.search(rf"(?<!\w){re.escape(c.lower())}(?!\w)", text.lower())]
    if len(named) == 1:
        return ParsedAnswer(named[0], named[0])
    listed = ", ".join(choices)
    if named:
        return ParsedAnswer(None, text[:80], problem=f"the answer names more than one choice "
                                                       f"({', '.join(named)}): {_clip(text)}")
    return ParsedAnswer(None, text[:80], problem=f"the answer is none of the choices "
                                                   f"({listed}): {_clip(text)}")


_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,3}[.)])\s+")


def _list(raw: str) -> ParsedAnswer:
    lines = [line for line in str(raw)[:MAX_RAW_CHARS].splitlines() if line.strip()]
    if len(lines) > 1:
        items = [_BULLET.sub("", line).strip() for line in lines]
    else:
        items = [part.strip() for part in re.split(r";|,(?![^()]*\))", lines[0] if lines
                                                  else "")]
    items = [item.rstrip(".") for item in items if item.strip(" .")]
    if not items:
        return ParsedAnswer(None, "Not in this document", not_stated=True)
    return ParsedAnswer(items, "; ".join(items))


def _text(text: str) -> ParsedAnswer:
    return ParsedAnswer(text, text)


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


_READERS = {AnswerType.TEXT: _text, AnswerType.YES_NO: _yes_no, AnswerType.NUMBER: _number,
            AnswerType.DATE: _date, AnswerType.MONEY: _money, AnswerType.CHOICE: _text,
            AnswerType.LIST: _text}
