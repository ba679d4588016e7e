"""The aggregate task (linear work, OOLONG-synth style): questions over every record."""

from __future__ import annotations

import random
from collections import Counter

from engine.bench import records as rec
from engine.bench.sample import Sample

VARIANTS = ("implicit", "explicit")
KINDS = ("most_common", "least_common", "count", "compare", "most_active_user",
         "date_most")
LABEL_ANSWER = "Give your final answer as 'Label: <label>'."


def unique_extreme(counts: Counter[str], highest: bool) -> str | None:
    """The key with the highest (or lowest) count, None on a tie."""
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=highest)
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0] if ranked else None


def ask(kind: str, records: list[rec.Record],
        rng: random.Random) -> tuple[str, str | int] | None:
    """The question of ``kind`` and its gold answer, or None when it has no single answer."""
    labels = Counter(r.label for r in records)
    for label in rec.LABELS:
        labels.setdefault(label, 0)
    if kind in ("most_common", "least_common"):
        which = "most" if kind == "most_common" else "least"
        answer = unique_extreme(labels, kind == "most_common")
        return None if answer is None else (
            f"Which label is the {which} common among all the instances? {LABEL_ANSWER}", answer)
    if kind == "count":
        label = rng.choice(rec.LABELS)
        return (f"How many instances have the label '{label}'? Give your final answer as "
                "'Answer: <number>'.", labels[label])
    if kind == "compare":
        first, second = rng.sample(rec.LABELS, 2)
        diff = labels[first] - labels[second]
        phrase = ("more common than" if diff > 0 else "less common than" if diff < 0
                  else "same frequency as")
        return (f"Is the label '{first}' more common than, less common than, or the same "
                f"frequency as the label '{second}'? Give your final answer as 'Answer: more "
                "common than', 'Answer: less common than' or 'Answer: same frequency as'.",
                phrase)
    if kind == "most_active_user":
        answer = unique_extreme(Counter(str(r.user) for r in records), True)
        return None if answer is None else (
            "Which user ID has the most instances? Give your final answer as 'User: <id>'.",
            answer)
    if kind == "date_most":
        pivot = records[rng.randrange(len(records))].date
        after = rng.random() < 0.5
        chosen = [r for r in records if (r.date > pivot if after else r.date < pivot)]
        answer = unique_extreme(Counter(r.label for r in chosen), True)
        side = "after" if after else "before"
        return None if answer is None else (
            f"Among the instances dated {side} {rec.date_text(pivot)}, which label is the most "
            f"common? {LABEL_ANSWER}", answer)
    raise ValueError(f"unknown aggregate question kind {kind!r}")


def generate(seed: int, tokens: int, variant: str) -> Sample:
    rng = random.Random(f"aggregate/{seed}/{tokens}/{variant}")
    context, records = rec.generate(rng, tokens, variant == "explicit")
    start = KINDS.index(rng.choice(KINDS))
    for offset in range(len(KINDS)):  # a kind whose answer is tied: the next kind
        kind = KINDS[(start + offset) % len(KINDS)]
        asked = ask(kind, records, rng)
        if asked is not None:
            return Sample(context, asked[0], asked[1], kind, variant)
    raise AssertionError("every kind of question was tied")  # count and compare never are
