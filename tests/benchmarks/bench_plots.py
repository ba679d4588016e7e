"""The report's charts benchmark (run on demand, not in the test suite): drawing every PNG of a
full report, 3 tasks x 11 lengths (8K to 8M tokens) x 3 methods, best of three.

    python -m tests.benchmarks.bench_plots [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.bench import plots  # noqa: E402
from engine.bench.report import Row  # noqa: E402


def table() -> list[Row]:
    return [Row(task, 1 << power, method, 20, 1 - (power - 13) / 20 * rank,
                max(0.0, 0.9 - (power - 13) / 20 * rank), 1.0, 0, 3.0, 1e5, 1e3,
                0.002 * (power - 12) * (rank + 1), 2.0)
            for task in ("needle", "aggregate", "pairs") for power in range(13, 24)
            for rank, method in enumerate(("direct", "retrieval", "rlm"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = table()
    times = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            written = plots.write_charts(rows, Path(folder))
            times.append(time.perf_counter() - start)
            sizes = [path.stat().st_size for path in written]
    print(f"{len(written)} charts ({min(sizes) // 1000}-{max(sizes) // 1000} KB each) in "
          f"{min(times):.2f} s best, {max(times):.2f} s worst of {args.repeat}")


if __name__ == "__main__":
    main()
