"""The ``rlm`` parser is assembled from one module per verb, each with its handlers."""

from __future__ import annotations

from engine.cli.main import VERBS, build_parser


def test_every_command_has_exactly_one_handler() -> None:
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    handlers = [name for verb in VERBS for name in verb.HANDLERS]
    assert sorted(handlers) == sorted(commands.choices)   # type: ignore[attr-defined]
    assert len(handlers) == len(set(handlers))
