"""Engine benchmarks (run on demand, not in the test suite): batched sub-calls, loop overhead,
and the time until a 400 MB context is usable in the REPL child.

    python -m tests.benchmarks.bench_engine            # all three
    python -m tests.benchmarks.bench_engine --only batched
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine import events as ev  # noqa: E402
from engine.config import Limits  # noqa: E402
from engine.context_format import Page, SourceDocument, build_context  # noqa: E402
from engine.providers.prices import PriceTable  # noqa: E402
from engine.rlm.clients import Endpoint  # noqa: E402
from engine.rlm.session import RunSpec, run_question  # noqa: E402
from engine.sandbox.context_file import write_context  # noqa: E402
from engine.sandbox.host import ReplProcess  # noqa: E402
from tests.support.fake_openai import FakeOpenAI, Reply, by_model, sequence  # noqa: E402


def repl(code: str) -> str:
    return f"```repl\n{code}\n```"


def run(server: FakeOpenAI, limits: Limits, events: list[ev.Event]) -> Any:
    context, documents = build_context(
        [SourceDocument(1, "bench", "bench.txt", "text", [Page(1, "benchmark text " * 100)])])
    spec = RunSpec(question="bench", context=context, documents=documents,
                   root=Endpoint("fake-root", server.base_url),
                   sub=Endpoint("fake-sub", server.base_url), limits=limits,
                   prices=PriceTable.builtin())
    return asyncio.run(run_question(spec, events.append))


def bench_batched(calls: int = 256, latency: float = 0.2) -> None:
    """(a) ``calls`` sub-calls through llm_query_batched at ``latency`` s each."""
    sequential = calls * latency
    for concurrency in (16, 64):
        # Distinct prompts: identical ones would be answered from the sub-call cache.
        root = sequence(repl(f"r = llm_query_batched(['p%d' % i for i in range({calls})])\n"
                             "print(len(r))"),
                        repl("FINAL('done')"))
        sub = Reply(content="ok", latency=latency)
        events: list[ev.Event] = []
        with FakeOpenAI(by_model({"fake-root": root, "fake-sub": sub})) as server:
            result = run(server, Limits(batch_concurrency=concurrency), events)
        cell = next(e for e in events if isinstance(e, ev.CellFinished))
        assert result.stop_reason == "answered", result
        print(f"(a) {calls} sub-calls at {latency * 1000:.0f} ms, concurrency {concurrency}: "
              f"{cell.duration_s:.2f} s wall in the cell; ratio to a sequential loop "
              f"({sequential:.1f} s): {cell.duration_s / sequential:.3f}")


def bench_overhead(iterations: int = 60) -> None:
    """(b) Engine time per iteration and per cell round trip with a zero-latency model."""
    replies = [repl(f"x{i} = {i}") for i in range(iterations)] + [repl("FINAL('done')")]
    events: list[ev.Event] = []
    with FakeOpenAI(sequence(*replies)) as server:
        started = time.perf_counter()
        result = run(server, Limits(max_iterations=iterations + 1), events)
        total = time.perf_counter() - started
    assert result.stop_reason == "answered", result
    model = [e.latency_s for e in events if isinstance(e, ev.ModelResponse)]
    per_iteration = (total - sum(model)) / len(model)
    round_trips = asyncio.run(host_round_trips(200))
    print(f"(b) cell round trip measured by the host (send cell, run, read result): median "
          f"{statistics.median(round_trips) * 1000:.2f} ms, p95 "
          f"{sorted(round_trips)[int(len(round_trips) * 0.95)] * 1000:.2f} ms over "
          f"{len(round_trips)} cells")
    print(f"    engine time per iteration (run time minus model HTTP time, {len(model)} "
          f"iterations): {per_iteration * 1000:.2f} ms; HTTP to the local fake server: "
          f"{statistics.median(model) * 1000:.2f} ms median")


async def host_round_trips(count: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        context_path, documents_path = write_context(Path(tmp), "x" * 1000, [])

        async def handler(op: str, args: dict[str, Any]) -> Any:
            return ""

        times = []
        async with ReplProcess(context_path, documents_path, call_handler=handler) as child:
            for i in range(count):
                started = time.perf_counter()
                await child.run_cell(f"x = {i}")
                times.append(time.perf_counter() - started)
        return times


def bench_large_context(megabytes: int = 400) -> None:
    """(c) Time from spawning the REPL child to a ready ``context`` of ``megabytes`` MB."""
    line = "The quick brown fox jumps over the lazy dog; clause 12.3 applies. " * 15 + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp)
        text = line * (megabytes * 1_000_000 // len(line))
        context_path, documents_path = write_context(path, text, [])
        del text

        async def handler(op: str, args: dict[str, Any]) -> Any:
            return ""

        async def measure() -> tuple[float, float, dict[str, Any]]:
            repl_process = ReplProcess(context_path, documents_path, call_handler=handler)
            started = time.perf_counter()
            ready = await repl_process.start()
            ready_s = time.perf_counter() - started
            cell = await repl_process.run_cell("len(context), context.count('clause 12.3')")
            await repl_process.close()
            return ready_s, cell.duration_s, ready

        ready_s, count_s, ready = asyncio.run(measure())
        size = os.path.getsize(context_path) / 1e6
    print(f"(c) {size:.0f} MB context usable in the child {ready_s:.2f} s after spawn "
          f"(the child's own load: {ready['load_s']:.2f} s); a full scan with str.count "
          f"then takes {count_s:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["batched", "overhead", "context"])
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    if args.only in (None, "batched"):
        bench_batched()
    if args.only in (None, "overhead"):
        bench_overhead()
    if args.only in (None, "context"):
        bench_large_context()


if __name__ == "__main__":
    main()
