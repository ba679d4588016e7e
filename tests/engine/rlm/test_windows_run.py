"""Runs against small windows: compaction, the retry after an overflow, the helper-prompt guard,
and the warning before Ollama would cut prompts silently."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from engine import events as ev
from engine.config import Limits
from engine.endpoints import Endpoint
from engine.events import StopReason
from engine.providers.prices import PriceTable
from engine.providers.windows import forget_windows
from engine.rlm.loop import RunResult
from engine.rlm.session import RunSpec, run_question
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply, by_model

QUESTION = "What is the secret code in the lease?"
SUMMARY_ASKED = "Summarise your progress so far"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    forget_windows()


def run(server: FakeOpenAI, *, max_iterations: int = 30, root_window: int | None = None,
        ) -> tuple[RunResult, list[ev.Event]]:
    events: list[ev.Event] = []
    spec = RunSpec(question=QUESTION, context="Clause 9: the secret code is 7319.\n" * 20,
                   documents=[], root=Endpoint("fake-root", server.base_url,
                                               context_window=root_window),
                   sub=Endpoint("fake-sub", server.base_url),
                   limits=Limits(max_iterations=max_iterations), prices=PriceTable())
    result = asyncio.run(run_question(spec, events.append))
    return result, events


def stepper(last: int, output_chars: int, requests: list[ChatRequest]) -> Any:
    """Prints ``output_chars`` characters each step and answers at step ``last``; writes a
    summary when asked for one."""
    steps = itertools.count(1)

    def script(request: ChatRequest) -> Reply:
        requests.append(request)
        if SUMMARY_ASKED in request.last_user:
            return Reply("I printed filler text each step; the code is not found yet.")
        step = next(steps)
        if step >= last:
            return Reply("```repl\nFINAL('7319')\n```")
        return Reply(f"Step {step}.\n```repl\nprint('x' * {output_chars})\n```")
    return script


def of_type(events: list[ev.Event], cls: type[ev.Event]) -> list[Any]:
    return [e for e in events if isinstance(e, cls)]


def test_compaction_keeps_a_40_step_run_inside_a_16k_window() -> None:
    requests: list[ChatRequest] = []
    with FakeOpenAI(stepper(40, 2500, requests)) as server:
        server.model_fields["fake-root"] = {"max_model_len": 16384}
        server.context_limit = 16384
        result, events = run(server, max_iterations=40)
        refused = server.refused_as_too_long
    assert result.stop_reason == StopReason.ANSWERED and result.answer == "7319"
    assert result.iterations == 40
    assert refused == 0
    steps = [r for r in requests if SUMMARY_ASKED not in r.last_user]
    assert len(steps) == 40
    first_turn = requests[0].messages[1]["content"]
    assert QUESTION in first_turn
    for request in requests:     # the first turn, whole, in every request, summaries included
        assert request.messages[1]["content"] == first_turn
        assert sum(len(m["content"]) for m in request.messages) / 4 < 16384 * 0.9
    compactions = of_type(events, ev.HistoryCompacted)
    assert compactions and all(c.after_tokens < c.before_tokens for c in compactions)
    assert any(c.summarized and "not found yet" in c.summary for c in compactions)
    assert any(c.elided for c in compactions)
    started = of_type(events, ev.RunStarted)[0]
    assert started.windows["root"]["tokens"] == 16384
    assert started.windows["root"]["source"] == "server"
    # The summary is a main-model call, counted like the others.
    summaries = len(requests) - len(steps)
    assert summaries >= 1 and result.usage["calls"] == len(requests)


def test_an_overflow_is_shortened_and_retried_once() -> None:
    requests: list[ChatRequest] = []
    with FakeOpenAI(stepper(8, 4000, requests)) as server:   # says no window anywhere
        server.context_limit = 3000
        result, events = run(server)
        refused = server.refused_as_too_long
    assert result.stop_reason == StopReason.ANSWERED and result.answer == "7319"
    assert refused == 1   # once; then the window its error named kept the run inside it
    harder = [c for c in of_type(events, ev.HistoryCompacted) if c.harder]
    assert len(harder) == 1 and harder[0].window == 3000
    assert any("trying once more" in n.message for n in of_type(events, ev.Notice))


def test_a_request_still_too_long_after_the_retry_stops_the_run_clearly() -> None:
    requests: list[ChatRequest] = []
    with FakeOpenAI(stepper(8, 100, requests)) as server:
        server.context_limit = 300   # smaller than the system prompt alone
        result, _ = run(server)
        refused = server.refused_as_too_long
    assert result.stop_reason == StopReason.PROVIDER_ERROR
    assert refused == 2
    assert result.error is not None
    assert "exceeds the available context size" in result.error
    assert "still too long after shortening" in result.error
    assert "--ctx-size" in result.error


def test_a_helper_prompt_that_cannot_fit_is_refused_without_sending_it() -> None:
    code = ("```repl\ntry:\n    llm_query('y' * 20000)\nexcept Exception as e:\n"
            "    print('single:', e)\nprint(llm_query_batched(['short', 'z' * 20000]))\n```")
    root = iter([code, "```repl\nFINAL('done')\n```"])
    with FakeOpenAI(by_model({"fake-root": lambda r: next(root),
                              "fake-sub": "sub answer"})) as server:
        server.model_fields["fake-sub"] = {"max_model_len": 2048}
        result, events = run(server)
        sent = [r.last_user for r in server.requests if r.model == "fake-sub"]
    assert result.answer == "done"
    assert sent == ["short"]
    output = of_type(events, ev.CellFinished)[0].output
    assert "single: llm_query refused: this prompt is about 5,005 tokens (20,000 characters)" \
        in output
    assert "reads at most 2,048 tokens" in output
    assert "['sub answer', \"[llm_query error: llm_query refused" in output
    refusals = [e for e in of_type(events, ev.SubCallFinished) if e.error]
    assert len(refusals) == 2


def test_ollama_with_a_small_window_is_named_before_the_run() -> None:
    with FakeOpenAI(lambda r: Reply("```repl\nFINAL('ok')\n```")) as server:
        server.routes["/api/show"] = lambda body: {
            "parameters": "stop \"<|eot_id|>\"",
            "model_info": {"general.architecture": "llama", "llama.context_length": 131072}}
        server.routes["/api/ps"] = {"models": []}
        result, events = run(server)
    assert result.answer == "ok"
    started = of_type(events, ev.RunStarted)[0]
    assert started.windows["root"]["server"] == "Ollama"
    assert started.windows["root"]["assumed"] is True
    warnings = [n.message for n in of_type(events, ev.Notice) if n.level == "warning"
                and "OLLAMA_CONTEXT_LENGTH" in n.message]
    assert len(warnings) == 2   # the main and the helper model, each named once
    assert "'fake-root'" in warnings[0] and "4,096 tokens" in warnings[0]
    assert events.index(started) < events.index(next(e for e in events
                                                     if isinstance(e, ev.IterationStarted)))


def test_the_setting_gives_the_window_when_nothing_else_does() -> None:
    with FakeOpenAI(lambda r: Reply("```repl\nFINAL('ok')\n```")) as server:
        _, events = run(server, root_window=50_000)
    windows = of_type(events, ev.RunStarted)[0].windows
    assert windows["root"] == {"model": "fake-root", "tokens": 50_000, "source": "setting",
                               "server": "", "model_max": None, "assumed": False}
    assert windows["sub"]["tokens"] is None


def test_a_1024_token_llama_cpp_window_is_named_before_and_ends_clearly() -> None:
    requests: list[ChatRequest] = []
    with FakeOpenAI(stepper(6, 300, requests)) as server:
        server.routes["/props"] = {"default_generation_settings": {"n_ctx": 1024}}
        server.context_limit = 1024
        result, events = run(server)
        refused = server.refused_as_too_long
    warning = of_type(events, ev.Notice)[0]
    assert warning.level == "warning" and "reads at most 1,024 tokens" in warning.message
    assert result.stop_reason == StopReason.PROVIDER_ERROR and refused == 2
    assert result.error is not None and "--ctx-size" in result.error
    compactions = of_type(events, ev.HistoryCompacted)
    assert compactions and all(c.window <= 1024 for c in compactions)
