"""``rlm show``: list recent runs, or render one run's trajectory log as readable text."""

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
from engine.cli.progress import describe_stop, money, one_line, totals_line
from engine.cli.terminal import printable
from engine.config import runs_dir
from engine.errors import ConfigError
from engine.rlm.citations import parse_markers
from engine.store.trajectory import read_events

RULE = "─" * 72
QUOTE_SHOWN_CHARS = 80


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
    raise ConfigError(f"no run log {name!r}: give a log file or a run id "
                      f"(run `rlm show` to list the runs in {runs_dir()})")


def list_runs(limit: int = 20) -> str:
    folder = runs_dir()
    logs = sorted(folder.glob("*.jsonl"), reverse=True)[:limit] if folder.is_dir() else []
    if not logs:
        return f"no runs yet in {folder}"
    lines = []
    for log in logs:
        question, reason = "", "unfinished"
        for event in read_events(log):
            if isinstance(event, ev.RunStarted) and event.depth == 0:
                question = event.question
            elif isinstance(event, ev.RunFinished) and event.depth == 0:
                reason = event.stop_reason
        lines.append(f"{started_at(log)}  {log.stem}  {reason:<15} "
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


def render(events: Iterable[ev.Event], *, full: bool = False) -> str:
    """Iterations, the model's words and code, outputs, sub-calls, totals and the answer."""
    max_lines = None if full else 40
    out: list[str] = []
    totals: ev.UsageTotals | None = None
    for event in events:
        pad = "    " * event.depth if isinstance(event, ev.RunEvent) else ""
        match event:
            case ev.RunStarted():
                kind = "Run" if event.depth == 0 else "Child run"
                out += [f"{pad}{RULE}", f"{pad}{kind} {event.run_id}",
                        f"{pad}Question: {event.question}",
                        f"{pad}Models: root {event.root_model}, sub {event.sub_model}",
                        f"{pad}Context: {event.context_chars:,} characters in "
                        f"{event.documents} document(s)", f"{pad}{RULE}"]
            case ev.SandboxStatus():
                state = "enforced" if event.status.get("enforced") else "not enforced"
                out.append(f"{pad}Sandbox: {state}; {event.status.get('note', '')}".rstrip("; "))
            case ev.IterationStarted():
                out += ["", f"{pad}## Iteration {event.iteration} of {event.max_iterations}"]
            case ev.ModelResponse():
                out.append(f"{pad}{event.model} ({event.prompt_tokens:,} + "
                           f"{event.completion_tokens:,} tokens, {money(event.cost_usd)}, "
                           f"{event.latency_s:.1f} s):")
                out.append(_block(event.text, pad + "  │ ", max_lines))
            case ev.CellStarted():
                out.append(f"{pad}▶ cell {event.cell}")
            case ev.CellFinished():
                status = "timed out" if event.timed_out else ("error" if event.error else "ok")
                out.append(f"{pad}◀ cell {event.cell}: {status}, {event.duration_s:.2f} s")
                if event.output.strip():
                    out.append(_block(event.output, pad + "  ┆ ", max_lines))
                if event.error:
                    out.append(_block(event.error, pad + "  ! ", max_lines))
            case ev.SubCallStarted():
                out.append(f"{pad}  → {event.kind} {short_call(event.call_id)} {event.model}: "
                           f"{textwrap.shorten(event.prompt_preview, 100)}")
            case ev.SubCallFinished():
                result = (f"error: {event.error}" if event.error
                          else textwrap.shorten(event.response_preview, 100))
                cost = money(event.cost_usd) if event.kind == "llm_query" else ""
                tokens = event.prompt_tokens + event.completion_tokens
                out.append(f"{pad}  ← {short_call(event.call_id)} {tokens:,} tokens {cost} "
                           f"{event.latency_s:.1f} s: {result}")
            case ev.UsageTotals():
                totals = event
            case ev.Notice():
                out.append(f"{pad}{event.level}: {event.message}")
            case ev.AnswerReady():
                label = "Partial answer" if event.partial else "Answer"
                out += ["", f"{pad}{label}:", _block(event.text, pad + "  ", None)]
                out += citation_lines(event.text, pad)
            case ev.RunFinished():
                description = describe_stop(event.stop_reason)
                error = f" ({event.error})" if event.error else ""
                out.append(f"{pad}{description} after {event.duration_s:.1f} s{error}")
    if totals is not None:
        out += ["", f"Total: {totals_line(totals)}"]
    # Every other field (question, model names, notices, errors) is untrusted too.
    return printable("\n".join(out) + "\n")


def add_commands(commands: Any) -> None:
    """Register ``show`` on the ``rlm`` subcommand parser."""
    show = commands.add_parser("show", help="print a run's trajectory, or list recent runs")
    show.add_argument("run_log", nargs="?", help="a trajectory log file or a run id")
    show.add_argument("--full", action="store_true", help="do not shorten long outputs")


def command_show(args: argparse.Namespace) -> int:
    if not args.run_log:
        print(printable(list_runs()))
        return EXIT_OK
    sys.stdout.write(render(read_events(find_log(args.run_log)), full=args.full))
    return EXIT_OK


HANDLERS = {"show": command_show}
