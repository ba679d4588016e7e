"""What a run that ended without FINAL had found: its REPL's variables and its helpers' answers.

Shown instead of an answer, so the model's last prose is never passed off as one.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from engine import events as ev
from engine.errors import SandboxError
from engine.rlm.parsing import clip_middle
from engine.sandbox.contract import NAMES
from engine.sandbox.host import ReplProcess

MAX_VARIABLES = 15
PREVIEW_CHARS = 200
HELPER_ANSWERS = 5
LAST_WORDS_CHARS = 2_000
# The look at the variables is quick; a model-made value whose repr hangs must not hold
# up the end of the run for a whole cell timeout.
READ_TIMEOUT_S = 10.0

_START, _END = "<<rlm-findings>>", "<<rlm-findings-end>>"
# Run in the REPL: the model's own variables (never the REPL's names such as `context`), the
# latest last, each with its type, size and a short preview. Leaves no name behind.
_READ_CELL = """\
def __rlm_findings(skip, limit, width):
    import json, reprlib
    shown = reprlib.Repr()
    shown.maxstring = shown.maxother = shown.maxlong = width
    shown.maxlist = shown.maxtuple = shown.maxdict = shown.maxset = 12
    rows = []
    for name, value in list(globals().items()):
        if (name.startswith("_") or name in skip or callable(value)
                or type(value).__name__ == "module"):
            continue
        try:
            size = len(value)
        except Exception:
            size = None
        try:
            text = value[:width] if isinstance(value, str) else shown.repr(value)
        except Exception:
            text = "?"
        rows.append([name, type(value).__name__, size, " ".join(text.split())[:width]])
    print(%r + json.dumps(rows[-limit:]) + %r)
try:
    __rlm_findings(%r, %d, %d)
finally:
    del __rlm_findings
"""


@dataclass(frozen=True)
class Variable:
    """One of the model's variables as the reader is shown it."""

    name: str
    kind: str         # the Python type's name
    size: int | None  # len() of the value, when it has one
    preview: str


@dataclass(frozen=True)
class HelperAnswer:
    question: str
    answer: str


class Findings:
    """What one run found besides an answer: its latest helper answers (gathered from its
    sub-call events) and, once read, its REPL's variables."""

    def __init__(self) -> None:
        self._asked: dict[str, str] = {}
        self.answers: deque[HelperAnswer] = deque(maxlen=HELPER_ANSWERS)
        self.answered = 0
        self.variables: list[Variable] = []

    def observe(self, cls: type[ev.RunEvent], fields: dict[str, Any]) -> None:
        """Note a sub-call's question, then its answer when it came back without error."""
        if cls is ev.SubCallStarted:
            self._asked[str(fields.get("call_id"))] = str(fields.get("prompt_preview", ""))
        elif cls is ev.SubCallFinished:
            question = self._asked.pop(str(fields.get("call_id")), "")
            if not fields.get("error"):
                self.answered += 1
                self.answers.append(HelperAnswer(question, str(fields.get("response_preview",
                                                                           ""))))

    async def read_variables(self, repl: ReplProcess) -> None:
        """Read the REPL's variables (a quick cell of our own, shown to no one)."""
        code = _READ_CELL % (_START, _END, sorted(NAMES), MAX_VARIABLES, PREVIEW_CHARS)
        saved = repl.cell_timeout
        repl.cell_timeout = min(saved, READ_TIMEOUT_S)
        try:
            result = await repl.run_cell(code)
        except SandboxError:
            return
        finally:
            repl.cell_timeout = saved
        if not result.restarted:
            self.variables = parse_variables(result.output)

    def report(self, last_words: str = "", held: str | None = None) -> str:
        """The partial answer: says the model did not finish, then the answer it held back
        unconfirmed (``held``), and what it had found; empty when it had found nothing."""
        last_words = last_words.strip()
        if not (self.variables or self.answers or last_words or held is not None):
            return ""
        if held is None:
            parts = ["The model did not finish: it gave no final answer. This is what it had "
                     "found when it stopped."]
        else:
            parts = ["The model did not finish: it did not confirm the answer it gave before "
                     "reading its results. This is that answer, then what it had found when "
                     "it stopped.", f"Its unconfirmed answer:\n\n{held}"]
        if self.variables:
            parts.append("Results kept in its workspace:\n" + "\n".join(
                f"- `{v.name}` ({describe(v)}): {v.preview}" for v in self.variables))
        if self.answers:
            shown = len(self.answers)
            which = f" (the last {shown} of {self.answered})" if self.answered > shown else ""
            parts.append(f"Answers from the helper model{which}:\n" + "\n".join(
                f"- Asked: {a.question}\n  Answered: {a.answer}" for a in self.answers))
        if last_words:
            parts.append("Its last reply, which it did not give as its answer:\n\n"
                         + clip_middle(last_words, LAST_WORDS_CHARS))
        return "\n\n".join(parts)


def parse_variables(output: str) -> list[Variable]:
    """The variables the read cell printed; none when its output is not what it prints."""
    start, end = output.find(_START), output.rfind(_END)
    if start < 0 or end < start:
        return []
    try:
        rows = json.loads(output[start + len(_START):end])
    except ValueError:
        return []
    variables = []
    for row in rows if isinstance(rows, list) else []:
        if (isinstance(row, list) and len(row) == 4 and isinstance(row[0], str)
                and isinstance(row[1], str) and isinstance(row[2], int | None)
                and isinstance(row[3], str)):
            variables.append(Variable(*row))
    return variables


_KINDS = {"int": "number", "float": "number", "bool": "yes or no", "NoneType": "nothing"}


def describe(variable: Variable) -> str:
    """The value's kind and size in a reader's words: "text, 1,204 characters"."""
    size = variable.size
    if variable.kind == "str" and size is not None:
        return f"text, {size:,} characters"
    if variable.kind in ("list", "tuple") and size is not None:
        return f"list of {size:,} item{'s' * (size != 1)}"
    if variable.kind == "dict" and size is not None:
        return f"table of {size:,} entr{'ies' if size != 1 else 'y'}"
    if variable.kind in _KINDS:
        return _KINDS[variable.kind]
    return variable.kind + (f", {size:,} items" if size is not None else "")
