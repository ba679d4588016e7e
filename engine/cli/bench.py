"""``rlm bench``: generate long-context tasks from a seed, run them against a model with the
direct, retrieval and RLM methods, and report scores with intervals, calls and cost."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from engine.bench import report as bench_report
from engine.bench import suite
from engine.bench.runner import check_methods
from engine.cli.argtypes import at_least_one, non_negative_int, positive_float
from engine.cli.bench_progress import BenchDisplay
from engine.cli.common import EXIT_LIMIT, EXIT_OK
from engine.cli.model_flags import add_model_flags, endpoints_from
from engine.cli.terminal import json_text, printable
from engine.config import config_dir, load_settings
from engine.errors import ConfigError

ACTIONS = ("generate", "context", "run", "report")
UNITS = {"k": 1 << 10, "m": 1 << 20}


def token_count(text: str) -> int:
    """131072, 128K or 1M (K = 1,024 tokens, M = 1,048,576)."""
    unit = UNITS.get(text[-1:].lower(), 1)
    digits = text[:-1] if unit > 1 else text
    try:
        return int(digits.replace(",", "").replace("_", "")) * unit
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a length in tokens (say 131072, "
                                         "128K or 1M)") from None


def add_commands(commands: Any) -> None:
    """Register ``bench`` on the ``rlm`` subcommand parser."""
    bench = commands.add_parser(
        "bench", help="measure how well a model answers over long texts (needle, aggregate, "
        "pairs, contracts)", description="generate: make questions and their answers from a seed; "
        "context DIR ID: print a question's text; run DIR: answer them with each method and "
        "score; report DIR: scores with 95% intervals, calls, tokens, cost and time.")
    actions = bench.add_subparsers(dest="bench_action", metavar="ACTION",
                                   parser_class=type(bench))
    generate = actions.add_parser("generate", help="make a benchmark folder from a seed")
    generate.add_argument("--task", action="append", required=True, choices=list(suite.TASKS),
                          help="needle, aggregate, pairs or contracts (repeat for more)")
    generate.add_argument("--tokens", action="append", type=token_count, required=True,
                          metavar="N", help="length of each text in tokens of 4 characters, "
                          "8K to 8M (repeat for more lengths)")
    generate.add_argument("--items", type=at_least_one, default=10, metavar="N",
                          help="questions per task and length (default 10)")
    generate.add_argument("--seed", type=int, default=1, help="the seed (default 1)")
    generate.add_argument("--variant", help="one variant only (needle: single, distractors, "
                          "multi; aggregate: implicit, explicit; pairs: both, date, asym; "
                          "contracts: clause, total, count, earliest, conflict); by "
                          "default they take turns")
    generate.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    generate.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")

    context = actions.add_parser("context", help="print one question's text on stdout")
    context.add_argument("folder", type=Path, metavar="DIR")
    context.add_argument("item_id", metavar="ID")

    run = actions.add_parser("run", help="answer every question with each method, and score")
    run.add_argument("folder", type=Path, metavar="DIR")
    run.add_argument("--methods", default="direct,retrieval,rlm",
                     help="comma-separated: direct (all the text in one prompt), retrieval "
                     "(BM25 top-k pieces in one prompt), rlm (this engine) (default: all)")
    run.add_argument("--task", action="append", choices=list(suite.TASKS),
                     help="only this task's questions (repeat for more)")
    run.add_argument("--budget", type=positive_float, metavar="USD",
                     help="stop before spending more than this in this run")
    run.add_argument("--top-k", type=at_least_one, default=10, metavar="K",
                     help="pieces the retrieval method puts in its prompt (default 10)")
    run.add_argument("--concurrency", type=non_negative_int, metavar="N",
                     help="helper questions asked at once by the rlm method")
    run.add_argument("--timeout", type=positive_float, metavar="SECONDS",
                     help="wall time for each rlm question")
    run.add_argument("--max-iterations", type=at_least_one, metavar="N",
                     help="steps of the main model in each rlm question")
    run.add_argument("--max-sub-calls", type=non_negative_int, metavar="N",
                     help="helper questions in each rlm question")
    run.add_argument("--allow-unsandboxed", action="store_true",
                     help="run the model's code even where the safe workspace cannot be fully "
                     "isolated (see the README's sandbox section)")
    run.add_argument("--results", type=Path, metavar="FILE",
                     help="where results are appended (default DIR/results.jsonl)")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    add_model_flags(run)

    report = actions.add_parser("report", help="scores, intervals, calls, tokens, cost, time")
    report.add_argument("folder", type=Path, metavar="DIR")
    report.add_argument("--results", type=Path, metavar="FILE",
                        help="the results to read (default DIR/results.jsonl)")
    report.add_argument("-o", "--output", type=Path, metavar="DIR",
                        help="also write report.md, report.json and PNG charts of score "
                        "and cost against length to DIR")
    report.add_argument("--json", action="store_true", help="print JSON on stdout")


def command_bench(args: argparse.Namespace) -> int:
    handler = {"generate": _generate, "context": _context, "run": _run,
               "report": _report}.get(args.bench_action or "")
    if handler is None:
        raise ConfigError("what should rlm bench do? one of: " + ", ".join(ACTIONS) +
                          " (rlm bench --help explains each)")
    return handler(args)


def _generate(args: argparse.Namespace) -> int:
    made = 0
    for task in args.task:
        for tokens in args.tokens:
            items = []
            for item in suite.make_items(task, tokens, args.items, args.seed, args.variant):
                items.append(item)
                made += 1
                if not args.quiet:
                    print(f"\r{task} at {tokens:,} tokens: {len(items)}/{args.items}",
                          end="", file=sys.stderr, flush=True)
            suite.write_items(args.output, items, {
                "task": task, "tokens": tokens, "count": args.items, "seed": args.seed,
                "variant": args.variant})
            if not args.quiet:
                print(file=sys.stderr)
    if not args.quiet:
        print(f"{made} questions in {printable(str(args.output))}; run them with: rlm bench "
              f"run {printable(str(args.output))} --model MODEL", file=sys.stderr)
    return EXIT_OK


def _context(args: argparse.Namespace) -> int:
    item = next((i for i in suite.read_items(args.folder) if i.id == args.item_id), None)
    if item is None:
        raise ConfigError(f"no question {args.item_id!r} in {args.folder}; its items.jsonl "
                          "lists the ids")
    sys.stdout.write(item.sample().context)
    return EXIT_OK


def setup_from(args: argparse.Namespace) -> Any:
    from engine.bench.methods import Setup  # the openai SDK: only when a run needs it
    from engine.providers.prices import PriceTable

    settings = load_settings()
    root, sub = endpoints_from(args, settings)
    overrides = {"batch_concurrency": args.concurrency, "timeout_s": args.timeout,
                 "max_iterations": args.max_iterations, "max_sub_calls": args.max_sub_calls}
    limits = dataclasses.replace(settings.limits,
                                 **{k: v for k, v in overrides.items() if v is not None})
    limits.validate()
    sandbox = dataclasses.replace(
        settings.sandbox,
        allow_unsandboxed=args.allow_unsandboxed or settings.sandbox.allow_unsandboxed)
    return Setup(root=root, sub=sub, prices=PriceTable.load(config_dir(), args.prices),
                 limits=limits, sandbox=sandbox, top_k=args.top_k)


def _run(args: argparse.Namespace) -> int:
    from engine.bench.runner import run

    methods = check_methods([m.strip() for m in args.methods.split(",") if m.strip()])
    suite.read_items(args.folder)  # a missing folder is said before any model is asked
    setup = setup_from(args)
    only = (lambda item: item.task in args.task) if args.task else None

    display = None if args.quiet else BenchDisplay(
        sys.stderr, bar=sys.stderr.isatty(), budget=args.budget,
        width=shutil.get_terminal_size().columns - 1)
    try:
        summary = asyncio.run(run(args.folder, methods, setup, budget=args.budget,
                                  results=args.results, only=only, on_progress=display))
    finally:
        if display is not None:
            display.finish()
    if not args.quiet:
        again = f" ({summary.skipped} already done)" if summary.skipped else ""
        print(f"{summary.ran} answered{again}, ${summary.spent_usd:.4f} spent; the report: "
              f"rlm bench report {printable(str(args.folder))}", file=sys.stderr)
    if summary.stopped_by_budget:
        print(f"rlm: stopped at the spending limit of ${args.budget:g}; run the same command "
              "again to go on", file=sys.stderr)
        return EXIT_LIMIT
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    results = suite.read_results(args.results or args.folder / suite.RESULTS)
    if not results:
        raise ConfigError(f"no results in {args.folder} yet; answer the questions first with "
                          f"rlm bench run {args.folder}")
    table = bench_report.rows(results)
    text = bench_report.markdown(table)
    if args.output is not None:
        from engine.bench.plots import write_charts  # pymupdf: only when charts are drawn

        args.output.mkdir(parents=True, exist_ok=True)
        charts = tuple(path.name for path in write_charts(table, args.output))
        text = bench_report.markdown(table, charts=charts)
        (args.output / "report.md").write_text(text, encoding="utf-8")
        (args.output / "report.json").write_text(
            json.dumps(bench_report.as_json(table), indent=1), encoding="utf-8")
    print(json_text(bench_report.as_json(table)) if args.json else printable(text), end=""
          if not args.json else "\n")
    return EXIT_OK


HANDLERS = {"bench": command_bench}
