"""The Review view's words: answer types by their plain names, what each answer's status is
called and which tone it is shown in, money and progress as people read them, and what an
open review holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rlm_desktop.run.format import one_line


@dataclass(frozen=True)
class AnswerKind:
    kind: str          # the engine's name
    label: str         # in the question dialog
    hint: str          # beside it


ANSWER_KINDS = (
    AnswerKind("text", "Text", "a short answer in words"),
    AnswerKind("yesno", "Yes/No", "yes or no"),
    AnswerKind("number", "Number", "a number, such as a notice period in days"),
    AnswerKind("date", "Date", "a date, such as when the term ends"),
    AnswerKind("money", "Amount of money", "an amount with its currency"),
    AnswerKind("choice", "One of a list", "one of the choices you give"),
    AnswerKind("list", "List", "several items, such as the parties"),
)
KIND_LABELS = {k.kind: k.label for k in ANSWER_KINDS}

NOT_RUN = ""          # a cell with no stored answer yet
# status -> (words on screen, tone of palette_tones)
STATUS = {
    "answered": ("Answered", "calm"),
    "not_stated": ("Not in this document", "neutral"),
    "unreadable": ("Could not read the answer", "warn"),
    "failed": ("Failed", "bad"),
    "stopped": ("Stopped before it was answered", "warn"),
    NOT_RUN: ("Not run yet", "neutral"),
}
STATUS_ORDER = ("answered", "not_stated", "unreadable", "failed", "stopped", NOT_RUN)


def status_words(status: str) -> str:
    return STATUS.get(status, STATUS[NOT_RUN])[0]


def status_tone(status: str) -> str:
    return STATUS.get(status, STATUS[NOT_RUN])[1]


def dollars(usd: float | None) -> str:
    """$0.0042 for small sums (a cent would hide them), $12.40 above a cent."""
    if usd is None:
        return "cost unknown"
    return f"${usd:.4f}" if 0 < usd < 0.01 else f"${usd:,.2f}"


def progress_words(done: int, total: int, cost_usd: float | None, failed: int = 0) -> str:
    """"37 of 200 answers · $0.41" (and how many failed)."""
    text = f"{done:,} of {total:,} answer{'s' if total != 1 else ''}"
    if failed:
        text += f" · {failed:,} failed"
    if cost_usd is not None:
        text += f" · {dollars(cost_usd)}"
    return text


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


def review_words(review: dict[str, Any], documents: int, questions: int) -> str:
    """"Leases: 12 documents of “Leases” × 3 questions." — an open review in a line."""
    where = (f"“{review.get('collection')}”" if review.get("collection")
             else "chosen documents")
    return (f"{one_line(str(review.get('name') or ''), 80)}: "
            f"{plural(documents, 'document')} of {where} × "
            f"{plural(questions, 'question')}.")
