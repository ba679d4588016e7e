"""The scorers on hand-made answers, including answers that try to game them."""

from __future__ import annotations

from itertools import combinations

import pytest

from engine.bench import scoring
from engine.bench.records import LABELS


def test_needle_is_set_equality_so_listing_every_number_scores_zero() -> None:
    gold = ["4212807", "1094127"]
    assert scoring.needle("The numbers are 1094127 and 4212807.", gold) == 1.0
    assert scoring.needle("Answer: 4212807, 1094127, 4212807", gold) == 1.0
    assert scoring.needle("Answer: 4212807", gold) == 0.0          # one missing
    assert scoring.needle("4212807 1094127 5555555", gold) == 0.0  # every number listed
    assert scoring.needle("42128071 1094127", gold) == 0.0          # 8 digits is not 7
    assert scoring.needle("", gold) == 0.0


@pytest.mark.parametrize(("answer", "gold", "score"), [
    ("Answer: 12", 12, 1.0),
    ("Answer: 10", 12, 0.75 ** 2),
    ("I count about 3 at first. Answer: 1,204", 1204, 1.0),
    ("Answer: many", 12, 0.0),
    ("Label: human being", "human being", 1.0),
    ("**Label:** Human Being.", "human being", 1.0),
    ("I think entity. Final answer: location", "location", 1.0),
    ("Label: location or entity", "location", 0.0),
    ("User: 48810", "48810", 1.0),
    ("Answer: more common than", "more common than", 1.0),
    ("Answer: less common than", "more common than", 0.0),
])
def test_aggregate_reads_after_the_last_label(answer: str, gold: str | int,
                                              score: float) -> None:
    assert scoring.aggregate(answer, gold) == pytest.approx(score)


def test_aggregate_listing_every_label_scores_zero() -> None:
    assert scoring.aggregate("Label: " + ", ".join(LABELS), "entity") == 0.0


def test_pairs_f1_and_the_listing_of_every_pair() -> None:
    gold = [[1, 2], [1, 3], [2, 3], [4, 5]]
    assert scoring.pairs("Answer: (1, 2) (1, 3) (2, 3) (4, 5)", gold) == 1.0
    assert scoring.pairs("Answer:\n[3, 2]\n(2, 1)\n(1,3)\n(5, 4)\n(5, 5)", gold) == 1.0
    half = scoring.pairs("Answer: (1, 2) (1, 3)", gold)
    assert half == pytest.approx(2 * 1 * 0.5 / 1.5)
    users = range(1, 41)
    everything = " ".join(f"({a}, {b})" for a, b in combinations(users, 2))
    assert scoring.pairs(f"Answer: {everything}", gold) == pytest.approx(2 * 4 / (780 + 4))
    assert scoring.pairs("Answer: none", gold) == 0.0


def test_score_dispatches_by_task() -> None:
    assert scoring.score("needle", "1234567", ["1234567"]) == 1.0
    assert scoring.score("pairs", "(1, 2)", [[1, 2]]) == 1.0
    assert scoring.score("aggregate", "Answer: 3", 4) == 0.75
