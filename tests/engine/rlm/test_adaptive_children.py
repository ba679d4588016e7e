"""Helper analyses (rlm_query) started side by side share their endpoint's adaptive number
of calls in flight: against a service that refuses more than two at once, all finish."""

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

CHILDREN = 4


def script(request: ChatRequest) -> Reply | str:
    if request.model == "fake-sub":   # each child's own model: it answers at once
        return Reply(content=repl("FINAL('child ' + context[:7])"), latency=0.2)
    if request.assistant_turns == 0:
        return repl("import concurrent.futures\n"
                    f"with concurrent.futures.ThreadPoolExecutor({CHILDREN}) as pool:\n"
                    "    r = list(pool.map(lambda i: rlm_query('go', context='part %d' % i),"
                    f" range({CHILDREN})))\n"
                    "FINAL(repr(r))")
    return repl("FINAL('again')")


def test_children_side_by_side_slow_down_together_on_429(tmp_path: Path) -> None:
    events: list[ev.Event] = []
    with FakeOpenAI(script) as server:
        server.limit_in_flight(2, retry_after=0.05)
        spec = RunSpec(question="q", context="text", documents=[],
                       root=Endpoint("fake-root", server.base_url),
                       sub=Endpoint("fake-sub", server.base_url),
                       # No retries: only the shared adaptive limit carries the children.
                       limits=Limits(batch_concurrency=32, max_retries=0,
                                     confirm_early_answers=False),
                       prices=PriceTable())
        result = asyncio.run(run_question(spec, events.append))
        most = server.max_concurrent
    assert result.stop_reason == "answered", result.error
    assert result.answer == repr([f"child part {i}" for i in range(CHILDREN)])
    assert most <= 2
    changes = [e for e in events if isinstance(e, ev.ConcurrencyChanged)]
    assert changes and changes[0].reason == "rate_limited"
    assert any(e.run_id != result.run_id for e in changes)   # told by the children's runs
