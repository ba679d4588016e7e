"""Against a service that refuses more than a few calls at once, a batch of helper questions
and helper analyses side by side both complete: every answer, in order, and the events show
the shared limit as it adapts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine import events as ev
from engine.config import Limits
from engine.endpoints import Endpoint
from engine.providers.prices import PriceTable
from engine.rlm.loop import RunResult
from engine.rlm.session import RunSpec, run_question
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply, Script
from tests.support.harness import repl

CALLS = 80
CHILDREN = 4


def run_limited(script: Script, in_flight: int) -> tuple[RunResult, list[ev.Event], int, int]:
    """The run's result and events, how many requests were refused and the most in flight."""
    events: list[ev.Event] = []
    with FakeOpenAI(script) as server:
        server.limit_in_flight(in_flight, retry_after=0.05)
        spec = RunSpec(question="q", context="text", documents=[],
                       root=Endpoint("fake-root", server.base_url),
                       sub=Endpoint("fake-sub", server.base_url),
                       # No retries at all: only the adaptive limit carries the calls through.
                       limits=Limits(batch_concurrency=32, max_retries=0,
                                     confirm_early_answers=False),
                       prices=PriceTable())
        result = asyncio.run(run_question(spec, events.append))
        return result, events, server.rate_limited, server.max_concurrent


def batch_script(request: ChatRequest) -> Reply | str:
    if request.model == "fake-sub":
        return Reply(content=f"answer {request.last_user}", latency=0.05)
    if request.assistant_turns == 0:
        return repl(f"r = llm_query_batched(['q%d' % i for i in range({CALLS})])\n"
                    "FINAL(repr(r))")
    return repl("FINAL('again')")


def children_script(request: ChatRequest) -> Reply | str:
    if request.model == "fake-sub":   # each child's own model: it answers at once
        return Reply(content=repl("FINAL('child ' + context[:7])"), latency=0.2)
    if request.assistant_turns == 0:
        return repl("import concurrent.futures\n"
                    f"with concurrent.futures.ThreadPoolExecutor({CHILDREN}) as pool:\n"
                    "    r = list(pool.map(lambda i: rlm_query('go', context='part %d' % i),"
                    f" range({CHILDREN})))\n"
                    "FINAL(repr(r))")
    return repl("FINAL('again')")


def test_a_batch_completes_against_a_server_that_answers_429_above_ten(tmp_path: Path) -> None:
    result, events, refused, most = run_limited(batch_script, 10)
    assert result.stop_reason == "answered"
    assert result.answer == repr([f"answer q{i}" for i in range(CALLS)])
    assert refused > 0 and most <= 10
    changes = [e for e in events if isinstance(e, ev.ConcurrencyChanged)]
    assert (changes[0].previous, changes[0].limit, changes[0].reason) == (32, 16, "rate_limited")
    assert changes[0].pause_s == 0.05 and changes[0].ceiling == 32
    assert min(e.limit for e in changes) <= 10
    failed = [e for e in events if isinstance(e, ev.SubCallFinished) and e.error]
    assert failed == []


def test_children_side_by_side_slow_down_together_on_429(tmp_path: Path) -> None:
    result, events, _, most = run_limited(children_script, 2)
    assert result.stop_reason == "answered", result.error
    assert result.answer == repr([f"child part {i}" for i in range(CHILDREN)])
    assert most <= 2
    changes = [e for e in events if isinstance(e, ev.ConcurrencyChanged)]
    assert changes and changes[0].reason == "rate_limited"
    assert any(e.run_id != result.run_id for e in changes)   # told by the children's runs
