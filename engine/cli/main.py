"""The ``rlm`` command: its verbs, one module each, assembled into one parser."""

from __future__ import annotations

import argparse
import sys

from engine import __version__
from engine.cli import ask, bench, export, info, key, library, models, review, show
from engine.cli.common import (
    EXIT_CANCELLED,
    EXIT_PROVIDER,
    EXIT_SANDBOX,
    EXIT_USAGE,
    Parser,
)
from engine.cli.terminal import printable
from engine.errors import ConfigError, EngineError, SandboxError

# In the order `rlm --help` lists them; each module has add_commands() and HANDLERS.
VERBS = (ask, review, bench, show, export, key, library, models, info)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="rlm", description="Ask questions of whole document sets with a "
                    "Recursive Language Model, and watch it work.")
    parser.add_argument("--version", action="version", version=f"rlm {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for verb in VERBS:
        verb.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {name: handler for verb in VERBS for name, handler in verb.HANDLERS.items()}
    if args.command not in handlers:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # Errors quote titles, model names and servers' replies: shown with escapes made visible.
    try:
        return handlers[args.command](args)
    except ConfigError as exc:
        print(f"rlm: {printable(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except SandboxError as exc:
        print(f"rlm: {printable(str(exc))}", file=sys.stderr)
        return EXIT_SANDBOX
    except EngineError as exc:
        print(f"rlm: {printable(str(exc))}", file=sys.stderr)
        return EXIT_PROVIDER
    except KeyboardInterrupt:
        return EXIT_CANCELLED

