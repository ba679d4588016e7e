"""``rlm review``: the same questions asked of every document of a collection, each answer
typed and cited, in a table that can be resumed, shown and exported (Excel, CSV, Word)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
import sys
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.cli.argtypes import non_negative_int, positive_float
from engine.cli.common import EXIT_CANCELLED, EXIT_LIMIT, EXIT_OK
from engine.cli.model_flags import add_model_flags, endpoints_from
from engine.cli.terminal import json_text, printable
from engine.config import config_dir, load_settings, runs_dir
from engine.errors import ConfigError
from engine.review import export as review_export
from engine.review.columns import load_template, parse_column, template_names
from engine.rlm.pace_words import pace_line, pace_worth_a_line
from engine.store import reviews as store
from engine.store.library import Library

ACTIONS = ("list", "show", "resume", "export", "ask")
AGAIN = {"failed": (store.FAILED, store.STOPPED), "unreadable": (store.UNREADABLE,),
         "all": store.CELL_STATUSES}


def add_commands(commands: Any) -> None:
    """Register ``review`` on the ``rlm`` subcommand parser."""
    review = commands.add_parser(
        "review", help="ask the same questions of every document, in a table",
        description="Without ACTION: start a review of --collection with --column questions "
        "(or a --template). list: the reviews; show ID: a review's table; resume ID: run what "
        "is missing (and any new --column); export ID -o FILE: Excel, CSV or Word; ask ID "
        "QUESTION: a question about the whole table, with the documents still at hand.")
    review.add_argument("action", nargs="?", choices=ACTIONS, metavar="ACTION",
                        help=f"one of {', '.join(ACTIONS)} (default: start a new review)")
    review.add_argument("review_id", nargs="?", metavar="ID", help="a review's id")
    review.add_argument("question", nargs="?", metavar="QUESTION",
                        help="with ask: the question about the table (quote it)")
    review.add_argument("--collection", metavar="NAME", help="the documents to review")
    review.add_argument("--column", action="append", default=[], metavar="QUESTION[:TYPE]",
                        help="a question asked of every document; TYPE is text (default), "
                        "yesno, number, date, money, list or choice(A|B|C). Repeat for more")
    review.add_argument("--template", choices=template_names(),
                        help="start from a shipped set of questions")
    review.add_argument("--name", help="the review's name (default: the collection's)")
    review.add_argument("--again", choices=sorted(AGAIN),
                        help="with resume: also run cells that failed, could not be read, or all")
    review.add_argument("--only-column", action="append", default=[], metavar="NAME",
                        help="with resume: run only this question's answers (its name as "
                        "shown; repeat for more)")
    review.add_argument("--only-document", action="append", default=[], type=int,
                        metavar="ID", help="with resume: run only this document's answers "
                        "(its id, as rlm docs shows; repeat for more)")
    review.add_argument("--budget", type=positive_float, metavar="USD",
                        help="stop when the review has cost this much")
    review.add_argument("--concurrency", type=non_negative_int, metavar="N",
                        help="answers being worked on at once (default 16)")
    add_model_flags(review)
    review.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="also write the table to FILE (.xlsx, .csv or .docx)")
    review.add_argument("--json", action="store_true", help="print JSON on stdout")
    review.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def command_review(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list(args)
    if args.action in ("show", "resume", "export", "ask") and not args.review_id:
        raise ConfigError(f"which review? give its id: rlm review {args.action} ID "
                          "(rlm review list shows them)")
    if args.action == "show":
        return _show(args)
    if args.action == "ask":
        return _ask(args)
    if args.action == "export":
        if args.output is None:
            raise ConfigError("where to? give -o FILE (.xlsx, .csv or .docx)")
        return _export(args.review_id, args.output, args)
    kind = _output_kind(args.output) if args.output else None
    review_id = _resume_target(args) if args.action == "resume" else _create(args)
    code = _run(review_id, args)
    if kind:
        _export(review_id, args.output, args)
    return code


def _output_kind(output: Path) -> str:
    kind = review_export.SUFFIXES.get(output.suffix.lower())
    if kind is None:
        raise ConfigError(f"cannot tell the format of {str(output)!r}: end the name in .xlsx, "
                          ".csv or .docx")
    return kind


def _create(args: argparse.Namespace) -> str:
    if not args.collection:
        raise ConfigError("which documents? give --collection NAME (rlm collections lists "
                          "them)")
    columns: list[store.ColumnSpec] = []
    title = None
    if args.template:
        title, columns = load_template(args.template)
    columns += [parse_column(text) for text in args.column]
    if not columns:
        raise ConfigError("which questions? give --column \"QUESTION[:TYPE]\" (repeat it) or "
                          f"--template ({', '.join(template_names())})")
    with Library() as library:
        docs = library.documents(collection=args.collection)
        if not docs:
            raise ConfigError(f"the collection {args.collection!r} has no documents; add some "
                              "with rlm ingest")
        name = args.name or (f"{title} — {args.collection}" if title else args.collection)
        return store.create_review(library.conn, name, args.collection, columns,
                                   [d.id for d in docs], budget_usd=args.budget)


def _resume_target(args: argparse.Namespace) -> str:
    with Library() as library:
        store.require_review(library.conn, args.review_id)
        new_columns = [parse_column(text) for text in args.column]
        if args.template:
            new_columns = load_template(args.template)[1] + new_columns
        if new_columns:
            store.add_columns(library.conn, args.review_id, new_columns)
    return str(args.review_id)


def _run(review_id: str, args: argparse.Namespace) -> int:
    from engine.providers.prices import PriceTable, check_budget_prices
    from engine.review.runner import DEFAULT_CONCURRENCY, ReviewRunner
    from engine.rlm.clients import ClientPool

    settings = load_settings()
    root, sub = endpoints_from(args, settings)
    prices = PriceTable.load(config_dir(), args.prices)
    with Library() as library:
        record = store.require_review(library.conn, review_id)
    budget = args.budget if args.budget is not None else record.budget_usd
    column_ids = _column_ids(record, args.only_column)
    unknown = sorted(set(args.only_document) - set(record.doc_ids))
    if unknown:
        raise ConfigError(f"document {', '.join(map(str, unknown))} is not in this review; "
                          f"rlm review show {review_id} lists its documents")
    check_budget_prices(budget, prices, (root.model, sub.model))
    out = None if args.quiet else sys.stderr
    again = (*AGAIN.get(args.again or "", ()), store.STOPPED)

    def on_cell(cell: store.CellRecord, progress: Any) -> None:
        if out is not None:
            cost = "" if progress.unpriced else f" · {dollars(progress.cost_usd)}"
            print(printable(f"answer {progress.done}/{progress.total}{cost}"), file=out)

    def emit(event: Any) -> None:
        if out is not None and isinstance(event, ev.ConcurrencyChanged) and \
                pace_worth_a_line(event.limit, event.reason, event.ceiling):
            print(printable(pace_line(event.previous, event.limit, event.reason,
                                      event.ceiling, event.pause_s)), file=out)

    async def main() -> Any:
        pool = ClientPool(root, sub, prices, settings.limits)
        runner = ReviewRunner(library_path=None, pool=pool, limits=settings.limits,
                              sandbox=settings.sandbox, budget_usd=budget,
                              concurrency=args.concurrency or DEFAULT_CONCURRENCY,
                              on_cell=on_cell, emit=emit, runs_folder=runs_dir())
        cancel = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, cancel.set)
            except (NotImplementedError, RuntimeError):
                pass
        try:
            plans = await runner.plan(review_id, again=again, column_ids=column_ids,
                                      doc_ids=args.only_document or None)
            if out is not None:
                estimate = runner.estimate(plans)
                cost = "cost unknown (no price for the helper model)" if estimate is None \
                    else f"about {dollars(estimate)}"
                long_docs = sum(p.strategy == "rlm" for p in plans)
                print(printable(f"review {review_id}: {len(plans)} answers to find, {cost}"
                                + (f"; {long_docs} in long documents read step by step"
                                   if long_docs else "")), file=out)
            return await runner.run(review_id, plans, cancel)
        finally:
            await runner.close()
            await pool.aclose()

    outcome = asyncio.run(main())
    with Library() as library:
        table = review_export.read_table(library, review_id)
    if args.json:
        print(json_text(_table_json(table, outcome)))
    else:
        _print_table(table)
        if outcome.stopped_reason and out is not None:
            why = "the budget was reached" if outcome.stopped_reason == "budget" \
                else "it was stopped"
            print(f"rlm: the review is not complete ({why}); run what is left with "
                  f"rlm review resume {review_id}", file=out)
    if outcome.stopped_reason == "cancelled":
        return EXIT_CANCELLED
    return EXIT_LIMIT if outcome.stopped_reason else EXIT_OK


def dollars(usd: float) -> str:
    """$0.0042 for small sums (a cent would hide them), $12.40 above a cent."""
    return f"${usd:.4f}" if usd < 0.01 else f"${usd:,.2f}"


def _column_ids(record: store.ReviewRecord, names: list[str]) -> list[int] | None:
    """The ids of the questions named (as shown, any case); None for all of them."""
    if not names:
        return None
    by_name = {c.name.casefold(): c.id for c in record.columns}
    missing = [n for n in names if n.casefold() not in by_name]
    if missing:
        known = "; ".join(c.name for c in record.columns)
        raise ConfigError(f"no question named {missing[0]!r} in this review; its questions "
                          f"are: {known}")
    return [by_name[n.casefold()] for n in names]


def _table_json(table: review_export.ReviewTable, outcome: Any = None) -> dict[str, Any]:
    data = {"review": table.review.to_json(),
            "documents": [{"id": d.id, "title": d.title, "path": d.path} for d in table.rows],
            "cells": [c.to_json() for c in table.cells.values()]}
    if outcome is not None:
        data["run"] = {"ran": outcome.ran, "stopped": outcome.stopped_reason,
                       "cost_usd": None if outcome.progress.unpriced
                       else outcome.progress.cost_usd,
                       "seconds": round(outcome.seconds, 3)}
    return data


def _print_table(table: review_export.ReviewTable) -> None:
    """Each document with its answers, one per line (a terminal is too narrow for a grid)."""
    print(printable(f"{table.review.name} ({table.review.id})"))
    for doc in table.rows:
        print(printable(f"\n{doc.title}"))
        for column in table.review.columns:
            cell = table.cell(doc.id, column.id)
            checks = ""
            if cell is not None and cell.citations:
                statuses = [str(c.get("status")) for c in cell.citations]
                bad = sum(s in ("not_found", "invalid") for s in statuses)
                checks = f"  [{len(statuses)} source{'s' * (len(statuses) != 1)}" + \
                    (f", {bad} not found]" if bad else "]")
            text = review_export.cell_text(cell) or "(not run yet)"
            print(printable(f"  {column.name}: {text}{checks}"))


def _list(args: argparse.Namespace) -> int:
    with Library() as library:
        reviews = store.list_reviews(library.conn)
    if args.json:
        print(json_text(reviews, indent=1))
        return EXIT_OK
    if not reviews:
        print("no reviews yet; start one with: rlm review --collection NAME --template lease")
    for r in reviews:
        total = r["columns"] * r["rows"]
        cost = "" if r["cost_usd"] is None else f", {dollars(r['cost_usd'])}"
        print(printable(f"{r['id']}  {r['name']}: {r['rows']} documents × {r['columns']} "
                        f"questions, {r['done']}/{total} answered{cost}"))
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    with Library() as library:
        table = review_export.read_table(library, args.review_id)
    if args.json:
        print(json_text(_table_json(table), indent=1))
    else:
        _print_table(table)
    return EXIT_OK


def _ask(args: argparse.Namespace) -> int:
    """A question over the table and its documents, answered and printed as ``rlm ask``."""
    from engine.cli.ask import answer
    from engine.context_format import build_context
    from engine.providers.prices import PriceTable, check_budget_prices
    from engine.review.table_context import table_question, table_sources
    from engine.rlm.session import RunSpec, new_run_id

    if not args.question or not args.question.strip():
        raise ConfigError("what is the question? rlm review ask ID \"QUESTION\"")
    settings = load_settings()
    root, sub = endpoints_from(args, settings)
    prices = PriceTable.load(config_dir(), args.prices)
    limits = settings.limits
    if args.budget is not None:
        limits = dataclasses.replace(limits, budget_usd=args.budget)
    check_budget_prices(limits.budget_usd, prices, (root.model, sub.model))
    with Library() as library:
        table = review_export.read_table(library, args.review_id)
        context, documents = build_context(table_sources(library, table))
    spec = RunSpec(question=table_question(args.question, table), context=context,
                   documents=documents, root=root, sub=sub, limits=limits, prices=prices,
                   run_id=new_run_id(), sandbox=settings.sandbox)
    return answer(spec, args)


def _export(review_id: str, output: Path, args: argparse.Namespace) -> int:
    kind = _output_kind(output)
    with Library() as library:
        table = review_export.read_table(library, review_id)
    output = output.expanduser()
    review_export.write(table, output, kind)
    if not args.quiet:
        print(printable(f"wrote {output}"), file=sys.stderr)
    return EXIT_OK


HANDLERS = {"review": command_review}
