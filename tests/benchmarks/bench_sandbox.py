"""Sandbox benchmarks (run on demand, not in the test suite): what the lockdown costs.

    python -m tests.benchmarks.bench_sandbox              # both parts
    python -m tests.benchmarks.bench_sandbox --only start

(a) REPL child start (spawn to ready frame) with the full lockdown and without it (every
    layer switched off through the test switch, unsandboxed runs allowed); target: the
    lockdown adds under 50 ms.
(b) Per-cell round trip, host -> child -> host, sandboxed and not, for a trivial cell and a
    syscall-heavier one (prints, a thread, a stdlib import); target: within 10%.
Runs alternate between the two modes so machine noise hits both alike.
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

from engine.config import SandboxSettings  # noqa: E402
from engine.sandbox.context_file import write_context  # noqa: E402
from engine.sandbox.host import ReplProcess  # noqa: E402

MODES = {
    "sandboxed": {"sandbox": SandboxSettings(), "simulate_missing": ()},
    "unsandboxed": {"sandbox": SandboxSettings(allow_unsandboxed=True),
                    "simulate_missing": ("all",)},
}
HEAVY_CELL = """
import threading, json
for i in range(50):
    print(i, json.dumps({'i': i}))
t = threading.Thread(target=len, args=('x',)); t.start(); t.join()
"""


async def handler(op: str, args: dict[str, Any]) -> Any:
    return ""


def stats(values: list[float]) -> str:
    ordered = sorted(values)
    return (f"median {statistics.median(ordered) * 1000:.2f} ms, "
            f"p90 {ordered[int(len(ordered) * 0.9)] * 1000:.2f} ms")


async def one_start(paths: tuple[Path, Path], mode: str) -> tuple[float, float]:
    repl = ReplProcess(*paths, call_handler=handler, **MODES[mode])  # type: ignore[arg-type]
    started = time.perf_counter()
    ready = await repl.start()
    elapsed = time.perf_counter() - started
    await repl.close()
    return elapsed, float(ready["lockdown"].get("lockdown_s", 0.0))


def bench_start(paths: tuple[Path, Path], rounds: int) -> None:
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    inside: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(rounds):
        for mode in MODES:
            elapsed, lockdown_s = asyncio.run(one_start(paths, mode))
            times[mode].append(elapsed)
            inside[mode].append(lockdown_s)
    added = statistics.median(times["sandboxed"]) - statistics.median(times["unsandboxed"])
    print(f"(a) child start, spawn to ready frame, {rounds} starts each:")
    for mode in MODES:
        print(f"    {mode:>11}: {stats(times[mode])} (lockdown step inside the child: "
              f"median {statistics.median(inside[mode]) * 1000:.1f} ms)")
    print(f"    the lockdown adds {added * 1000:.1f} ms to the median start (target < 50 ms)")


async def round_trips(paths: tuple[Path, Path], mode: str, code: str, count: int) -> list[float]:
    times = []
    async with ReplProcess(*paths, call_handler=handler, **MODES[mode]) as child:  # type: ignore
        # Without kernel limits the host would also poll the child's memory; leave that out
        # so the comparison is the lockdown's cost alone.
        child.rss_limit = None
        for _ in range(20):  # warm up: imports, caches
            await child.run_cell(code)
        for _ in range(count):
            started = time.perf_counter()
            await child.run_cell(code)
            times.append(time.perf_counter() - started)
    return times


def bench_cells(paths: tuple[Path, Path], count: int) -> None:
    print(f"(b) cell round trip, host -> child -> host, {count} cells per mode and kind:")
    for label, code in (("x = 1", "x = 1"), ("prints, a thread, json", HEAVY_CELL)):
        times: dict[str, list[float]] = {mode: [] for mode in MODES}
        for _ in range(4):  # alternate in blocks
            for mode in MODES:
                times[mode] += asyncio.run(round_trips(paths, mode, code, count // 4))
        ratio = statistics.median(times["sandboxed"]) / statistics.median(times["unsandboxed"])
        print(f"    {label}: sandboxed {stats(times['sandboxed'])}; unsandboxed "
              f"{stats(times['unsandboxed'])}; ratio of medians {ratio:.3f} (target <= 1.10)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=["start", "cells"])
    parser.add_argument("--rounds", type=int, default=30, help="starts per mode")
    parser.add_argument("--cells", type=int, default=400, help="cells per mode and kind")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {os.uname().release}")
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_context(Path(tmp), "benchmark text " * 1000, [])
        if args.only in (None, "start"):
            bench_start(paths, args.rounds)
        if args.only in (None, "cells"):
            bench_cells(paths, args.cells)


if __name__ == "__main__":
    main()
