"""The needle task (constant work, RULER's S-NIAH style): magic numbers hidden in filler prose."""

from __future__ import annotations

import random

from engine.bench import grammar
from engine.bench.sample import Sample, target_chars

VARIANTS = ("single", "distractors", "multi")
NEEDLE = "One of the special magic numbers for {key} is: {value}."
# (values for the asked key, needles for other keys) per variant
SHAPES = {"single": (1, 0), "distractors": (1, 4), "multi": (3, 2)}


def question(key: str) -> str:
    return (f"What are all the special magic numbers for {key} mentioned in the provided "
            "text? Give every one of them after 'Answer:'.")


def generate(seed: int, tokens: int, variant: str) -> Sample:
    """Filler of ``tokens`` × 4 characters with the needles at random depths."""
    rng = random.Random(f"needle/{seed}/{tokens}/{variant}")
    values, distractors = SHAPES[variant]
    keys = [grammar.key(rng)]
    while len(keys) < 1 + distractors:
        other = grammar.key(rng)
        if other not in keys:
            keys.append(other)
    numbers = rng.sample(range(1_000_000, 10_000_000), values + distractors)
    needles = [NEEDLE.format(key=keys[0], value=n) for n in numbers[:values]]
    needles += [NEEDLE.format(key=k, value=n) for k, n in zip(keys[1:], numbers[values:],
                                                                strict=True)]
    room = target_chars(tokens) - sum(len(n) + 1 for n in needles)
    sentences = grammar.filler(rng, room)
    for needle in needles:
        sentences.insert(rng.randrange(len(sentences) + 1), needle)
    lines = [" ".join(sentences[i:i + 6]) for i in range(0, len(sentences), 6)]
    context = "\n".join(lines)
    gold = sorted(str(n) for n in numbers[:values])
    return Sample(context, question(keys[0]), gold, "needle", variant)
