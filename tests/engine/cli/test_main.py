"""The ``rlm`` parser is assembled from one module per verb, each with its handlers."""

from __future__ import annotations

import re

import pytest

from engine.cli.main import VERBS, build_parser
from engine.config import Limits


def test_every_command_has_exactly_one_handler() -> None:
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    handlers = [name for verb in VERBS for name in verb.HANDLERS]
    assert sorted(handlers) == sorted(commands.choices)   # type: ignore[attr-defined]
    assert len(handlers) == len(set(handlers))


def test_ask_help_shows_every_limit_default_from_limits(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ask", "--help"])
    text = capsys.readouterr().out
    limits = Limits()
    expected = {"--max-iterations": f"(default {limits.max_iterations})",
                "--max-depth": f"(default {limits.max_depth})",
                "--budget": "(default: none)", "--timeout": "(default: none)",
                "--cell-timeout": f"(default {limits.cell_timeout_s:g})",
                "--max-sub-calls": f"(default {limits.max_sub_calls:,})",
                "--max-errors": f"(default {limits.max_consecutive_errors})",
                "--concurrency": f"(default {limits.batch_concurrency})",
                "--output-limit": f"(default {limits.output_limit_chars:,})",
                "--call-timeout": f"(default {limits.call_timeout_s:g})",
                "--max-retries": f"(default {limits.max_retries})"}
    # Each option's entry: from its name to the next option, wrapped lines joined.
    entries = {" ".join(e.split()).split()[0]: " ".join(e.split())
               for e in re.split(r"\n(?=  -)", text) if e.startswith("  -")}
    for flag, default in expected.items():
        assert default in entries[flag], (flag, entries[flag])
