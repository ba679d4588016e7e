"""Progress lines say what a person watching needs, in plain words."""

from __future__ import annotations

import io

from engine import events as ev
from engine.cli.progress import ProgressPrinter, describe_stop, format_event, money


def test_money_never_shows_a_paid_call_as_free() -> None:
    assert money(None) == "cost unknown"
    assert money(0.0) == "$0.0000"
    assert money(0.000012) == "$0.000012"
    assert money(1.5) == "$1.5000"


def test_safe_workspace_line_says_when_isolation_is_missing_and_why() -> None:
    line = format_event(ev.SandboxStatus(run_id="r", status={
        "enforced": False, "note": "kernel isolation not yet applied",
        "layers": {"core_dumps_off": True, "landlock": False},
        "isolation": {"filesystem": False, "network": True, "process": False}}))
    assert line == ("safe workspace: NOT fully isolated: kernel isolation not yet applied "
                    "(protected: network; unprotected: files, other programs)")
    line = format_event(ev.SandboxStatus(run_id="r", status={
        "enforced": True, "isolation": {"filesystem": True, "network": True, "process": True}}))
    assert line == "safe workspace: isolated (files, network, other programs)"


def test_helper_analyses_are_indented_and_totals_follow_main_model_replies() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream)
    printer(ev.IterationStarted(run_id="r.1", depth=1, iteration=2, max_iterations=5))
    printer(ev.ModelResponse(run_id="r", iteration=1, model="m", text="", prompt_tokens=10,
                             completion_tokens=5, cost_usd=None))
    printer(ev.UsageTotals(run_id="r", calls=1, prompt_tokens=10, completion_tokens=5,
                           cached_tokens=0, cost_usd=None, known_cost_usd=0.02,
                           unpriced_models=["m"]))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "  step 2/5"
    assert lines[1] == "  m replied: cost unknown, 0.0 s"   # tokens are for `rlm show`
    assert lines[2].strip() == "so far: 0 steps, 0 helper questions, $0.0200 + unknown"


def test_the_last_line_says_how_the_question_ended_in_the_products_words() -> None:
    def finished(reason: ev.StopReason, answer: bool = True, depth: int = 0) -> str | None:
        return format_event(ev.RunFinished(run_id="r", depth=depth, stop_reason=reason,
                                           duration_s=4.0), answer=answer)

    assert finished(ev.StopReason.ANSWERED) == "Answered after 4.0 s"
    assert finished(ev.StopReason.MAX_ITERATIONS) == (
        "Stopped at the step limit after 4.0 s — here is what was found")
    assert finished(ev.StopReason.BUDGET, answer=False) == (
        "Stopped at the spending limit after 4.0 s, with no answer")
    assert finished(ev.StopReason.CANCELLED) == "Stopped by you after 4.0 s"
    assert finished(ev.StopReason.WORKER_DIED) == (
        "Interrupted: the engine stopped during the question after 4.0 s")
    assert finished(ev.StopReason.ERROR) == "Failed: an unexpected error after 4.0 s"
    assert finished(ev.StopReason.TIMEOUT, depth=1) == (
        "  helper analysis r: Stopped at the time limit after 4.0 s")
    assert describe_stop("a_reason_of_a_later_version") == "a_reason_of_a_later_version"
    for reason in ev.StopReason:
        words = describe_stop(reason)
        assert "_" not in words and words[:1].isupper(), words


def test_helper_questions_and_analyses_read_in_plain_words() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream)
    printer(ev.IterationStarted(run_id="r", iteration=1, max_iterations=30))
    printer(ev.SubCallStarted(run_id="r", call_id="r:1", kind="llm_query", model="mini",
                              prompt_preview="read", prompt_chars=12_345))
    printer(ev.SubCallFinished(run_id="r", call_id="r:1", kind="llm_query", model="mini",
                               cost_usd=0.0004, latency_s=0.8))
    printer(ev.RunStarted(run_id="r.2", depth=1, question="Which clauses?", root_model="mini",
                          sub_model="mini", context_chars=10, documents=1, limits={}))
    printer(ev.CellFinished(run_id="r.2", depth=1, iteration=1, cell=1, output="x" * 20,
                            error="boom", duration_s=0.5, restarted=True))
    printer(ev.RunFinished(run_id="r.2", depth=1, stop_reason=ev.StopReason.ANSWERED,
                           duration_s=1.5))
    printer(ev.SubCallFinished(run_id="r", call_id="r:2", kind="rlm_query", model="mini"))
    printer(ev.SubCallFinished(run_id="r", call_id="r:3", kind="rlm_query", model="mini",
                               error="the limit is reached"))
    printer(ev.UsageTotals(run_id="r", calls=3, prompt_tokens=10, completion_tokens=5,
                           cached_tokens=0, cost_usd=0.0123, known_cost_usd=0.0123))
    printer(ev.AnswerReady(run_id="r", text="42", partial=True))
    printer(ev.RunFinished(run_id="r", stop_reason=ev.StopReason.MAX_SUB_CALLS, duration_s=9.0))
    assert stream.getvalue().splitlines() == [
        "step 1/30",
        "    helper question to mini (12k characters) → 0.8 s, $0.000400",
        "  helper analysis 2 started: Which clauses?",
        "    code failed in 0.50 s, 20 characters of output; the safe workspace was restarted",
        "  helper analysis 2: Answered after 1.5 s",
        "    helper analysis with mini failed: the limit is reached",
        "Stopped: too many helper questions after 9.0 s — here is what was found",
        "total: 1 step, 1 helper question, $0.0123",
    ]


def test_reused_answers_and_the_pace_of_helper_questions_read_in_plain_words() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream)
    printer(ev.IterationStarted(run_id="r", iteration=1, max_iterations=30))
    printer(ev.SubCallFinished(run_id="r", call_id="r:1", kind="llm_query", model="mini",
                               cost_usd=0.0004, latency_s=0.8))
    printer(ev.SubCallFinished(run_id="r", call_id="r:2", kind="llm_query", model="mini",
                               cost_usd=0.0, cached=True))
    for previous, limit, reason, pause in ((32, 16, "rate_limited", 2.0),
                                           (16, 17, "recovered", 0.0),
                                           (17, 8, "rate_limited", 0.0),
                                           (31, 32, "recovered", 0.0)):
        printer(ev.ConcurrencyChanged(run_id="r", previous=previous, limit=limit, reason=reason,
                                      ceiling=32, pause_s=pause))
    printer(ev.UsageTotals(run_id="r", calls=2, prompt_tokens=10, completion_tokens=5,
                           cached_tokens=0, cost_usd=0.0123, known_cost_usd=0.0123))
    printer(ev.RunFinished(run_id="r", stop_reason=ev.StopReason.ANSWERED, duration_s=9.0))
    # A step up between slow-downs gets no line of its own: one per round would flood.
    assert stream.getvalue().splitlines() == [
        "step 1/30",
        "    helper question to mini → 0.8 s, $0.000400",
        "    helper question to mini → asked before: same answer reused, at no cost",
        "helper questions at a time: 32 → 16 (the AI service asked us to slow down; waiting "
        "2 s as it asked)",
        "helper questions at a time: 17 → 8 (the AI service asked us to slow down)",
        "helper questions at a time: 31 → 32 (back to the setting)",
        "Answered after 9.0 s",
        "total: 1 step, 2 helper questions (1 reused at no cost), $0.0123",
    ]
