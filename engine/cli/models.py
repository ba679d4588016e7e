"""``rlm models``: list a service's models, and check whether one can drive the analysis."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from engine.cli.argtypes import positive_float
from engine.cli.common import EXIT_CHECK_FAILED, EXIT_OK, EXIT_PROVIDER, UsageError
from engine.cli.terminal import printable
from engine.config import DEFAULT_BASE_URL, config_dir, load_settings, settings_path
from engine.endpoints import Endpoint, check_base_url
from engine.rlm import model_checks
from engine.rlm.model_checks import CheckResult

PROBE_TIMEOUT_S = 120.0   # engine.rlm.probe's, without importing the model client for --help


def add_commands(commands: Any) -> None:
    """Register ``models`` on the ``rlm`` subcommand parser."""
    models = commands.add_parser(
        "models", help="list models, and test whether one can drive the analysis")
    actions = models.add_subparsers(dest="models_action", metavar="ACTION")
    check = actions.add_parser(
        "check", help="run a tiny test analysis: does this model look at the documents with "
        "code and finish with an answer?")
    listing = actions.add_parser("list", help="the models a service offers, with the result "
                                 "of their last test")
    for parser in (check, listing):
        parser.add_argument("--base-url", help="OpenAI-compatible endpoint (default: the main "
                            f"model's in the settings, else {DEFAULT_BASE_URL})")
        parser.add_argument("--api-key-env", metavar="VAR", help="read the key from VAR")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--model", help="the model to test (default: the main model in the "
                       "settings)")
    check.add_argument("--timeout", type=positive_float, metavar="SECONDS",
                       default=PROBE_TIMEOUT_S,
                       help=f"time limit of the test (default {PROBE_TIMEOUT_S:g})")
    check.add_argument("--prices", type=Path, metavar="FILE",
                       help="JSON price table overriding the built-in one")
    check.add_argument("--allow-unsandboxed", action="store_true",
                       help="run the model's code even where the safe workspace cannot be "
                       "fully isolated (see `rlm ask --help`)")


def _endpoint(args: argparse.Namespace) -> tuple[str, str | None]:
    settings = load_settings()
    base_url = check_base_url(args.base_url or settings.root.base_url or DEFAULT_BASE_URL,
                              "--base-url")
    key_env = args.api_key_env or (settings.root.api_key_env if not args.base_url else None)
    return base_url, key_env


def result_lines(result: CheckResult) -> str:
    lines = [f"{result.model} at {result.base_url}: {result.headline}",
             f"  {result.message}",
             f"  The test took {result.duration_s:.1f} s; cost: {result.cost_words()}."]
    if not result.passed and result.outcome in model_checks.MODEL_OUTCOMES:
        lines.append("  Runs with it as the main model will warn before they start. Choose "
                     "another main model, or test again after changing it.")
    if result.first_reply and not result.passed:
        reply = " ".join(result.first_reply.split())
        lines.append("  Its first reply began: " + (reply if len(reply) <= 200
                                                      else reply[:199] + "…"))
    return "\n".join(lines)


def command_check(args: argparse.Namespace) -> int:
    from engine import secrets
    from engine.providers.prices import PriceTable
    from engine.rlm.probe import check_model

    settings = load_settings()
    base_url, key_env = _endpoint(args)
    model = args.model or (settings.root.model if not args.base_url else "")
    if not model:
        raise model_error()
    endpoint = Endpoint(model, base_url, secrets.get_key(base_url, key_env))
    prices = PriceTable.load(config_dir(), args.prices)
    sandbox = settings.sandbox
    if args.allow_unsandboxed:
        sandbox.allow_unsandboxed = True
    if not args.json:
        print(f"Testing {printable(model, keep_layout=False)}: a three-step analysis of a "
              "two-page test note…", file=sys.stderr)
    result = asyncio.run(check_model(endpoint, prices, api_key_env=key_env,
                                     timeout_s=args.timeout, sandbox=sandbox))
    kept = model_checks.record(result)
    if args.json:
        print(json.dumps({**result.to_json(), "saved": kept}, ensure_ascii=False))
    else:
        print(printable(result_lines(result)))
    if result.passed:
        return EXIT_OK
    if result.outcome in model_checks.MODEL_OUTCOMES:
        return EXIT_CHECK_FAILED
    return EXIT_PROVIDER


def model_error() -> UsageError:
    return UsageError("which model? pass --model NAME, or set the main model in the app's "
                      f"settings (or \"root\": {{\"model\": NAME}} in {settings_path()})")


def command_list(args: argparse.Namespace) -> int:
    from engine import secrets
    from engine.providers.discovery import list_models

    base_url, key_env = _endpoint(args)
    names = asyncio.run(list_models(base_url, secrets.get_key(base_url, key_env)))
    checks = {c.model: c for c in model_checks.all_checks()
              if c.base_url.rstrip("/") == base_url}
    if args.json:
        print(json.dumps({"base_url": base_url, "models": [
            {"model": name, "check": checks[name].to_json() if name in checks else None}
            for name in names]}, ensure_ascii=False))
        return EXIT_OK
    if not names:
        print(f"{base_url} offers no models.")
    for name in names:
        check = checks.get(name)
        status = (f"{check.headline.lower()} (tested {model_checks.check_date(check.checked_at)})"
                  if check else "not tested")
        print(printable(f"{name}  {status}", keep_layout=False))
    return EXIT_OK


def command_models(args: argparse.Namespace) -> int:
    if args.models_action == "check":
        return command_check(args)
    if args.models_action == "list":
        return command_list(args)
    raise UsageError("rlm models needs an action: check or list (see rlm models --help)")


HANDLERS = {"models": command_models}
