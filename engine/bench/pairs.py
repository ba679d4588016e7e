"""The pairs task (quadratic work, OOLONG-Pairs style): every pair of users meeting a condition."""

from __future__ import annotations

import random
from collections import Counter
from itertools import combinations

from engine.bench import records as rec
from engine.bench.sample import Sample

VARIANTS = ("both", "date", "asym")
MIN_PAIRS, MAX_PAIRS = 10, 1000
FORMAT = ("List every such pair once, lower user ID first, as (id1, id2), one pair per line, "
          "after 'Answer:'.")


def _threshold_sets(counts: Counter[int], wanted: int) -> tuple[int, set[int]]:
    """The count K such that about ``wanted`` users have at least K, and those users."""
    ranked = sorted(counts.values(), reverse=True)
    k = max(1, ranked[min(wanted, len(ranked)) - 1]) if ranked else 1
    return k, {user for user, n in counts.items() if n >= k}


def pairs_of(first: set[int], second: set[int]) -> set[tuple[int, int]]:
    return {(min(a, b), max(a, b)) for a in first for b in second if a != b}


def _ask(variant: str, records: list[rec.Record],
         rng: random.Random) -> tuple[str, set[tuple[int, int]]]:
    x, y = rng.sample(rec.LABELS, 2)
    wanted = rng.randint(6, 40)
    if variant == "asym":
        cx = Counter(r.user for r in records if r.label == x)
        cy = Counter(r.user for r in records if r.label == y)
        k, _ = _threshold_sets(cx + cy, wanted)
        sx = {u for u, n in cx.items() if n >= k}
        sy = {u for u, n in cy.items() if n >= k}
        gold = pairs_of(sx, sy)
        while len(gold) > MAX_PAIRS:  # raise the bar until few enough pairs qualify
            k += 1
            sx = {u for u, n in cx.items() if n >= k}
            sy = {u for u, n in cy.items() if n >= k}
            gold = pairs_of(sx, sy)
        return (f"Find every pair of different user IDs where one user has at least {k} "
                f"instances with the label '{x}' and the other has at least {k} instances "
                f"with the label '{y}'. {FORMAT}", gold)
    pivot = records[rng.randrange(len(records))].date
    chosen = [r for r in records if r.label in (x, y)
              and (variant != "date" or r.date > pivot)]
    counts = Counter(r.user for r in chosen)
    k, users = _threshold_sets(counts, wanted)
    while len(users) * (len(users) - 1) // 2 > MAX_PAIRS:
        k += 1
        users = {u for u, n in counts.items() if n >= k}
    dated = f" dated after {rec.date_text(pivot)}" if variant == "date" else ""
    return (f"Find every pair of different user IDs where both users have at least {k} "
            f"instances{dated} with the label '{x}' or '{y}'. {FORMAT}",
            set(combinations(sorted(users), 2)))


def generate(seed: int, tokens: int, variant: str) -> Sample:
    rng = random.Random(f"pairs/{seed}/{tokens}/{variant}")
    context, records = rec.generate(rng, tokens, explicit=False)
    for _ in range(50):  # another pair of labels until the gold has 10 to 1,000 pairs
        question, gold = _ask(variant, records, rng)
        if MIN_PAIRS <= len(gold) <= MAX_PAIRS:
            return Sample(context, question, sorted([a, b] for a, b in gold),
                          f"pairs_{variant}", variant)
    raise ValueError(f"no pairs question with {MIN_PAIRS} to {MAX_PAIRS} pairs at {tokens:,} "
                     "tokens; try another seed or a longer context")
