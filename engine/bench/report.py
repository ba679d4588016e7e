"""The report of a benchmark's results: per task, length and method, the mean score with a
bootstrap 95% interval, calls, tokens, cost and wall time (Markdown and JSON)."""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

BOOTSTRAP_ROUNDS = 2000


def bootstrap_interval(scores: list[float], seed: int = 0,
                       rounds: int = BOOTSTRAP_ROUNDS) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the mean over resamples (the same seed, the same
    interval)."""
    if len(scores) < 2:
        return (scores[0], scores[0]) if scores else (0.0, 0.0)
    rng = random.Random(seed)
    n = len(scores)
    means = sorted(sum(rng.choices(scores, k=n)) / n for _ in range(rounds))
    return means[int(0.025 * rounds)], means[min(rounds - 1, int(0.975 * rounds))]


@dataclass
class Row:
    task: str
    tokens: int
    method: str
    n: int
    mean: float
    low: float
    high: float
    did_not_fit: int
    calls: float          # means per item
    prompt_tokens: float
    completion_tokens: float
    cost_usd: float | None  # None when some answers were not priced
    wall_s: float
    citation_score: float | None = None   # contracts: citations verified on a gold page


def rows(results: list[dict[str, Any]]) -> list[Row]:
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        groups[(result["task"], result["tokens"], result["method"])].append(result)
    table = []
    for (task, tokens, method), group in sorted(groups.items()):
        scores = [float(r["score"]) for r in group]
        low, high = bootstrap_interval(scores)
        costs = [r.get("cost_usd") for r in group]
        table.append(Row(
            task, tokens, method, len(group), statistics.fmean(scores), low, high,
            sum(1 for r in group if not r.get("fit", True)),
            statistics.fmean(r["calls"] for r in group),
            statistics.fmean(r["prompt_tokens"] for r in group),
            statistics.fmean(r["completion_tokens"] for r in group),
            None if any(c is None for c in costs) else statistics.fmean(costs),  # type: ignore[arg-type]
            statistics.fmean(r["wall_s"] for r in group),
            _citation_mean(group)))
    return table


def _citation_mean(group: list[dict[str, Any]]) -> float | None:
    """The mean citation score of a group whose results have one (the contracts task)."""
    cited = [float(r["citation_score"]) for r in group if r.get("citation_score") is not None]
    return statistics.fmean(cited) if cited else None


def tokens_label(tokens: int) -> str:
    for size, unit in ((1 << 20, "M"), (1 << 10, "K")):
        if tokens >= size and tokens % size == 0:
            return f"{tokens // size}{unit}"
    return f"{tokens:,}"


def markdown(table: list[Row], title: str = "Benchmark report",
             charts: tuple[str, ...] = ()) -> str:
    """The table in Markdown, then links to ``charts`` (PNG file names beside report.md)."""
    lines = [f"# {title}", "",
             "Mean score per question (0 to 1) with a bootstrap 95% interval; calls, tokens, "
             "cost and wall time are means per question. \"Did not fit\": questions whose "
             "prompt was longer than the model's window (scored 0). \"Citations\" (contracts): "
             "the share of the answer's citations whose quote was verified on a gold page.", "",
             "| task | length | method | questions | score | 95% interval | citations | "
             "did not fit | calls | input tokens | output tokens | cost | wall time |",
             "|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in table:
        cost = "unpriced" if r.cost_usd is None else f"${r.cost_usd:.4f}"
        cited = "–" if r.citation_score is None else f"{r.citation_score:.3f}"
        lines.append(f"| {r.task} | {tokens_label(r.tokens)} | {r.method} | {r.n} | "
                     f"{r.mean:.3f} | {r.low:.3f}–{r.high:.3f} | {cited} | {r.did_not_fit} | "
                     f"{r.calls:.1f} | {r.prompt_tokens:,.0f} | {r.completion_tokens:,.0f} | "
                     f"{cost} | {r.wall_s:.1f} s |")
    if charts:
        lines += ["", "## Charts", ""]
        lines += [f"![{name.removesuffix('.png')}]({name})" for name in charts]
    return "\n".join(lines) + "\n"


def as_json(table: list[Row]) -> list[dict[str, Any]]:
    return [asdict(r) for r in table]
