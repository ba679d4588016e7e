"""``rlm ask``: answer a question about documents, with progress on stderr."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import shlex
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine import events as ev
from engine.cli import library as library_cli
from engine.cli.argtypes import non_negative_int, positive_float
from engine.cli.common import (
    EXIT_CANCELLED,
    EXIT_LIMIT,
    EXIT_OK,
    EXIT_PROVIDER,
    EXIT_SANDBOX,
)
from engine.cli.model_flags import add_model_flags, endpoints_from
from engine.cli.progress import ProgressPrinter, stop_title
from engine.cli.sources import citations_json, numbered, source_lines
from engine.cli.terminal import json_text, printable
from engine.config import Limits, config_dir, load_settings, runs_dir
from engine.errors import ConfigError
from engine.events import LIMIT_REASONS, StopReason
from engine.providers.prices import PriceTable, check_budget_prices
from engine.rlm import model_checks
from engine.secrets import safe_url
from engine.store.trajectory import TrajectoryLog

if TYPE_CHECKING:
    from engine.rlm.loop import RunResult
    from engine.rlm.session import RunSpec

# ERROR and WORKER_DIED are only recorded by the GUI's worker (a run here that raises exits
# through the exception); they keep the code any reason without one of its own had.
EXIT_CODES: dict[StopReason, int] = {
    StopReason.ANSWERED: EXIT_OK,
    StopReason.PROVIDER_ERROR: EXIT_PROVIDER,
    StopReason.SANDBOX_ERROR: EXIT_SANDBOX,
    StopReason.CANCELLED: EXIT_CANCELLED,
    StopReason.ERROR: EXIT_PROVIDER,
    StopReason.WORKER_DIED: EXIT_PROVIDER,
    **{reason: EXIT_LIMIT for reason in LIMIT_REASONS},
}


def _default(field: str) -> str:
    """A limit's built-in default for --help, read from Limits so the two never disagree."""
    value = getattr(Limits(), field)
    if value is None:
        return "(default: none)"
    return f"(default {value:g})" if isinstance(value, float) else f"(default {value:,})"


def add_commands(commands: Any) -> None:
    """Register ``ask`` on the ``rlm`` subcommand parser."""
    ask = commands.add_parser("ask", help="answer a question about documents")
    ask.add_argument("question", help="the question (quote it)")
    source = ask.add_argument_group("documents")
    source.add_argument("--docs", nargs="+", metavar="PATH", default=[],
                        help="files or folders (PDF, Word, text, HTML); they are added to the "
                        "library first, so asking again starts at once")
    source.add_argument("--collection", metavar="NAME",
                        help="a stored collection (see `rlm collections`); with --docs, the "
                        "files join it")
    add_model_flags(ask)
    limits = ask.add_argument_group(
        "limits", "each default is the settings file's value, else the one shown")
    limits.add_argument("--max-iterations", type=non_negative_int, metavar="N",
                        help=f"steps of the main model {_default('max_iterations')}")
    limits.add_argument("--max-depth", type=non_negative_int, metavar="N",
                        help=f"how deep helper analyses (rlm_query) may nest "
                        f"{_default('max_depth')}")
    limits.add_argument("--budget", type=positive_float, metavar="USD",
                        help=f"stop when the question has cost this much "
                        f"{_default('budget_usd')}")
    limits.add_argument("--timeout", type=positive_float, metavar="SECONDS",
                        help=f"wall time for the whole question {_default('timeout_s')}")
    limits.add_argument("--cell-timeout", type=positive_float, metavar="SECONDS",
                        help=f"wall time for one piece of the model's code "
                        f"{_default('cell_timeout_s')}")
    limits.add_argument("--max-sub-calls", type=non_negative_int, metavar="N",
                        help=f"helper questions and helper analyses (their own model calls "
                        f"too) in the whole question "
                        f"{_default('max_sub_calls')}")
    limits.add_argument("--max-errors", type=non_negative_int, metavar="N",
                        help=f"stop after the model's code failed N times in a row "
                        f"{_default('max_consecutive_errors')}")
    limits.add_argument("--concurrency", type=non_negative_int, metavar="N",
                        help=f"at most N helper questions asked at once (fewer while "
                        f"the AI service asks to slow down) "
                        f"{_default('batch_concurrency')}")
    limits.add_argument("--allow-unsandboxed", action="store_true",
                        help="run the model's code even where the safe workspace cannot be "
                        "fully isolated (old kernel, Windows); see the README's sandbox "
                        "section")
    limits.add_argument("--output-limit", type=non_negative_int, metavar="CHARS",
                        help=f"characters of its code's output the model sees "
                        f"{_default('output_limit_chars')}")
    limits.add_argument("--call-timeout", type=positive_float, metavar="SECONDS",
                        help=f"wall time for one model call before it is retried "
                        f"{_default('call_timeout_s')}")
    limits.add_argument("--max-retries", type=non_negative_int, metavar="N",
                        help=f"retries of a failing model call {_default('max_retries')}")
    limits.add_argument("--accept-early-answers", action="store_true",
                        help="end at the model's first FINAL even when it answered before "
                        "seeing its code's output (by default such an answer is held back "
                        "once and the model asked to confirm it)")
    output = ask.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    output.add_argument("--log", type=Path, metavar="FILE",
                        help="also write the record of the analysis (JSON lines) to FILE")
    output.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def limits_from(args: argparse.Namespace, base: Limits) -> Limits:
    overrides = {"max_iterations": args.max_iterations, "max_depth": args.max_depth,
                 "budget_usd": args.budget, "timeout_s": args.timeout,
                 "cell_timeout_s": args.cell_timeout, "max_sub_calls": args.max_sub_calls,
                 "max_consecutive_errors": args.max_errors,
                 "batch_concurrency": args.concurrency, "call_timeout_s": args.call_timeout,
                 "max_retries": args.max_retries, "output_limit_chars": args.output_limit,
                 "confirm_early_answers": False if args.accept_early_answers else None}
    limits = Limits(**{**vars(base), **{k: v for k, v in overrides.items() if v is not None}})
    limits.validate()
    return limits


def spec_from(args: argparse.Namespace) -> RunSpec:
    """Turn flags plus saved settings into a run, or raise ConfigError saying what is missing."""
    # Imported here: the openai SDK under the run takes half a second, which `rlm show`,
    # `rlm docs` and `rlm --version` should not pay.
    from engine.rlm.session import RunSpec, new_run_id
    settings = load_settings()
    if not args.docs and not args.collection:
        # Only the default collection in the library: that is what the question is about.
        args.collection = library_cli.sole_default_collection()
        if not args.quiet:
            print(f"documents: the collection {args.collection!r} (the only one)",
                  file=sys.stderr)
    library_cli.check_ask_sources(args.docs, args.collection)
    root, sub = endpoints_from(args, settings)
    limits = limits_from(args, settings.limits)
    prices = PriceTable.load(config_dir(), args.prices)
    check_budget_prices(limits.budget_usd, prices, (root.model, sub.model))
    # Read the documents after every other check, so a mistyped flag costs no ingest.
    cached = library_cli.documents_for_ask(args.docs, args.collection,
                                           None if args.quiet else sys.stderr)
    sandbox = dataclasses.replace(
        settings.sandbox,
        allow_unsandboxed=args.allow_unsandboxed or settings.sandbox.allow_unsandboxed)
    return RunSpec(question=args.question, context="", documents=cached.documents,
                   root=root, sub=sub, limits=limits, prices=prices, run_id=new_run_id(),
                   sandbox=sandbox, prepared=cached)


def _run_with_signals(spec: RunSpec, emit: Callable[[ev.Event], None]) -> RunResult:
    """Run in an event loop where Ctrl-C or SIGTERM cancels the run instead of killing us."""

    from engine.rlm.session import run_question

    async def main() -> RunResult:
        cancel = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, cancel.set)
            except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C raises instead
                pass
        return await run_question(spec, emit, cancel)

    return asyncio.run(main())


def warn_about_model(spec: RunSpec) -> None:
    """Say before the run when its main model failed its last check (``rlm models check``)."""
    warning = model_checks.warning_for(spec.root.base_url, spec.root.model)
    if warning is not None:
        again = shlex.join(["rlm", "models", "check", "--model", spec.root.model,
                            "--base-url", safe_url(spec.root.base_url)])
        print(f"rlm: warning: {printable(warning)} Test again: "
              f"{printable(again, keep_layout=False)}", file=sys.stderr)


def command_ask(args: argparse.Namespace) -> int:
    return answer(spec_from(args), args)


def answer(spec: RunSpec, args: argparse.Namespace) -> int:
    """Run ``spec`` with progress on stderr (unless ``args.quiet``), its record kept, and print
    the answer and its checked sources (or JSON with ``args.json``); the exit code."""
    warn_about_model(spec)
    log_path = getattr(args, "log", None)
    logs = open_logs([runs_dir() / f"{spec.run_id}.jsonl", *([log_path] if log_path else [])])
    printer = None if args.quiet else ProgressPrinter(sys.stderr)

    def emit(event: ev.Event) -> None:
        for log in logs:
            log.write(event)
        if printer is not None:
            printer(event)

    try:
        result = _run_with_signals(spec, emit)
    finally:
        for log in logs:
            log.close()
    if args.json:
        print(json_text(result_json(result)))
    else:
        if result.error and printer is None:  # the progress lines already said it
            print(f"rlm: {printable(result.error)}", file=sys.stderr)
        if result.answer:
            # The model's words: no escape reaches the terminal.
            print(printable(numbered(result.answer) if result.citations else result.answer))
            for line in source_lines(result.citations):
                print(line)
        if result.stop_reason != StopReason.ANSWERED:
            what = "this answer is partial" if result.answer else "no answer"
            why = stop_title(result.stop_reason)
            print(f"rlm: {what} ({why[:1].lower() + why[1:]}); the record of the analysis: "
                  f"rlm show {result.run_id}", file=sys.stderr)
    return EXIT_CODES[result.stop_reason]


def open_logs(paths: list[Path]) -> list[TrajectoryLog]:
    """Open every trajectory log before the run starts, so a bad path costs nothing."""
    logs: list[TrajectoryLog] = []
    for path in paths:
        try:
            logs.append(TrajectoryLog(path))
        except OSError as exc:
            for log in logs:
                log.close()
            raise ConfigError(f"cannot write the record of the analysis to {path}: "
                              f"{exc.strerror or exc}; choose another --log path") from exc
    return logs


def result_json(result: RunResult) -> dict[str, Any]:
    usage = result.usage
    return {"answer": result.answer, "stop_reason": result.stop_reason,
            "run_id": result.run_id, "partial": result.partial, "error": result.error,
            "iterations": result.iterations, "duration_s": round(result.duration_s, 3),
            "usage": {"calls": usage.get("calls", 0),
                      "prompt_tokens": usage.get("prompt_tokens", 0),
                      "completion_tokens": usage.get("completion_tokens", 0),
                      "cached_tokens": usage.get("cached_tokens", 0),
                      "cost_usd": usage.get("cost_usd"),
                      "unpriced_models": usage.get("unpriced_models", [])},
            "sandbox": result.sandbox, "citations": citations_json(result.citations)}


HANDLERS = {"ask": command_ask}
