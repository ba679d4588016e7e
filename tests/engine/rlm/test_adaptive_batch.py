"""A batch of helper questions against a service that refuses more than 10 at once: it
completes with every answer, in order, and the events show the limit as it adapts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine import events as ev
from engine.config import Limits
from engine.endpoints import Endpoint
from engine.providers.prices import PriceTable
from engine.rlm.session import RunSpec, run_question
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply
from tests.support.harness import repl

CALLS = 80


def script(request: ChatRequest) -> Reply | str:
    if request.model == "fake-sub":
        return Reply(content=f"answer {request.last_user}", latency=0.05)
    if request.assistant_turns == 0:
        return repl(f"r = llm_query_batched(['q%d' % i for i in range({CALLS})])\n"
                    "FINAL(repr(r))")
    return repl("FINAL('again')")


def test_a_batch_completes_against_a_server_that_answers_429_above_ten(tmp_path: Path) -> None:
    events: list[ev.Event] = []
    with FakeOpenAI(script) as server:
        server.limit_in_flight(10, retry_after=0.05)
        spec = RunSpec(question="q", context="text", documents=[],
                       root=Endpoint("fake-root", server.base_url),
                       sub=Endpoint("fake-sub", server.base_url),
                       # No retries at all: only the adaptive limit carries the batch through.
                       limits=Limits(batch_concurrency=32, max_retries=0,
                                     confirm_early_answers=False),
                       prices=PriceTable())
        result = asyncio.run(run_question(spec, events.append))
        refused, most = server.rate_limited, server.max_concurrent
    assert result.stop_reason == "answered"
    assert result.answer == repr([f"answer q{i}" for i in range(CALLS)])
    assert refused > 0 and most <= 10
    changes = [e for e in events if isinstance(e, ev.ConcurrencyChanged)]
    assert (changes[0].previous, changes[0].limit, changes[0].reason) == (32, 16, "rate_limited")
    assert changes[0].pause_s == 0.05 and changes[0].ceiling == 32
    assert min(e.limit for e in changes) <= 10
    failed = [e for e in events if isinstance(e, ev.SubCallFinished) and e.error]
    assert failed == []
