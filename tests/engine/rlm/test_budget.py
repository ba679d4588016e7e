"""Shared limits: cost, time and sub-call counts across a run tree."""

from __future__ import annotations

import asyncio

import pytest

from engine.config import Limits
from engine.rlm.budget import LimitReached, RunBudget


def budget(**kw: object) -> RunBudget:
    async def make() -> RunBudget:
        return RunBudget(Limits(**kw))  # type: ignore[arg-type]
    return asyncio.run(make())


def test_cost_is_unknown_while_any_model_is_unpriced() -> None:
    b = budget()
    b.record("a", 10, 5, 0, 0.01)
    assert b.usage.cost_usd == 0.01
    b.record("b", 10, 5, 0, None)
    assert b.usage.cost_usd is None and b.usage.known_cost_usd == 0.01
    assert b.usage.as_json()["unpriced_models"] == ["b"]


def test_budget_limit() -> None:
    b = budget(budget_usd=0.02)
    b.record("a", 1, 1, 0, 0.015)
    b.check()
    b.record("a", 1, 1, 0, 0.015)
    with pytest.raises(LimitReached) as raised:
        b.check()
    assert raised.value.reason == "budget"


def test_sub_call_limit_counts_batches_whole() -> None:
    b = budget(max_sub_calls=5)
    b.take_sub_calls(3)
    with pytest.raises(LimitReached) as raised:
        b.take_sub_calls(3)
    assert raised.value.reason == "max_sub_calls" and b.sub_calls == 3
    b.take_sub_calls(2)


def test_wall_time_limit() -> None:
    b = budget(timeout_s=0.01)
    b.started -= 1
    with pytest.raises(LimitReached) as raised:
        b.check()
    assert raised.value.reason == "timeout" and b.remaining_time() == 0
