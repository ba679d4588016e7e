"""The live progress lines of ``rlm ask`` on stderr: one readable line per event that matters."""

from __future__ import annotations

from typing import TextIO

from engine import events as ev
from engine.cli.terminal import printable
from engine.events import StopReason

# How a run's end reads on the command line (progress lines and ``rlm show``). ERROR and
# WORKER_DIED are only ever in the store, never in an event: they read as their own name.
STOP_DESCRIPTIONS: dict[StopReason, str] = {
    StopReason.ANSWERED: "answered",
    StopReason.MAX_ITERATIONS: "stopped: iteration limit reached",
    StopReason.BUDGET: "stopped: cost budget reached",
    StopReason.TIMEOUT: "stopped: time limit reached",
    StopReason.MAX_SUB_CALLS: "stopped: sub-call limit reached",
    StopReason.MAX_ERRORS: "stopped: too many failing code cells in a row",
    StopReason.CANCELLED: "cancelled",
    StopReason.PROVIDER_ERROR: "failed: model provider error",
    StopReason.SANDBOX_ERROR: "failed: the REPL process could not run",
    StopReason.ERROR: "error",
    StopReason.WORKER_DIED: "worker_died",
}


def money(cost: float | None) -> str:
    """Dollars with enough digits that a sub-cent call does not read as free."""
    if cost is None:
        return "cost unknown"
    return f"${cost:.4f}" if cost >= 0.01 or cost == 0 else f"${cost:.6f}"


def one_line(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_stop(reason: StopReason | str) -> str:
    """The words for a stop reason; one this version does not know (a log written by another
    version) as it is."""
    return STOP_DESCRIPTIONS[reason] if isinstance(reason, StopReason) else reason


def format_event(event: ev.Event) -> str | None:
    """The progress line for an event, or None for events that need no line of their own."""
    indent = "  " * getattr(event, "depth", 0)
    match event:
        case ev.RunStarted() if event.depth == 0:
            return (f"run {event.run_id}: {event.root_model} (sub-model {event.sub_model}), "
                    f"{event.documents} document(s), {event.context_chars:,} characters")
        case ev.RunStarted():
            return f"{indent}child run {event.run_id} started: {one_line(event.question, 60)}"
        case ev.SandboxStatus() if event.depth == 0:
            layers = event.status.get("layers", {})
            active = ", ".join(k for k, v in layers.items() if v) or "none"
            if event.status.get("enforced"):
                return f"sandbox: isolation enforced (active: {active})"
            note = event.status.get("note") or "kernel isolation is not applied"
            return f"sandbox: isolation NOT enforced: {note} (active: {active})"
        case ev.IterationStarted():
            return f"{indent}iteration {event.iteration}/{event.max_iterations}"
        case ev.ModelResponse():
            tokens = event.prompt_tokens + event.completion_tokens
            return (f"{indent}  {event.model} replied: {tokens:,} tokens, "
                    f"{money(event.cost_usd)}, {event.latency_s:.1f} s")
        case ev.CellStarted():
            return f"{indent}  cell {event.cell}: {one_line(event.code.strip().splitlines()[0] if event.code.strip() else '(empty)', 70)}"  # noqa: E501
        case ev.CellFinished():
            status = "error" if event.error else "ok"
            if event.timed_out:
                status = "timed out"
            extra = ", REPL restarted" if event.restarted else ""
            return (f"{indent}  cell {event.cell} {status} in {event.duration_s:.2f} s, "
                    f"{len(event.output):,} chars of output{extra}")
        case ev.SubCallStarted():
            return None
        case ev.SubCallFinished():
            if event.error and event.kind == "llm_query":
                return f"{indent}    {event.kind} {event.model} failed: {one_line(event.error)}"
            tokens = event.prompt_tokens + event.completion_tokens
            return (f"{indent}    {event.kind} {event.model}: {tokens:,} tokens, "
                    f"{money(event.cost_usd) if event.kind == 'llm_query' else ''}"
                    f"{', ' if event.kind == 'llm_query' else ''}{event.latency_s:.1f} s")
        case ev.UsageTotals():
            return None
        case ev.Notice():
            return f"{indent}{event.level}: {event.message}"
        case ev.RunFinished() if event.depth == 0:
            text = describe_stop(event.stop_reason)
            error = f": {event.error}" if event.error else ""
            return f"{text} after {event.duration_s:.1f} s{error}"
        case ev.RunFinished():
            return f"{indent}child run {event.run_id}: {event.stop_reason}"
    return None


class ProgressPrinter:
    """Writes progress lines; the running total follows each root reply and ends the run."""

    def __init__(self, stream: TextIO) -> None:
        self.stream: TextIO | None = stream
        self.last_totals: ev.UsageTotals | None = None
        self._total_due = False

    def __call__(self, event: ev.Event) -> None:
        if self.stream is None:
            return
        try:
            self._write(event)
        except (OSError, ValueError):  # stderr closed (say, piped into `head`): go quiet
            self.stream = None

    def _write(self, event: ev.Event) -> None:
        assert self.stream is not None
        line = format_event(event)
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
                self.stream.write(f"{'  ' * event.depth}  total: {totals_line(event)}\n")
        elif isinstance(event, ev.RunFinished) and event.depth == 0 and self.last_totals:
            self.stream.write(f"total: {totals_line(self.last_totals)}\n")
        self.stream.flush()


def totals_line(t: ev.UsageTotals) -> str:
    cost = money(t.cost_usd)
    if t.cost_usd is None and t.known_cost_usd:
        cost = f"{money(t.known_cost_usd)} + unknown"
    return (f"{t.calls} calls, {t.prompt_tokens:,} prompt + {t.completion_tokens:,} completion "
            f"tokens, {cost}")
