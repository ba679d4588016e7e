"""Exact scorers: needle set equality, OOLONG's 0.75^|error| and normalised match, pairs F1,
contracts' answers as aggregate's."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from engine.rlm.citations import replace_markers

SEVEN_DIGITS = re.compile(r"(?<!\d)\d{7}(?!\d)")
LABEL = re.compile(r"\b(?:final answer|answer|label|user(?: id)?)\s*[:：]", re.IGNORECASE)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
PAIR = re.compile(r"[(\[]\s*(\d+)\s*,\s*(\d+)\s*[)\]]")


def after_label(answer: str) -> str:
    """The text after the last "Answer:"-style label (the whole answer when there is none)."""
    found = list(LABEL.finditer(answer))
    return answer[found[-1].end():] if found else answer


def normalise(text: str) -> str:
    text = re.sub(r"[*_`'\"\[\]<>(){}.,;:!?]", " ", text.lower())
    return " ".join(text.split())


def needle(answer: str, gold: list[str]) -> float:
    """1 when the 7-digit numbers in the answer are exactly the gold ones, else 0."""
    return float(set(SEVEN_DIGITS.findall(answer)) == set(gold))


def aggregate(answer: str, gold: str | int) -> float:
    """OOLONG: a number scores 0.75^|error|; anything else is an exact normalised match,
    both read after the last "Answer:"-style label."""
    tail = after_label(answer)
    if isinstance(gold, int):
        match = NUMBER.search(tail.replace(",", ""))
        return 0.75 ** abs(float(match.group()) - gold) if match else 0.0
    return float(normalise(tail) == normalise(gold))


def pair_set(answer: str) -> set[tuple[int, int]]:
    """Pairs written as (a, b) or [a, b], either order, a pair of one user dropped."""
    found = {(int(a), int(b)) for a, b in PAIR.findall(after_label(answer))}
    return {(min(a, b), max(a, b)) for a, b in found if a != b}


def pairs(answer: str, gold: list[list[int]]) -> float:
    """F1 of the answer's set of pairs against the gold set."""
    given, wanted = pair_set(answer), {(a, b) for a, b in gold}
    hits = len(given & wanted)
    if not hits:
        return 0.0
    precision, recall = hits / len(given), hits / len(wanted)
    return 2 * precision * recall / (precision + recall)


def contracts(answer: str, gold: dict[str, Any]) -> float:
    """As aggregate's, read on the first line after the last "Answer:" with the citation
    markers taken out (their citations are scored apart)."""
    tail = after_label(replace_markers(answer, lambda _c: "")).strip()
    wanted = gold["answer"]
    if isinstance(wanted, int):
        return aggregate(tail, wanted)
    return aggregate(tail.split("\n")[0], str(wanted))


SCORERS: dict[str, Callable[[str, Any], float]] = {
    "needle": needle, "aggregate": aggregate, "pairs": pairs,
    "contracts": contracts}


def score(task: str, answer: str, gold: Any) -> float:
    return float(SCORERS[task](answer, gold))
