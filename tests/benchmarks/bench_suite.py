"""``rlm bench`` without any model (run on demand): the scripted oracle plays the main and
helper models on the fake server, with simulated latencies, over generated texts of 1M (and
8M) tokens. Reports generation time, the score, helper questions, the engine's own overhead
(the share of the question's wall time when no simulated model call was in flight and
the model's code was not computing) and peak
memory of this process and of the REPL children.

    python -m tests.benchmarks.bench_suite                    # 1M tokens
    python -m tests.benchmarks.bench_suite --tokens 1M --tokens 8M
    python -m tests.benchmarks.bench_suite --root-latency 3 --sub-latency 1.5

Targets: overhead under 5% at 8M tokens. The fake server runs in a process of its own (forked),
so neither its time nor its memory counts as the engine's; this process's memory includes the
generated text. Temporary data, config and keyring folders; 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

OVERHEAD_TARGET = 0.05


def isolate(folder: Path) -> None:
    for name, sub in (("HOME", "home"), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "cfg"),
                      ("XDG_CACHE_HOME", "cache")):
        os.environ[name] = str(folder / sub)
    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.memory_keyring.MemoryKeyring"
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"


class Busy:
    """When the simulated models were answering: each request's [arrival, arrival + latency]."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def wrap(self, script: Any) -> Any:
        def timed(request: Any) -> Any:
            reply = script(request)
            with self.lock:
                now = time.monotonic()
                self.spans.append((now, now + (reply.latency or 0.0)))
            return reply
        return timed

    def union_within(self, start: float, end: float) -> float:
        total, reach = 0.0, start
        for a, b in sorted(self.spans):
            a, b = max(a, reach), min(b, end)
            if b > a:
                total += b - a
                reach = b
        return total


def serve(conn: Any, batch: int, sub_latency: float, root_latency: float) -> None:
    """The fake server with the oracle, in its own process: sends its address, then the busy
    spans whenever asked ("spans"), until told to stop."""
    from tests.support.bench_oracle import oracle
    from tests.support.fake_openai import FakeOpenAI

    busy = Busy()
    server = FakeOpenAI(busy.wrap(oracle(batch=batch, sub_latency=sub_latency,
                                         root_latency=root_latency))).start()
    conn.send(server.base_url)
    while conn.recv() == "spans":
        with busy.lock:
            conn.send(busy.spans[:])
            busy.spans.clear()
    server.stop()


def parse_tokens(text: str) -> int:
    from engine.cli.bench import token_count
    return token_count(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", action="append", type=parse_tokens)
    parser.add_argument("--tasks", default="needle,aggregate,pairs")
    parser.add_argument("--root-latency", type=float, default=3.0)
    parser.add_argument("--sub-latency", type=float, default=1.5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--lines-per-call", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-suite-") as tmp:
        isolate(Path(tmp))
        return run(args)


def run(args: argparse.Namespace) -> int:
    # CLOCK_MONOTONIC is the machine's, so the server's spans and our times compare.
    here, there = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(
        target=serve, args=(there, args.lines_per_call, args.sub_latency, args.root_latency))
    process.start()
    print(f"main model {args.root_latency:g} s a call, helper model {args.sub_latency:g} s, "
          f"{args.concurrency} helper questions at a time, {args.lines_per_call} lines each")
    try:
        worst = measure(args, here.recv(), here)
    finally:
        here.send("stop")
        process.join(10)
    if worst is None:
        return 0
    verdict = "ok" if worst <= OVERHEAD_TARGET else "OVER"
    print(f"worst share at 8M tokens: {worst:.1%} ({verdict} against {OVERHEAD_TARGET:.0%})")
    return 0 if worst <= OVERHEAD_TARGET else 1


def measure(args: argparse.Namespace, base_url: str, pipe: Any) -> float | None:
    """Each task at each length once; the worst overhead share at 8M tokens (None: none)."""
    from engine import events as ev
    from engine.bench import scoring, suite
    from engine.bench.methods import Setup, rlm
    from engine.config import Limits, SandboxSettings
    from engine.endpoints import Endpoint
    from engine.providers.prices import PriceTable

    worst: float | None = None
    for tokens in args.tokens or [1 << 20]:
        for task in args.tasks.split(","):
            began = time.perf_counter()
            item = next(suite.make_items(task, tokens, 1, seed=1))
            context = item.sample().context  # made twice: once for the gold, once here
            made = (time.perf_counter() - began) / 2
            events: list[Any] = []
            setup = Setup(Endpoint("fake-root", base_url), Endpoint("fake-sub", base_url),
                          PriceTable(), Limits(batch_concurrency=args.concurrency,
                                               max_sub_calls=10_000,
                                               confirm_early_answers=False),
                          SandboxSettings(), on_event=events.append)
            pipe.send("spans")
            pipe.recv()  # forget the spans of earlier questions
            start, epoch = time.monotonic(), time.time()
            outcome = asyncio.run(rlm(setup, context, item.question))
            end = time.monotonic()
            pipe.send("spans")
            busy = Busy()
            busy.spans = pipe.recv()
            wall = end - start
            waiting = busy.union_within(start, end)
            # The model's own code computing: each cell's time less the models' time in it.
            shift = epoch - start
            began_at = {e.cell: e.ts - shift for e in events if isinstance(e, ev.CellStarted)}
            cells = sum(e.ts - shift - began_at[e.cell]
                        - busy.union_within(began_at[e.cell], e.ts - shift)
                        for e in events if isinstance(e, ev.CellFinished))
            helpers = sum(1 for e in events if isinstance(e, ev.SubCallFinished))
            # Until the safe workspace is up: the context file, the windows, the REPL child.
            ready = next(e.ts for e in events if isinstance(e, ev.SandboxStatus)) - epoch
            overhead = (wall - waiting - cells) / wall
            if tokens >= 8 << 20:
                worst = max(worst or 0.0, overhead)
            score = scoring.score(task, outcome.answer, item.gold)
            me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"{task} at {tokens:,} tokens ({len(context) / 1e6:.1f} M chars): generated "
                  f"in {made:.1f} s; score {score:.2f}; {helpers} helper questions; wall "
                  f"{wall:.2f} s (start-up {ready:.2f} s), models busy {waiting:.2f} s, the "
                  f"model's code computing {cells:.2f} s; the engine's own share: "
                  f"{overhead:.1%} ({(wall - waiting - cells - ready) / wall:.1%} after "
                  f"start-up); peak memory: this process {me:.0f} MB, "
                  f"REPL children {children:.0f} MB", flush=True)
            del context
    return worst


if __name__ == "__main__":
    sys.exit(main())
