"""The generators checked from their text alone: every gold answer recomputed by reading the
generated text (the oracle's plan and its labeller, never the generator's state), lengths
within 5%, and a seed that always gives the same context."""

from __future__ import annotations

import re

import pytest

from engine.bench import aggregate, contracts, needle, pairs, scoring, suite
from engine.bench.sample import sha256
from tests.support.bench_oracle import answer_from_text, classify


@pytest.mark.parametrize("task", list(suite.TASKS))
@pytest.mark.parametrize(("tokens", "count"), [(8_192, 30), (65_536, 3)])
def test_every_gold_answer_is_what_the_text_alone_gives(task: str, tokens: int,
                                                        count: int) -> None:
    kinds = set()
    for item in suite.make_items(task, tokens, count, seed=7):
        context = item.sample().context
        answer = answer_from_text(context, item.question)
        assert scoring.score(task, answer, item.gold) == 1.0, (item.id, item.question, answer)
        kinds.add(item.kind)
    expected = {"needle": {"needle"}, "aggregate": set(aggregate.KINDS),
                "pairs": {f"pairs_{v}" for v in pairs.VARIANTS},
                "contracts": set(contracts.VARIANTS)}[task]
    if count >= 30:  # enough questions for every kind to come up
        assert kinds == expected


@pytest.mark.parametrize("variant", needle.VARIANTS)
def test_needles_distractors_and_values_are_in_the_text(variant: str) -> None:
    made = needle.generate(3, 16_384, variant)
    numbers = re.findall(r"\d+", made.context)
    values, distractors = needle.SHAPES[variant]
    assert len(numbers) == values + distractors and all(len(n) == 7 for n in numbers)
    key = re.search(r"numbers for (\S+) mentioned", made.question).group(1)  # type: ignore[union-attr]
    found = re.findall(rf"magic numbers for {re.escape(key)} is: (\d{{7}})", made.context)
    assert sorted(found) == made.gold and len(found) == values


def test_explicit_labels_agree_with_the_wording_of_each_instance() -> None:
    made = aggregate.generate(5, 16_384, "explicit")
    lines = re.findall(r"Instance: ([^|\n]*) \|\| Label: (.+)", made.context)
    assert len(lines) > 100
    assert all(classify(text) == label for text, label in lines)
    assert "Label:" not in aggregate.generate(5, 16_384, "implicit").context


def test_records_span_about_forty_months_and_skewed_users() -> None:
    made = aggregate.generate(2, 131_072, "implicit")
    users = re.findall(r"User: (\d+)", made.context)
    years = {int(y) for y in re.findall(r"Date: \w{3} \d{2}, (\d{4})", made.context)}
    counts = sorted((users.count(u) for u in set(users)), reverse=True)
    assert years == {2021, 2022, 2023, 2024}
    assert counts[0] > 10 * counts[len(counts) // 2]  # a few users write most lines


@pytest.mark.parametrize("task", list(suite.TASKS))
@pytest.mark.parametrize("tokens", [8_192, 131_072, 1_048_576])
def test_each_length_is_within_five_percent(task: str, tokens: int) -> None:
    item = next(suite.make_items(task, tokens, 1, seed=1))
    assert abs(item.chars - tokens * 4) <= 0.05 * tokens * 4


@pytest.mark.parametrize("task", list(suite.TASKS))
def test_a_seed_always_gives_the_same_context(task: str) -> None:
    first = list(suite.make_items(task, 16_384, 3, seed=11))
    again = list(suite.make_items(task, 16_384, 3, seed=11))
    other = list(suite.make_items(task, 16_384, 3, seed=12))
    assert [i.context_sha256 for i in first] == [i.context_sha256 for i in again]
    assert [i.gold for i in first] == [i.gold for i in again]
    assert len({i.context_sha256 for i in first + other}) == 6
    assert all(sha256(i.sample().context) == i.context_sha256 for i in first)


def test_pairs_gold_stays_between_10_and_1000_pairs() -> None:
    for tokens in (8_192, 65_536):
        for item in suite.make_items("pairs", tokens, 9, seed=3):
            assert pairs.MIN_PAIRS <= len(item.gold) <= pairs.MAX_PAIRS
            assert all(a < b for a, b in item.gold)
            assert len({tuple(p) for p in item.gold}) == len(item.gold)


def test_a_wrong_task_variant_or_length_is_refused() -> None:
    from engine.errors import ConfigError
    with pytest.raises(ConfigError, match="no task"):
        next(suite.make_items("haystack", 8_192, 1, 1))
    with pytest.raises(ConfigError, match="no variant"):
        next(suite.make_items("needle", 8_192, 1, 1, variant="explicit"))
    with pytest.raises(ConfigError, match="8,192 to 8,388,608"):
        next(suite.make_items("needle", 1_000, 1, 1))
