"""``rlm key``: store, delete and check API keys in the OS keyring."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from engine import secrets
from engine.cli.common import EXIT_OK, UsageError


def add_commands(commands: Any) -> None:
    """Register ``key`` on the ``rlm`` subcommand parser."""
    key = commands.add_parser("key", help="store API keys in the OS keyring")
    key.add_argument("action", choices=["set", "delete", "status"])
    key.add_argument("provider", nargs="?", help="openai, openrouter, or an endpoint host")


def command_key(args: argparse.Namespace) -> int:
    if args.action == "status":
        print(json.dumps(secrets.keyring_status(), indent=2))
        return EXIT_OK
    if not args.provider:
        raise UsageError(f"rlm key {args.action} needs a provider name, e.g. openai")
    if args.action == "delete":
        found = secrets.delete_key(args.provider)
        print(f"{'deleted' if found else 'no key stored for'} {args.provider}")
        return EXIT_OK
    secret = getpass.getpass(f"API key for {args.provider}: ") if sys.stdin.isatty() \
        else sys.stdin.readline().strip()
    if not secret:
        raise UsageError("no key given; nothing was stored")
    secrets.set_key(args.provider, secret)
    print(f"stored the key for {args.provider} in the OS keyring")
    return EXIT_OK


HANDLERS = {"key": command_key}
