"""Progress lines say what a person watching needs, in plain words."""

from __future__ import annotations

import io

from engine import events as ev
from engine.cli.progress import ProgressPrinter, format_event, money


def test_money_never_shows_a_paid_call_as_free() -> None:
    assert money(None) == "cost unknown"
    assert money(0.0) == "$0.0000"
    assert money(0.000012) == "$0.000012"
    assert money(1.5) == "$1.5000"


def test_sandbox_line_says_when_isolation_is_missing_and_why() -> None:
    line = format_event(ev.SandboxStatus(run_id="r", status={
        "enforced": False, "note": "kernel isolation not yet applied",
        "layers": {"core_dumps_off": True, "landlock": False}}))
    assert line is not None
    assert "NOT enforced" in line and "kernel isolation not yet applied" in line
    assert "core_dumps_off" in line and "landlock" not in line


def test_child_runs_are_indented_and_totals_follow_root_replies() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream)
    printer(ev.IterationStarted(run_id="r.1", depth=1, iteration=2, max_iterations=5))
    printer(ev.ModelResponse(run_id="r", iteration=1, model="m", text="", prompt_tokens=10,
                             completion_tokens=5, cost_usd=None))
    printer(ev.UsageTotals(run_id="r", calls=1, prompt_tokens=10, completion_tokens=5,
                           cached_tokens=0, cost_usd=None, known_cost_usd=0.02,
                           unpriced_models=["m"]))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "  iteration 2/5"
    assert "15 tokens, cost unknown" in lines[1]
    assert lines[2].strip() == "total: 1 calls, 10 prompt + 5 completion tokens, $0.0200 + unknown"
