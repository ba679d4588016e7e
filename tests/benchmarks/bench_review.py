"""Review table benchmark (run on demand): a whole review against the fake model server.

200 documents × 5 questions = 1,000 answers, each one call to a helper model that takes
0.3 s, 16 at a time: the ideal wall time is calls × latency ÷ concurrency (18.75 s); the
target is within 1.3× of it, with the engine's memory under 300 MB. Then the same review is
stopped halfway and resumed, to count the answers asked twice (at most those in flight).

    python -m tests.benchmarks.bench_review
    python -m tests.benchmarks.bench_review --documents 50 --latency 0.1

Temporary data, config and keyring folders; the fake server on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.3
MEMORY_MB = 300
QUESTIONS = [("What is the monthly rent?", "money"), ("Which law governs?", "text"),
             ("When does the term end?", "date"), ("Can the tenant break early?", "yesno"),
             ("How many days of notice?", "number")]


def isolate(folder: Path) -> None:
    for name, sub in (("HOME", "home"), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "cfg"),
                      ("XDG_CACHE_HOME", "cache")):
        os.environ[name] = str(folder / sub)
    os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.memory_keyring.MemoryKeyring"
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"


def reply(request: Any) -> str:
    question = request.last_user.split("Question:")[-1]
    answers = {"rent": 'ANSWER: EUR 1,250.00\nEXPLANATION: Clause 3.\nQUOTES:\n'
                       '- page 1: "The rent is EUR 1,250.00 per month"',
               "law": "ANSWER: English law\nEXPLANATION: Clause 12.",
               "term": "ANSWER: 2030-06-30\nEXPLANATION: Clause 2.",
               "break": "ANSWER: Yes\nEXPLANATION: Clause 8.",
               "notice": "ANSWER: 90\nEXPLANATION: Clause 8."}
    return next((text for key, text in answers.items() if key in question),
                "ANSWER: NOT STATED")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        isolate(Path(tmp))
        return run(Path(tmp), args)


def run(tmp: Path, args: argparse.Namespace) -> int:
    from engine.cli.main import main as rlm
    from engine.config import Limits
    from engine.endpoints import Endpoint
    from engine.providers.prices import Price, PriceTable
    from engine.review.columns import parse_column
    from engine.review.runner import ReviewRunner
    from engine.rlm.clients import ClientPool
    from engine.store import reviews as store
    from engine.store.library import Library
    from tests.support.fake_openai import FakeOpenAI, Reply

    folder = tmp / "leases"
    folder.mkdir()
    for i in range(args.documents):
        (folder / f"lease{i:03d}.txt").write_text(
            f"Lease {i}. The rent is EUR 1,250.00 per month. " * 40, encoding="utf-8")
    rlm(["ingest", str(folder), "--collection", "bench", "-q"])
    columns = [parse_column(f"{q}:{kind}") for q, kind in QUESTIONS]
    with Library() as library:
        doc_ids = [d.id for d in library.documents(collection="bench")]
        review_id = store.create_review(library.conn, "bench", "bench", columns, doc_ids)
        again_id = store.create_review(library.conn, "again", "bench", columns, doc_ids)

    limits = Limits(max_retries=0)
    prices = PriceTable({"fake-sub": Price(input=0.5, output=1.0)})

    async def review(server: Any, rid: str, stop_after: int | None = None) -> Any:
        pool = ClientPool(Endpoint("fake-root", server.base_url),
                          Endpoint("fake-sub", server.base_url), prices, limits)
        cancel = asyncio.Event()

        def on_cell(_cell: Any, progress: Any) -> None:
            if stop_after is not None and progress.done >= stop_after:
                cancel.set()

        runner = ReviewRunner(library_path=None, pool=pool, limits=limits,
                              concurrency=args.concurrency, on_cell=on_cell)
        try:
            plans = await runner.plan(rid)
            return await runner.run(rid, plans, cancel)
        finally:
            await runner.close()
            await pool.aclose()

    cells = args.documents * len(QUESTIONS)
    ideal = cells * args.latency / args.concurrency
    with FakeOpenAI(lambda r: Reply(content=reply(r)), latency=args.latency) as server:
        started = time.perf_counter()
        outcome = asyncio.run(review(server, review_id))
        wall = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ratio = wall / ideal
        print(f"{cells:,} answers ({args.documents} documents × {len(QUESTIONS)} questions), "
              f"{args.latency:g} s a call, {args.concurrency} at a time")
        print(f"  wall {wall:.2f} s, ideal {ideal:.2f} s: {ratio:.2f}x "
              f"({'ok' if ratio <= TARGET_RATIO else 'OVER'} against {TARGET_RATIO}x); "
              f"{outcome.ran:,} answered, {outcome.progress.failed} failed")
        print(f"  peak memory of this process (engine, store, fake server): {peak_mb:.0f} MB "
              f"({'ok' if peak_mb <= MEMORY_MB else 'OVER'} against {MEMORY_MB} MB)")

        # Stopped halfway, then resumed: how many answers were asked twice?
        asked = len(server.requests)
        asyncio.run(review(server, again_id, stop_after=cells // 2))
        with Library() as library:
            kept = len(store.cells(library.conn, again_id))
        first = len(server.requests) - asked
        asyncio.run(review(server, again_id))
        second = len(server.requests) - asked - first
        twice = first + second - cells
        print(f"  stopped after {kept:,} stored answers ({first:,} asked), resumed with "
              f"{second:,} more: {twice} asked twice (at most {args.concurrency} in flight)")
    return 0 if ratio <= TARGET_RATIO and peak_mb <= MEMORY_MB and \
        twice <= args.concurrency else 1


if __name__ == "__main__":
    sys.exit(main())
