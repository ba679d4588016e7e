"""The ``rlm`` parser is assembled from one module per verb, each with its handlers."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from engine.cli.main import VERB_MODULES, build_parser, verbs
from engine.config import Limits


def test_every_command_has_exactly_one_handler() -> None:
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    handlers = [name for verb in verbs() for name in verb.HANDLERS]
    assert sorted(handlers) == sorted(commands.choices)   # type: ignore[attr-defined]
    assert len(handlers) == len(set(handlers))


def test_the_command_table_names_each_modules_own_commands() -> None:
    for verb in verbs():
        assert sorted(VERB_MODULES[verb.__name__]) == sorted(verb.HANDLERS), verb.__name__
        commands = next(a for a in build_parser(next(iter(verb.HANDLERS)))._actions
                        if a.dest == "command")
        assert sorted(commands.choices) == sorted(verb.HANDLERS)  # type: ignore[attr-defined]


def test_ask_loads_neither_the_exporters_nor_the_other_verbs() -> None:
    code = ("import sys\nfrom engine.cli.main import build_parser\n"
            "build_parser('ask').parse_args(['ask', 'q'])\n"
            "print(sorted(m for m in sys.modules if m.startswith(('engine.cli.', "
            "'engine.export', 'openai', 'docx', 'pymupdf'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    for module in ("engine.cli.export", "engine.cli.review", "engine.cli.show",
                   "engine.export", "openai", "docx", "pymupdf"):
        assert f"'{module}" not in loaded, (module, loaded)
    assert "'engine.cli.ask'" in loaded


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
