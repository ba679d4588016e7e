"""Every view words every way a run can end: adding a StopReason without wording fails here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from engine.cli import ask as cli_ask
from engine.cli import progress as cli_progress
from engine.cli import show as cli_show
from engine.events import StopReason
from rlm_desktop.ask import render as ask_render
from rlm_desktop.run import format as run_format
from rlm_desktop.run import history as run_history

TABLES: dict[str, Mapping[StopReason, Any]] = {
    "cli progress and show": cli_progress.STOP_DESCRIPTIONS,
    "cli list of questions": cli_show.LIST_WORDS,
    "cli exit codes": cli_ask.EXIT_CODES,
    "ask panel": ask_render.STOP_TEXT,
    "history list": run_history.SHORT_RESULTS,
    "run panel": run_format.STOP_TEXT,
}


@pytest.mark.parametrize("table", TABLES.values(), ids=TABLES.keys())
def test_every_stop_reason_has_wording(table: Mapping[StopReason, Any]) -> None:
    assert set(StopReason) - set(table) == set()
    assert all(isinstance(key, StopReason) for key in table)
