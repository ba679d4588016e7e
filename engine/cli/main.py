"""The ``rlm`` command: its verbs, one module each, assembled into one parser."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from types import ModuleType

from engine import __version__
from engine.cli.common import (
    EXIT_CANCELLED,
    EXIT_PROVIDER,
    EXIT_SANDBOX,
    EXIT_USAGE,
    Parser,
)
from engine.cli.terminal import printable
from engine.errors import ConfigError, EngineError, SandboxError

# Each verb module (add_commands() and HANDLERS) by the commands it adds, in the order
# `rlm --help` lists them. A command imports only its own module: `rlm ask` never loads the
# exporters, and `rlm show` never the openai SDK.
VERB_MODULES: dict[str, tuple[str, ...]] = {
    "engine.cli.ask": ("ask",),
    "engine.cli.review": ("review",),
    "engine.cli.bench": ("bench",),
    "engine.cli.show": ("show",),
    "engine.cli.export": ("export",),
    "engine.cli.key": ("key",),
    "engine.cli.library": ("ingest", "docs", "collections"),
    "engine.cli.models": ("models",),
    "engine.cli.info": ("info",),
}

# Commands after which the process ends at once (os._exit) once its output is flushed:
# tearing down the interpreter with the openai SDK loaded costs 0.3-1 s and saves nothing.
PROMPT_EXIT = frozenset({"ask"})


def verbs(command: str | None = None) -> list[ModuleType]:
    """The verb modules: the one adding ``command``, or every one (unknown or no command)."""
    names = [name for name, commands in VERB_MODULES.items() if command in commands]
    return [importlib.import_module(name) for name in names or VERB_MODULES]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of ``command`` alone (same help and errors for it)."""
    parser = Parser(prog="rlm", description="Ask questions of whole document sets with a "
                    "Recursive Language Model, and watch it work.")
    parser.add_argument("--version", action="version", version=f"rlm {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for verb in verbs(command):
        verb.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; called without ``argv`` (the process's own command line), some
    commands end the process themselves as soon as their output is out."""
    words = sys.argv[1:] if argv is None else argv
    # The command is the first word that is not an option (`rlm` has no option with a value).
    command = next((word for word in words if not word.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    handlers = {name: handler for verb in verbs(args.command)
                for name, handler in verb.HANDLERS.items()}
    if args.command not in handlers:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    code = _run(handlers[args.command], args)
    if argv is None and args.command in PROMPT_EXIT:
        exit_now(code)
    return code


def _run(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    # Errors quote titles, model names and servers' replies: shown with escapes made visible.
    try:
        return handler(args)
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


def exit_now(code: int) -> None:
    """End the process with ``code`` once stdout and stderr are flushed, skipping the
    interpreter's teardown; the command has already closed its logs, store and children."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):  # a closed pipe (`rlm ask ... | head`): as Python would
        code = code or 120
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(code)
