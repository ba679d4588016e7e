"""``rlm show``: list recent questions, or render the record of one analysis (its trajectory
log) as readable text: the details view, with the model's code and tokens."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.cli.common import EXIT_OK
from engine.cli.progress import (
    KIND_WORDS,
    describe_stop,
    held_back,
    money,
    nested_name,
    one_line,
    plural,
    safe_workspace,
    stop_title,
    totals_line,
)
from engine.cli.sources import source_lines
from engine.cli.terminal import printable
from engine.config import runs_dir
from engine.errors import ConfigError
from engine.rlm.citations import parse_markers
from engine.rlm.pace_words import REUSED, pace_line
from engine.rlm.words import compaction_words, window_words
from engine.store.trajectory import read_events

RULE = "─" * 72
QUOTE_SHOWN_CHARS = 80
# How a question ended, short enough for a column of the list (the record says it in full).
LIST_WORDS: dict[ev.StopReason, str] = {
    ev.StopReason.ANSWERED: "Answered",
    ev.StopReason.MAX_ITERATIONS: "Step limit",
    ev.StopReason.BUDGET: "Spending limit",
    ev.StopReason.TIMEOUT: "Time limit",
    ev.StopReason.MAX_SUB_CALLS: "Too many helper questions",
    ev.StopReason.MAX_ERRORS: "Code kept failing",
    ev.StopReason.CANCELLED: "Stopped by you",
    ev.StopReason.PROVIDER_ERROR: "AI service failed",
    ev.StopReason.SANDBOX_ERROR: "Safe workspace failed",
    ev.StopReason.ERROR: "Failed",
    ev.StopReason.WORKER_DIED: "Interrupted",
}
# The engine's words this details view uses, said once at the top of a record.
ENGINE_WORDS = ("Details view: \"code\" is what the main model ran in the safe workspace; "
                "llm_query is a helper question, rlm_query a helper analysis; tokens are "
                "what the AI service bills by.")


def short_call(call_id: str) -> str:
    """``RUN:3`` shown as ``#3``: the run is already in the heading."""
    return "#" + call_id.rsplit(":", 1)[-1]


def find_log(name: str) -> Path:
    """A log path given as a file, or a run id looked up in the data directory."""
    path = Path(name).expanduser()
    if path.is_file():
        return path
    candidate = runs_dir() / f"{name}.jsonl"
    if candidate.is_file():
        return candidate
    raise ConfigError(f"no saved analysis {name!r}: give a record file or a question's id "
                      f"(`rlm show` lists the questions saved in {runs_dir()})")


def list_runs(limit: int = 20) -> str:
    folder = runs_dir()
    logs = sorted(folder.glob("*.jsonl"), reverse=True)[:limit] if folder.is_dir() else []
    if not logs:
        return f"no questions saved yet in {folder}"
    lines = []
    for log in logs:
        question, reason = "", "Unfinished"
        for event in read_events(log):
            if isinstance(event, ev.RunStarted) and event.depth == 0:
                question = event.question
            elif isinstance(event, ev.RunFinished) and event.depth == 0:
                reason = LIST_WORDS.get(event.stop_reason, str(event.stop_reason)) \
                    if isinstance(event.stop_reason, ev.StopReason) else event.stop_reason
        lines.append(f"{started_at(log)}  {log.stem}  {reason:<25} "
                     f"{printable(one_line(question, 60), keep_layout=False)}")
    return "\n".join(lines)


def started_at(log: Path) -> str:
    """When a run started, in local time: from its id (``20261120-231800-4f2a9c``, UTC), else
    when its log was last written (a log renamed by hand)."""
    try:
        when = datetime.strptime(log.stem[:15], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        try:
            when = datetime.fromtimestamp(log.stat().st_mtime, tz=UTC)
        except OSError:
            return "????-??-?? ??:??"
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def _block(text: str, prefix: str, max_lines: int | None) -> str:
    # Escaped first, so only real newlines split it (not \r, \x85 or \u2028).
    lines = printable(text).rstrip("\n").splitlines() or [""]
    if max_lines is not None and len(lines) > max_lines:
        half = max_lines // 2
        note = f"... [{len(lines) - 2 * half} lines not shown; --full shows all]"
        lines = [*lines[:half], note, *lines[-half:]]
    return "\n".join(prefix + line for line in lines)


def citation_lines(answer: str, prefix: str) -> list[str]:
    """Each citation marker of an answer on a line of its own (none: no lines at all)."""
    citations = parse_markers(answer)
    if not citations:
        return []
    lines = ["", f"{prefix}Citations:"]
    for cite in citations:
        line = f"{prefix}  document {cite.doc_id}, page {cite.page}"
        if cite.quote:
            quote = cite.quote
            if len(quote) > QUOTE_SHOWN_CHARS:
                quote = quote[:QUOTE_SHOWN_CHARS - 1] + "…"
            line += f': "{printable(quote, keep_layout=False)}"'
        lines.append(line)
    return lines


def _window(event: ev.RunStarted, role: str) -> str:
    words = window_words((event.windows or {}).get(role))
    return f" (window {words})" if words != "unknown" else ""


def render(events: Iterable[ev.Event], *, full: bool = False) -> str:
    """Steps, the model's words and code, outputs, helper questions, totals and the answer."""
    max_lines = None if full else 40
    out: list[str] = []
    totals: ev.UsageTotals | None = None
    steps = helper_questions = 0
    for event in events:
        pad = "    " * event.depth if isinstance(event, ev.RunEvent) else ""
        match event:
            case ev.RunStarted():
                kind = ("Record of the analysis" if event.depth == 0
                        else f"Helper analysis {nested_name(event.run_id)}:")
                out += [f"{pad}{RULE}", f"{pad}{kind} {event.run_id}",
                        f"{pad}Question: {event.question}",
                        f"{pad}Models: main {event.root_model}{_window(event, 'root')}, "
                        f"helper {event.sub_model}{_window(event, 'sub')}",
                        f"{pad}Documents: {event.documents:,} selected, "
                        f"{event.context_chars:,} characters"]
                if event.depth == 0:
                    out += textwrap.wrap(ENGINE_WORDS, 72)
                out.append(f"{pad}{RULE}")
            case ev.SandboxStatus():
                line = safe_workspace(event.status)
                out.append(f"{pad}{line[:1].upper()}{line[1:]}")
            case ev.IterationStarted():
                if event.depth == 0:
                    steps = event.iteration
                out += ["", f"{pad}## Step {event.iteration} of {event.max_iterations}"]
            case ev.ModelResponse():
                out.append(f"{pad}{event.model} ({event.prompt_tokens:,} + "
                           f"{event.completion_tokens:,} tokens, {money(event.cost_usd)}, "
                           f"{event.latency_s:.1f} s):")
                out.append(_block(event.text, pad + "  │ ", max_lines))
            case ev.CellStarted():
                out.append(f"{pad}▶ code {event.cell}")
            case ev.CellFinished():
                status = "timed out" if event.timed_out else ("error" if event.error else "ok")
                restarted = "; the safe workspace was restarted" if event.restarted else ""
                out.append(f"{pad}◀ code {event.cell}: {status}, {event.duration_s:.2f} s"
                           f"{restarted}")
                if event.output.strip():
                    out.append(_block(event.output, pad + "  ┆ ", max_lines))
                if event.error:
                    out.append(_block(event.error, pad + "  ! ", max_lines))
            case ev.SubCallStarted():
                what = KIND_WORDS.get(event.kind, event.kind)
                out.append(f"{pad}  → {what} {short_call(event.call_id)} to {event.model}: "
                           f"{textwrap.shorten(event.prompt_preview, 100)}")
            case ev.SubCallFinished():
                helper_questions += event.kind == "llm_query"
                result = (f"error: {event.error}" if event.error
                          else textwrap.shorten(event.response_preview, 100))
                cost = money(event.cost_usd) if event.kind == "llm_query" else ""
                tokens = event.prompt_tokens + event.completion_tokens
                if event.cached:   # nothing was sent: no tokens, no cost, no wait to show
                    out.append(f"{pad}  ← {short_call(event.call_id)} {REUSED}: {result}")
                    continue
                out.append(f"{pad}  ← {short_call(event.call_id)} {tokens:,} tokens {cost} "
                           f"{event.latency_s:.1f} s: {result}")
            case ev.ConcurrencyChanged():
                pace = pace_line(event.previous, event.limit, event.reason, event.ceiling,
                                 event.pause_s)
                out.append(f"{pad}{pace}")
            case ev.UsageTotals():
                totals = event
            case ev.HistoryCompacted():
                out.append(f"{pad}" + compaction_words(
                    event.before_tokens, event.after_tokens, event.window,
                    summarized=event.summarized, harder=event.harder))
                if event.summary:
                    out.append(_block(event.summary, pad + "  │ ", max_lines))
            case ev.Notice():
                out.append(f"{pad}{event.level}: {event.message}")
            case ev.AnswerHeldBack():
                out += [f"{pad}{held_back(event.reason)}. The answer it gave first:",
                        _block(event.answer, pad + "  ┆ ", max_lines)]
            case ev.AnswerReady():
                label = "Partial answer" if event.partial else "Answer"
                out += ["", f"{pad}{label}:", _block(event.text, pad + "  ", None)]
                out += citation_lines(event.text, pad)
            case ev.AnswerCitations():
                # Under the markers as the model wrote them (this is the details view): the
                # sources as the engine resolved and checked them, as `rlm ask` prints them.
                out += source_lines(event.citations, pad)
            case ev.RunFinished():
                description = (describe_stop(event.stop_reason) if event.depth == 0
                               else stop_title(event.stop_reason))
                error = f" ({event.error})" if event.error else ""
                out.append(f"{pad}{description} (after {event.duration_s:.1f} s){error}")
    if totals is not None:
        out += ["", f"Total: {plural(steps, 'step')}, "
                f"{plural(helper_questions, 'helper question')}; {totals_line(totals)}"]
    # Every other field (question, model names, notices, errors) is untrusted too.
    return printable("\n".join(out) + "\n")


def add_commands(commands: Any) -> None:
    """Register ``show`` on the ``rlm`` subcommand parser."""
    show = commands.add_parser("show", help="print the record of a saved analysis, or list recent "
                                "questions")
    show.add_argument("run_log", nargs="?", help="a record file (a run log) or a question's id")
    show.add_argument("--full", action="store_true", help="do not shorten long outputs")


def command_show(args: argparse.Namespace) -> int:
    if not args.run_log:
        print(printable(list_runs()))
        return EXIT_OK
    sys.stdout.write(render(read_events(find_log(args.run_log)), full=args.full))
    return EXIT_OK


HANDLERS = {"show": command_show}
