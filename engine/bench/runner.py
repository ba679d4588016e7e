"""Run a benchmark folder's items with the chosen methods, scoring each answer and appending
its result at once, so an interrupted run resumes where it stopped."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.bench import dataroom, scoring
from engine.bench.methods import METHODS, Outcome, Setup, calibrate, rlm
from engine.bench.suite import RESULTS, Item, append_result, read_items, read_results
from engine.errors import ConfigError

ANSWER_KEPT = 4000  # characters of each answer kept in the results


@dataclass
class Progress:
    done: int
    total: int
    spent_usd: float
    elapsed_s: float
    last: dict[str, Any] | None = None

    @property
    def remaining_s(self) -> float | None:
        return self.elapsed_s / self.done * (self.total - self.done) if self.done else None


@dataclass
class Summary:
    ran: int
    skipped: int          # already in the results (resumed)
    spent_usd: float
    stopped_by_budget: bool


def check_methods(names: list[str]) -> list[str]:
    unknown = [name for name in names if name not in METHODS]
    if unknown or not names:
        raise ConfigError(f"no method {', '.join(unknown) or '(none given)'}; choose from "
                          f"{', '.join(METHODS)}")
    return names


def _within(setup: Setup, budget: float | None, spent: float) -> Setup:
    """``setup`` with an rlm question's own spending limit no higher than what is left."""
    if budget is None:
        return setup
    left = budget - spent
    own = setup.limits.budget_usd
    return dataclasses.replace(setup, limits=dataclasses.replace(
        setup.limits, budget_usd=left if own is None else min(own, left)))


def result_of(item: Item, method: str, outcome: Outcome, wall_s: float,
              setup: Setup) -> dict[str, Any]:
    score = scoring.score(item.task, outcome.answer, item.gold) if outcome.fit else 0.0
    return {"id": item.id, "task": item.task, "tokens": item.tokens, "variant": item.variant,
            "kind": item.kind, "method": method, "score": round(score, 6),
            "fit": outcome.fit, "answer": outcome.answer[:ANSWER_KEPT],
            "calls": outcome.calls, "prompt_tokens": outcome.prompt_tokens,
            "completion_tokens": outcome.completion_tokens, "cost_usd": outcome.cost_usd,
            "wall_s": round(wall_s, 3), "stop_reason": outcome.stop_reason,
            "error": outcome.error, "model": setup.root.model, "sub_model": setup.sub.model,
            "chars_per_token": round(setup.chars_per_token, 3),
            **({"extra": outcome.extra} if outcome.extra else {})}


async def run(folder: Path, methods: list[str], setup: Setup, *, budget: float | None = None,
              results: Path | None = None, only: Callable[[Item], bool] | None = None,
              on_progress: Callable[[Progress], None] | None = None) -> Summary:
    """Answer every (item, method) not yet in the results; stop before starting one more once
    ``budget`` dollars are spent in this run."""
    check_methods(methods)
    path = results or folder / RESULTS
    done = {(r["id"], r["method"]) for r in read_results(path)}
    items = [item for item in read_items(folder) if only is None or only(item)]
    todo = [(item, [m for m in methods if (item.id, m) not in done]) for item in items]
    total = sum(len(ms) for _, ms in todo)
    skipped = len(items) * len(methods) - total
    started = time.monotonic()
    ran, spent = 0, 0.0
    if "direct" in methods and total:  # its window check counts in the model's own tokens
        measured = await calibrate(setup)
        if measured is not None:
            setup = dataclasses.replace(setup, chars_per_token=measured)
    if on_progress is not None and total:  # nothing answered yet: the bar shows what is to do
        on_progress(Progress(0, total, 0.0, time.monotonic() - started))
    for item, missing in todo:
        if not missing:
            continue
        sample = None
        room: dataroom.Room | None = None
        for method in missing:
            if budget is not None and spent >= budget:
                return Summary(ran, skipped, spent, True)
            if sample is None:
                sample = item.sample()
                room = (await asyncio.to_thread(dataroom.open_room, folder, item.id, item.seed,
                                                item.tokens)
                        if item.task == "contracts" else None)
            began = time.monotonic()
            chosen = _within(setup, budget, spent)
            if room is not None and method == "rlm":  # the stored context: real doc ids
                outcome = await rlm(chosen, room.text, item.question, prepared=room.prepared)
            else:
                outcome = await METHODS[method](chosen, room.text if room else sample.context,
                                                item.question)
            result = result_of(item, method, outcome, time.monotonic() - began, setup)
            if room is not None:
                result["citation_score"] = round(room.citation_score(
                    outcome.answer, item.gold) if outcome.fit else 0.0, 6)
            append_result(path, result)
            ran += 1
            spent += outcome.cost_usd or 0.0
            if on_progress is not None:
                on_progress(Progress(ran, total, spent, time.monotonic() - started, result))
    return Summary(ran, skipped, spent, False)
