"""Adaptive concurrency benchmark (run on demand): a batch of helper questions against a fake
service that answers 429 (with Retry-After) above 10 requests in flight.

Compares the wall time of ``llm_query_batched`` in a real run (REPL included) starting at 32
and adapting, with a fixed limit of 10 (the service's own limit, known in advance); and, at
the client level, 32 at once with no adaptation (each 429 a failed attempt, as before).

    python -m tests.benchmarks.bench_adaptive_concurrency
    python -m tests.benchmarks.bench_adaptive_concurrency --calls 200 --latency 0.2 --retry-after 1
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine import events as ev  # noqa: E402
from engine.config import Limits  # noqa: E402
from engine.endpoints import Endpoint  # noqa: E402
from engine.errors import ProviderError  # noqa: E402
from engine.providers.client import ModelClient  # noqa: E402
from engine.providers.prices import PriceTable  # noqa: E402
from engine.rlm.session import RunSpec, run_question  # noqa: E402
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply  # noqa: E402

SERVICE_LIMIT = 10


def script(calls: int, latency: float) -> Any:
    def answer(request: ChatRequest) -> Reply | str:
        if request.model == "fake-sub":
            return Reply(content=f"answer {request.last_user}", latency=latency)
        if request.assistant_turns == 0:
            return (f"```repl\nr = llm_query_batched(['q%d' % i for i in range({calls})])\n"
                    "print(sum(x.startswith('answer') for x in r))\n```")
        return "```repl\nFINAL('done')\n```"
    return answer


def in_a_run(calls: int, latency: float, retry_after: float, concurrency: int) -> str:
    events: list[ev.Event] = []
    with FakeOpenAI(script(calls, latency)) as server:
        server.limit_in_flight(SERVICE_LIMIT, retry_after=retry_after)
        spec = RunSpec(question="bench", context="text", documents=[],
                       root=Endpoint("fake-root", server.base_url),
                       sub=Endpoint("fake-sub", server.base_url),
                       limits=Limits(batch_concurrency=concurrency), prices=PriceTable())
        result = asyncio.run(run_question(spec, events.append))
        refused = server.rate_limited
    assert result.stop_reason == "answered", result
    cell = next(e for e in events if isinstance(e, ev.CellFinished))
    answered = int(cell.output.strip() or 0)
    changes = [e for e in events if isinstance(e, ev.ConcurrencyChanged)]
    lows = [e.limit for e in changes if e.reason == "rate_limited"]
    return (f"{cell.duration_s:.2f} s wall in the cell, {answered}/{calls} answered, "
            f"{refused} requests refused (429), {len(lows)} slow-downs"
            + (f" (lowest limit {min(lows)})" if lows else ""))


def without_adaptation(calls: int, latency: float, retry_after: float) -> str:
    """32 at once through the client with no limiter: a 429 is a failed attempt (5 retries)."""
    async def main(server: FakeOpenAI) -> tuple[int, float]:
        gate = asyncio.Semaphore(32)
        client = ModelClient(model="fake-sub", base_url=server.base_url, api_key=None,
                             prices=PriceTable(), max_retries=5)

        async def one(i: int) -> bool:
            async with gate:
                try:
                    await client.complete([{"role": "user", "content": f"q{i}"}])
                except ProviderError:
                    return False
                return True

        started = time.perf_counter()
        try:
            done = await asyncio.gather(*(one(i) for i in range(calls)))
        finally:
            await client.aclose()
        return sum(done), time.perf_counter() - started

    with FakeOpenAI(script(calls, latency)) as server:
        server.limit_in_flight(SERVICE_LIMIT, retry_after=retry_after)
        answered, wall = asyncio.run(main(server))
    return f"{wall:.2f} s wall, {answered}/{calls} answered, {calls - answered} failed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--retry-after", type=float, default=1.0)
    args = parser.parse_args()
    floor = args.calls / SERVICE_LIMIT * args.latency
    print(f"{args.calls} helper questions at {args.latency * 1000:.0f} ms each; the service "
          f"answers 429 (Retry-After: {args.retry_after:g} s) above {SERVICE_LIMIT} in flight; "
          f"the best possible is {floor:.1f} s")
    print(f"  adaptive, starting at 32: "
          f"{in_a_run(args.calls, args.latency, args.retry_after, 32)}")
    print(f"  fixed at {SERVICE_LIMIT} (tuned to the service in advance): "
          f"{in_a_run(args.calls, args.latency, args.retry_after, SERVICE_LIMIT)}")
    print(f"  32 at once, not adapting (client level, 5 retries): "
          f"{without_adaptation(args.calls, args.latency, args.retry_after)}")


if __name__ == "__main__":
    main()
