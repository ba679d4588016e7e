"""The limits and running totals shared by a run and all its child runs."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from engine.config import Limits
from engine.events import StopReason
from engine.sandbox.calls import CallBytes

# Child runs (each with its own REPL process) running at once per depth; one semaphore per
# depth, since a parent holding a slot waits on its children.
MAX_CONCURRENT_CHILD_RUNS = 4
# Bytes of child-context slices (rlm_query's context=) on disk at once for a run tree; each
# is deleted when its child run ends. Slices are written once a child may start, so the
# defaults keep at most 4 per depth, each at most a frame (64 MB): 512 MB at depth 2. The
# quota bounds a raised depth limit and runaway code. A constant, not a setting: real work
# stays below it, and the model is told to pass smaller slices.
MAX_SLICE_DISK_BYTES = 1024 * 1024 * 1024


class LimitReached(Exception):
    """Raised inside a run when a shared limit is hit; carries the stop reason."""

    def __init__(self, reason: StopReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class UsageTotals:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    known_cost_usd: float = 0.0
    unpriced_models: set[str] = field(default_factory=set)

    def add(self, model: str, prompt_tokens: int, completion_tokens: int, cached_tokens: int,
            cost_usd: float | None) -> None:
        self.calls += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cached_tokens += cached_tokens
        if cost_usd is None:
            self.unpriced_models.add(model)
        else:
            self.known_cost_usd += cost_usd

    @property
    def cost_usd(self) -> float | None:
        """The total, or None while any call's price is unknown (never a made-up figure)."""
        return None if self.unpriced_models else round(self.known_cost_usd, 8)

    def as_json(self) -> dict[str, Any]:
        return {"calls": self.calls, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "cached_tokens": self.cached_tokens,
                "cost_usd": self.cost_usd, "known_cost_usd": round(self.known_cost_usd, 8),
                "unpriced_models": sorted(self.unpriced_models)}


class RunBudget:
    """One per top-level run; children share it, so limits bound the whole tree."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.started = time.monotonic()
        self.sub_calls = 0
        self.usage = UsageTotals()
        self._child_slots: dict[int, asyncio.Semaphore] = {}
        # What the host holds for pending REPL calls, shared by every REPL of the tree.
        self.call_bytes = CallBytes()
        self.slice_bytes = 0  # child-context slices on disk now (MAX_SLICE_DISK_BYTES)

    def child_slots(self, depth: int) -> asyncio.Semaphore:
        """Bounds how many child runs at ``depth`` run at once (model code may use threads)."""
        if depth not in self._child_slots:
            self._child_slots[depth] = asyncio.Semaphore(MAX_CONCURRENT_CHILD_RUNS)
        return self._child_slots[depth]

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining_time(self) -> float | None:
        if self.limits.timeout_s is None:
            return None
        return max(0.0, self.limits.timeout_s - self.elapsed())

    def record(self, model: str, prompt_tokens: int, completion_tokens: int,
               cached_tokens: int, cost_usd: float | None) -> None:
        self.usage.add(model, prompt_tokens, completion_tokens, cached_tokens, cost_usd)

    def check(self) -> None:
        """Raise LimitReached when the budget or the wall time is spent."""
        limits = self.limits
        if limits.budget_usd is not None and self.usage.known_cost_usd >= limits.budget_usd:
            raise LimitReached(StopReason.BUDGET,
                               f"the budget of ${limits.budget_usd:.4f} is spent "
                               f"(${self.usage.known_cost_usd:.4f} so far)")
        if limits.timeout_s is not None and self.elapsed() >= limits.timeout_s:
            raise LimitReached(StopReason.TIMEOUT,
                               f"the time limit of {limits.timeout_s:g} s is reached")

    def take_sub_calls(self, count: int) -> None:
        """Count ``count`` sub-calls against the limit, or raise LimitReached without counting."""
        self.check()
        if self.sub_calls + count > self.limits.max_sub_calls:
            raise LimitReached(StopReason.MAX_SUB_CALLS,
                               f"the limit of {self.limits.max_sub_calls} sub-calls is reached "
                               f"({self.sub_calls} made, {count} more asked for)")
        self.sub_calls += count
