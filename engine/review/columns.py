"""Review columns as people write them (``"Notice period in days:number"``,
``"Assignment:choice(Freely|With consent|Prohibited)"``) and the templates shipped with
the app (``lease``, ``contract``)."""

from __future__ import annotations

import json
import re
from importlib import resources

from engine.errors import ConfigError
from engine.review.answers import TYPE_NAMES, AnswerType
from engine.store.reviews import ColumnSpec

MAX_QUESTION_CHARS = 2000
MAX_NAME_CHARS = 60
MAX_CHOICES = 50
_TYPED = re.compile(r"^(?P<question>.*\S)\s*:\s*(?P<kind>[a-z/]+)"
                    r"(?:\s*\((?P<choices>[^()]*)\))?\s*$", re.IGNORECASE | re.DOTALL)


def parse_column(text: str) -> ColumnSpec:
    """One ``--column``: a question, optionally ``:type`` (text, yesno, number, date, money,
    list, or choice(a|b|c)) at the end. A colon that is not followed by a type name is part
    of the question."""
    text = " ".join(str(text).split())
    if not text:
        raise ConfigError("a review question cannot be empty")
    question, kind = text, AnswerType.TEXT
    choices: tuple[str, ...] = ()
    match = _TYPED.match(text)
    if match and match.group("kind").lower() in TYPE_NAMES:
        question = match.group("question")
        kind = TYPE_NAMES[match.group("kind").lower()]
        if match.group("choices") is not None:
            choices = tuple(c.strip() for c in match.group("choices").split("|") if c.strip())
    return make_column(question, kind, choices)


def make_column(question: str, kind: AnswerType | str, choices: tuple[str, ...] = (),
                name: str | None = None) -> ColumnSpec:
    """A column checked: a question of sensible length, a known type, choices for a choice."""
    question = " ".join(question.split())
    if not question:
        raise ConfigError("a review question cannot be empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise ConfigError(f"a review question may be at most {MAX_QUESTION_CHARS:,} "
                          f"characters (this one has {len(question):,})")
    try:
        kind = AnswerType(kind)
    except ValueError:
        raise ConfigError(f"unknown answer type {kind!r}; use one of "
                          f"{', '.join(t.value for t in AnswerType)}") from None
    if kind is AnswerType.CHOICE and not 2 <= len(choices) <= MAX_CHOICES:
        raise ConfigError(f"the question {question!r} is a choice: give 2 to {MAX_CHOICES} "
                          "choices, as choice(First|Second|Third)")
    if kind is not AnswerType.CHOICE and choices:
        raise ConfigError(f"choices are only for a choice question, not {kind.value}")
    shown = " ".join((name or question).split())
    if len(shown) > MAX_NAME_CHARS:
        shown = shown[:MAX_NAME_CHARS - 1].rstrip() + "…"
    return ColumnSpec(name=shown, question=question, kind=kind.value, choices=tuple(choices))


def template_names() -> list[str]:
    folder = resources.files("engine.review").joinpath("templates")
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir()
                  if p.name.endswith(".json"))


def load_template(name: str) -> tuple[str, list[ColumnSpec]]:
    """A shipped template's title and columns; ConfigError names the ones there are."""
    if name not in template_names():
        raise ConfigError(f"there is no review template {name!r}; there are: "
                          f"{', '.join(template_names())}")
    text = resources.files("engine.review").joinpath("templates", f"{name}.json").read_text(
        encoding="utf-8")
    data = json.loads(text)
    columns = [make_column(c["question"], c.get("kind", "text"), tuple(c.get("choices", ())),
                           name=c.get("name")) for c in data["columns"]]
    return str(data.get("name", name)), columns
