"""``rlm export``: a saved analysis (found as ``rlm show`` finds it) as a Markdown, Word or PDF
file: the question, the answer with numbered citations, the checked sources, the models and
cost; with ``--with-trajectory`` an audit appendix of every code cell and helper question."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from engine.cli.common import EXIT_OK
from engine.cli.show import find_log
from engine.cli.terminal import printable
from engine.errors import ConfigError
from engine.export.document import build
from engine.export.formats import SUFFIXES, WRITERS
from engine.store.trajectory import read_events


def add_commands(commands: Any) -> None:
    """Register ``export`` on the ``rlm`` subcommand parser."""
    export = commands.add_parser("export", help="save a question's answer and sources as a "
                                 "Markdown, Word or PDF file")
    export.add_argument("run_log", metavar="RUN_ID",
                        help="a question's id (`rlm show` lists them) or a record file")
    export.add_argument("-o", "--output", required=True, metavar="FILE", type=Path,
                        help="the file to write (an existing one is replaced)")
    export.add_argument("--format", choices=sorted(WRITERS),
                        help="md, docx or pdf (default: from FILE's extension)")
    export.add_argument("--with-trajectory", action="store_true",
                        help="add an audit appendix: every code cell and its output, every "
                             "helper question, timings, the safe workspace")


def export_format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    suffix = args.output.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"which format? give --format md, docx or pdf (the file name "
                          f"{str(args.output)!r} does not say)")
    return SUFFIXES[suffix]


def command_export(args: argparse.Namespace) -> int:
    kind = export_format(args)
    log = find_log(args.run_log)
    document = build(read_events(log), with_trajectory=args.with_trajectory)
    if not document.run_id:
        raise ConfigError(f"{log} holds no question: is it the record of an analysis?")
    output = args.output.expanduser()
    WRITERS[kind](document, output)
    print(printable(f"wrote {output}"))
    return EXIT_OK


HANDLERS = {"export": command_export}
