"""The live progress lines of ``rlm ask`` on stderr: one readable line per event that matters."""

from __future__ import annotations

from typing import TextIO

from engine import events as ev
from engine.cli.terminal import printable
from engine.events import StopReason
from engine.rlm.pace_words import REUSED, pace_line, pace_worth_a_line, reused_count
from engine.rlm.words import (
    FOUND,
    compaction_words,
    describe_stop,
    held_back,
    money,
    safe_workspace,
    window_words,
)
from engine.rlm.words import ISOLATION_WORDS as ISOLATION_WORDS
from engine.rlm.words import KIND_WORDS as KIND_WORDS
from engine.rlm.words import STOP_DESCRIPTIONS as STOP_DESCRIPTIONS


def one_line(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'s' * (count != 1)}"


def size(chars: int) -> str:
    """12,345 characters as "12k characters": a sense of size, not a count."""
    if chars >= 1_000_000:
        return f"{chars / 1_000_000:.1f} million characters"
    if chars >= 10_000:
        return f"{chars // 1000:,}k characters"
    return plural(chars, "character")


def stop_title(reason: StopReason | str) -> str:
    """The words for a stop reason without "here is what was found" (for a line where no
    answer follows)."""
    return describe_stop(reason).removesuffix(FOUND)


def stop_line(reason: StopReason | str, duration_s: float, *, answer: bool = True) -> str:
    """"Stopped at the step limit after 41.2 s — here is what was found"; without an answer,
    "... after 41.2 s, with no answer"."""
    text = describe_stop(reason)
    line = f"{stop_title(reason)} after {duration_s:.1f} s"
    if text.endswith(FOUND):
        line += FOUND if answer else ", with no answer"
    return line


def nested_name(run_id: str) -> str:
    """A helper analysis by its place under its parent: ``RUN.2`` is number 2."""
    return run_id.rsplit(".", 1)[-1]

def format_event(event: ev.Event, *, answer: bool = True, sent: int | None = None) -> str | None:
    """The progress line for an event, or None for events that need no line of their own.
    ``answer``: whether the question has an answer to show (the last line's wording);
    ``sent``: the size of a finished helper question's prompt, when known."""
    indent = "  " * getattr(event, "depth", 0)
    match event:
        case ev.RunStarted() if event.depth == 0:
            root, sub = (window_words((event.windows or {}).get(r)) for r in ("root", "sub"))
            root = f" (window {root})" if root != "unknown" else ""
            sub = f" (window {sub})" if sub != "unknown" else ""
            return (f"question {event.run_id}: main model {event.root_model}{root}, helper "
                    f"model {event.sub_model}{sub}; {plural(event.documents, 'document')} "
                    f"({size(event.context_chars)})")
        case ev.RunStarted():
            return (f"{indent}helper analysis {nested_name(event.run_id)} started: "
                    f"{one_line(event.question, 60)}")
        case ev.SandboxStatus() if event.depth == 0:
            return safe_workspace(event.status)
        case ev.IterationStarted():
            return f"{indent}step {event.iteration}/{event.max_iterations}"
        case ev.ModelResponse():
            return (f"{indent}  {event.model} replied: {money(event.cost_usd)}, "
                    f"{event.latency_s:.1f} s")
        case ev.CellStarted():
            first = event.code.strip().splitlines()[0] if event.code.strip() else "(empty)"
            return f"{indent}  code: {one_line(first, 70)}"
        case ev.CellFinished():
            status = "failed" if event.error else "ran"
            if event.timed_out:
                status = "timed out"
            extra = "; the safe workspace was restarted" if event.restarted else ""
            return (f"{indent}  code {status} in {event.duration_s:.2f} s, "
                    f"{size(len(event.output))} of output{extra}")
        case ev.SubCallStarted():
            # A helper question has its one line when its answer is back; a helper analysis
            # says itself when it starts.
            return None
        case ev.SubCallFinished(kind="llm_query"):
            if event.error:
                return (f"{indent}    helper question to {event.model} failed: "
                        f"{one_line(event.error)}")
            what = f" ({size(sent)})" if sent is not None else ""
            if event.cached:
                return f"{indent}    helper question to {event.model}{what} → {REUSED}"
            return (f"{indent}    helper question to {event.model}{what} → "
                    f"{event.latency_s:.1f} s, {money(event.cost_usd)}")
        case ev.SubCallFinished() if event.error:
            what = KIND_WORDS.get(event.kind, event.kind)
            return f"{indent}    {what} with {event.model} failed: {one_line(event.error)}"
        case ev.SubCallFinished():
            return None   # a helper analysis that ran says how it ended itself
        case ev.UsageTotals():
            return None
        case ev.HistoryCompacted():
            return indent + "  " + compaction_words(
                event.before_tokens, event.after_tokens, event.window,
                summarized=event.summarized, harder=event.harder)
        case ev.ConcurrencyChanged() if pace_worth_a_line(event.limit, event.reason,
                                                          event.ceiling):
            return indent + pace_line(event.previous, event.limit, event.reason, event.ceiling,
                                      event.pause_s)
        case ev.Notice():
            return f"{indent}{event.level}: {event.message}"
        case ev.AnswerHeldBack():
            return f"{indent}  {held_back(event.reason)}"
        case ev.RunFinished() if event.depth == 0:
            error = f": {event.error}" if event.error else ""
            return stop_line(event.stop_reason, event.duration_s, answer=answer) + error
        case ev.RunFinished():
            return (f"{indent}helper analysis {nested_name(event.run_id)}: "
                    f"{stop_title(event.stop_reason)} after {event.duration_s:.1f} s")
    return None


class ProgressPrinter:
    """Writes progress lines; a running total (steps, helper questions, cost) follows each reply
    of the main model and ends the question."""

    def __init__(self, stream: TextIO) -> None:
        self.stream: TextIO | None = stream
        self.last_totals: ev.UsageTotals | None = None
        self._total_due = False
        self.steps = 0                   # of the main model (depth 0)
        self.helper_questions = 0        # llm_query calls at any depth
        self.reused = 0                  # of them, answered from an identical earlier one
        self.answer = False              # the question has an answer (partial or not) to show
        self._sent: dict[str, int] = {}  # prompt size of each helper question in flight

    def __call__(self, event: ev.Event) -> None:
        if self.stream is None:
            return
        try:
            self._write(event)
        except (OSError, ValueError):  # stderr closed (say, piped into `head`): go quiet
            self.stream = None

    def _count(self, event: ev.Event) -> int | None:
        """Keep the counts; the prompt size of a helper question that just finished."""
        match event:
            case ev.IterationStarted() if event.depth == 0:
                self.steps = event.iteration
            case ev.SubCallStarted(kind="llm_query"):
                self._sent[event.call_id] = event.prompt_chars
            case ev.SubCallFinished(kind="llm_query"):
                self.helper_questions += 1
                self.reused += event.cached
                return self._sent.pop(event.call_id, None)
            case ev.AnswerReady() if event.depth == 0:
                self.answer = bool(event.text.strip())
        return None

    def _write(self, event: ev.Event) -> None:
        assert self.stream is not None
        sent = self._count(event)
        line = format_event(event, answer=self.answer, sent=sent)
        if line is not None:
            # One event, one line: model names, notices and errors come from outside, and a
            # newline or escape in them could forge or overwrite a line (the sandbox's, say).
            self.stream.write(printable(line, keep_layout=False) + "\n")
        if isinstance(event, ev.ModelResponse):
            self._total_due = True
        elif isinstance(event, ev.UsageTotals):
            self.last_totals = event
            if self._total_due:
                self._total_due = False
                self.stream.write(f"{'  ' * event.depth}  so far: {self.summary(event)}\n")
        elif isinstance(event, ev.RunFinished) and event.depth == 0 and self.last_totals:
            self.stream.write(f"total: {self.summary(self.last_totals)}\n")
        self.stream.flush()

    def summary(self, totals: ev.UsageTotals) -> str:
        """"3 steps, 12 helper questions, $0.0400": steps and helper questions lead, tokens
        are for ``rlm show``."""
        reused = reused_count(self.reused)
        return (f"{plural(self.steps, 'step')}, {plural(self.helper_questions, 'helper question')}"
                f"{f' ({reused})' if reused else ''}, {total_cost(totals)}")


def total_cost(t: ev.UsageTotals) -> str:
    if t.cost_usd is None and t.known_cost_usd:
        return f"{money(t.known_cost_usd)} + unknown"
    return money(t.cost_usd)


def totals_line(t: ev.UsageTotals) -> str:
    """Model calls, tokens and cost, for the details view (``rlm show``)."""
    return (f"{plural(t.calls, 'model call')}, {t.prompt_tokens:,} prompt + "
            f"{t.completion_tokens:,} completion tokens, {total_cost(t)}")
