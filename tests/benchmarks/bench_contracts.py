"""The contracts task without any model (run on demand): the scripted oracle answers on the
fake server with each method, and the mean answer and citation scores are printed per length.

    python -m tests.benchmarks.bench_contracts                       # 32K and 128K, 5 items
    python -m tests.benchmarks.bench_contracts --tokens 1M --items 5

The oracle reads perfectly, so the scores show what each method is given: direct and rlm the
whole data room, retrieval only the excerpts BM25 picks. Temporary data, config and keyring
folders; 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from tests.benchmarks.bench_suite import isolate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", action="append", help="lengths (default 32K and 128K)")
    parser.add_argument("--items", default="5")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        isolate(Path(temp))
        from engine.bench import suite
        from engine.cli.main import main as rlm
        from tests.support.bench_oracle import oracle
        from tests.support.fake_openai import FakeOpenAI
        from tests.support.harness import write_prices

        folder = Path(temp) / "bench"
        lengths = [x for t in args.tokens or ["32K", "128K"] for x in ("--tokens", t)]
        assert rlm(["bench", "generate", "--task", "contracts", *lengths, "--items",
                    args.items, "--seed", "1", "-o", str(folder), "-q"]) == 0
        started = time.monotonic()
        with FakeOpenAI(oracle()) as server:
            rlm(["bench", "run", str(folder), "--model", "fake-root", "--sub-model",
                 "fake-sub", "--base-url", server.base_url, "--prices",
                 str(write_prices(Path(temp))), "--methods", "direct,retrieval,rlm"])
        wall = time.monotonic() - started
        scores: dict[tuple[int, str], list[tuple[float, float]]] = defaultdict(list)
        for r in suite.read_results(folder / suite.RESULTS):
            scores[(r["tokens"], r["method"])].append((r["score"], r["citation_score"]))
        print(f"\n{wall:.0f} s in all (writing and ingesting the rooms included)\n")
        print("| length | method | items | answer score | citation score |")
        print("|---|---|---:|---:|---:|")
        for (tokens, method), pairs in sorted(scores.items()):
            answer = sum(a for a, _ in pairs) / len(pairs)
            cited = sum(c for _, c in pairs) / len(pairs)
            print(f"| {tokens // 1024}K | {method} | {len(pairs)} | {answer:.3f} | {cited:.3f} |")


if __name__ == "__main__":
    main()
