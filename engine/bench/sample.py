"""What a task generator returns: the context, the question, the gold answer and its kind."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Sample:
    """One generated item. ``gold`` is a list of numbers (needle), a label or a number
    (aggregate), or a list of ``[a, b]`` pairs with ``a < b`` (pairs)."""

    context: str
    question: str
    gold: Any
    kind: str       # the question's kind: "needle", "most_common", "count", "pairs_or", ...
    variant: str    # "single", "distractors", "multi"; "implicit", "explicit"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def target_chars(tokens: int) -> int:
    return tokens * CHARS_PER_TOKEN
