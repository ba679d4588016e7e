"""OOLONG-synth style records: "Date: … || User: … || Instance: …", one generated question
per line, each of one of six classes written by a template whose opening words give it away."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from engine.bench import grammar
from engine.bench.sample import target_chars

LABELS = ("abbreviation", "entity", "description and abstract concept", "human being",
          "location", "numeric value")
# Per class, templates; {n} a fictional name, {o} a thing, {p} a fictional place.
TEMPLATES: dict[str, tuple[str, ...]] = {
    "abbreviation": ("What does {a} stand for?", "What is the full form of {a}?"),
    "entity": ("Which {o} did {n} bring to {p}?", "Which {o} is named after {n}?"),
    "description and abstract concept": ("Why did {n} leave {p}?",
                                         "How does the {o} of {p} work?"),
    "human being": ("Who founded the {o} guild of {p}?", "Who was the first mayor of {p}?"),
    "location": ("Where is the {o} of {n} kept?", "In which valley does {p} lie?"),
    "numeric value": ("How many {o}s are there in {p}?", "When was the {o} of {p} built?"),
}
THINGS = ("lantern", "bridge", "orchard", "kettle", "clock", "tower", "mill", "harbour",
          "archive", "loom", "fountain", "garden")
HEADER = ("The following lines contain general-knowledge questions, one per line. Each line "
          "has a date, a user ID and an instance (the question). Each question can be "
          "labelled with one of these labels: " + ", ".join(LABELS) + ".\n")
START = datetime.date(2021, 1, 1)
DAYS = 1217  # about 40 months
POOL = 2000   # instances of each class to draw lines from


@dataclass(frozen=True)
class Record:
    date: datetime.date
    user: int
    label: str


def date_text(date: datetime.date) -> str:
    return date.strftime("%b %d, %Y")


def instance(label: str, rng: random.Random) -> str:
    """One generated question of class ``label`` over fictional names."""
    template = rng.choice(TEMPLATES[label])
    return template.format(a="".join(rng.choice("BCDFGKLMPRSTVZ") for _ in range(3)),
                           n=grammar.name(rng), o=rng.choice(THINGS), p=grammar.name(rng, 3))


def line(record: Record, when: str, text: str, explicit: bool) -> str:
    tail = f" || Label: {record.label}" if explicit else ""
    return f"Date: {when} || User: {record.user} || Instance: {text}{tail}"


def generate(rng: random.Random, tokens: int, explicit: bool) -> tuple[str, list[Record]]:
    """Records until the text reaches ``tokens`` × 4 characters (within a line): users
    skewed (a Zipf-like law), classes in skewed shares drawn per context."""
    target = target_chars(tokens)
    estimate = max(20, target // 95)
    users = rng.sample(range(10_000, 100_000), max(30, min(5000, estimate // 40)))
    user_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(users))]
    label_weights = [0.3 + rng.random() for _ in LABELS]
    # Instances drawn from pools made once per context (each line writing its own is slow).
    pools = {label: [instance(label, rng) for _ in range(POOL)] for label in LABELS}
    days = [START + datetime.timedelta(days=d) for d in range(DAYS)]
    shown = [date_text(day) for day in days]
    records: list[Record] = []
    lines = [HEADER]
    size = len(HEADER)
    while True:
        batch = max(1, (target - size) // 100)
        chosen_users = rng.choices(users, weights=user_weights, k=batch)
        chosen_labels = rng.choices(LABELS, weights=label_weights, k=batch)
        for user, label in zip(chosen_users, chosen_labels, strict=True):
            day = rng.randrange(DAYS)
            record = Record(days[day], user, label)
            text = line(record, shown[day], rng.choice(pools[label]), explicit)
            if size + len(text) + 1 > target and records:
                return "\n".join(lines), records
            records.append(record)
            lines.append(text)
            size += len(text) + 1
        if size >= target - 60:
            return "\n".join(lines), records
