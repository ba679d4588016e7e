"""``rlm key``: store, delete and check API keys in the OS keyring."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from engine import secrets
from engine.cli.common import EXIT_OK, UsageError
from engine.cli.terminal import printable


def add_commands(commands: Any) -> None:
    """Register ``key`` on the ``rlm`` subcommand parser."""
    key = commands.add_parser("key", help="store API keys in the OS keyring")
    key.add_argument("action", choices=["set", "delete", "status"])
    key.add_argument("provider", nargs="?", help="openai, openrouter, or an endpoint host")
    key.add_argument("--json", action="store_true",
                     help="status as JSON (also what a pipe gets, as before)")


def status_lines(status: dict[str, object]) -> str:
    """The keyring's state in words for a person at a terminal."""
    state = "usable" if status.get("usable") else "NOT usable"
    return (f"OS keyring: {state} ({status.get('backend')})\n"
            f"{status.get('detail')}")


def command_key(args: argparse.Namespace) -> int:
    if args.action == "status":
        status = secrets.keyring_status()
        # JSON for --json and for pipes (scripts read it); readable lines at a terminal.
        if args.json or not sys.stdout.isatty():
            print(json.dumps(status, indent=2))
        else:
            print(printable(status_lines(status)))
        return EXIT_OK
    if not args.provider:
        raise UsageError(f"rlm key {args.action} needs a provider name, e.g. openai")
    shown = printable(args.provider, keep_layout=False)
    if args.action == "delete":
        found = secrets.delete_key(args.provider)
        print(f"{'deleted' if found else 'no key stored for'} {shown}")
        return EXIT_OK
    secret = getpass.getpass(f"API key for {shown}: ") if sys.stdin.isatty() \
        else sys.stdin.readline().strip()
    if not secret:
        raise UsageError("no key given; nothing was stored")
    secrets.set_key(args.provider, secret)
    print(f"stored the key for {shown} in the OS keyring")
    return EXIT_OK


HANDLERS = {"key": command_key}
