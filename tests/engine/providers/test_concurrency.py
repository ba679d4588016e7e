"""The adaptive limit of calls in flight: halved on a 429 (once per overload), paused for
Retry-After, one more after each full round of successes; and the client that informs it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from engine.providers.client import ModelClient
from engine.providers.concurrency import (
    CAUTIOUS_ROUNDS,
    RATE_LIMITED,
    RECOVERED,
    AdaptiveLimit,
    LimitChange,
    Slot,
)
from engine.providers.prices import PriceTable
from tests.support.fake_openai import FakeOpenAI, Reply


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def take(limit: AdaptiveLimit, count: int) -> list[Any]:
    return [await limit.acquire() for _ in range(count)]


def test_a_429_halves_the_limit_once_per_overload() -> None:
    limit = AdaptiveLimit(32)
    slots = asyncio.run(take(limit, 32))
    assert limit.in_flight == 32 and limit.limit == 32
    assert limit.rate_limited(slots[0], None) == LimitChange(32, 16, RATE_LIMITED)
    # The other calls sent under the old limit come back 429 too: one overload, one halving.
    assert all(limit.rate_limited(slot, None) is None for slot in slots[1:])
    assert limit.limit == 16
    for slot in slots:
        limit.release(slot)
    fresh = asyncio.run(take(limit, 1))[0]
    assert limit.rate_limited(fresh, None) == LimitChange(16, 8, RATE_LIMITED)


def test_the_limit_never_goes_below_the_floor_nor_above_the_ceiling() -> None:
    limit = AdaptiveLimit(3)
    for expected in (1, 1):
        slot = asyncio.run(take(limit, 1))[0]
        limit.rate_limited(slot, None)
        limit.release(slot)
        assert limit.limit == expected
    assert not limit.backing_off(asyncio.run(take(limit, 1))[0])   # at the floor: a failure
    for _ in range(100):
        limit.succeeded()
    assert limit.limit == 3


def test_it_grows_by_one_after_a_full_round_of_successes() -> None:
    limit = AdaptiveLimit(32)
    slot = asyncio.run(take(limit, 1))[0]
    limit.rate_limited(slot, None)
    limit.release(slot)
    assert limit.limit == 16
    changes = [limit.succeeded() for _ in range(16)]
    assert changes[:15] == [None] * 15
    assert changes[15] == LimitChange(16, 17, RECOVERED)
    assert [limit.succeeded() for _ in range(17)][-1] == LimitChange(17, 18, RECOVERED)
    # A 429 starts the round again.
    slot = asyncio.run(take(limit, 1))[0]
    limit.rate_limited(slot, None)
    assert limit.limit == 9


def test_near_the_limit_that_drew_a_429_it_grows_more_cautiously() -> None:
    limit = AdaptiveLimit(11)
    slot = asyncio.run(take(limit, 1))[0]
    limit.rate_limited(slot, None)                 # 11 → 5; the service refused at 11
    assert (limit.limit, limit.overloaded_at) == (5, 11)
    for expected in (6, 7, 8, 9, 10):              # a round each, up to one below 11
        assert [limit.succeeded() for _ in range(limit.limit)][-1].limit == expected
    changes = [limit.succeeded() for _ in range(10 * CAUTIOUS_ROUNDS)]
    assert changes[:-1] == [None] * (10 * CAUTIOUS_ROUNDS - 1)
    assert changes[-1] == LimitChange(10, 11, RECOVERED)


def test_retry_after_pauses_new_calls() -> None:
    clock = Clock()
    limit = AdaptiveLimit(4, clock=clock)
    slot = asyncio.run(take(limit, 1))[0]
    change = limit.rate_limited(slot, 2.5)
    assert change == LimitChange(4, 2, RATE_LIMITED, 2.5)
    assert limit.pause_left() == 2.5
    clock.now += 1.0
    assert limit.pause_left() == 1.5
    # A 429 for a call sent before the limit was lowered is the same overload: no new pause.
    limit.rate_limited(slot, 30)
    assert limit.pause_left() == 1.5
    # A new one never shortens the pause; an absurd Retry-After is capped.
    fresh = Slot(limit.epoch)                      # a call sent under the lowered limit
    limit.rate_limited(fresh, 0.5)
    assert limit.pause_left() == 1.5 and limit.limit == 1
    limit.rate_limited(Slot(limit.epoch), 10_000)   # at the floor: the pause still grows
    assert limit.pause_left() == 600.0 and limit.limit == 1


def test_acquire_waits_out_the_pause_in_real_time() -> None:
    async def main() -> float:
        limit = AdaptiveLimit(4)
        slot = await limit.acquire()
        limit.rate_limited(slot, 0.3)
        limit.release(slot)
        started = time.monotonic()
        await limit.acquire()
        return time.monotonic() - started

    assert 0.25 <= asyncio.run(main()) < 2.0


def test_acquire_waits_for_a_place_in_order_and_a_cancelled_waiter_passes_it_on() -> None:
    async def main() -> list[str]:
        limit = AdaptiveLimit(1)
        order: list[str] = []
        first = await limit.acquire()

        async def call(name: str) -> None:
            slot = await limit.acquire()
            order.append(name)
            await asyncio.sleep(0.01)
            limit.release(slot)

        waiting = [asyncio.ensure_future(call(name)) for name in ("a", "b", "c")]
        await asyncio.sleep(0.01)
        waiting[0].cancel()       # "a" gives up before its turn
        await asyncio.sleep(0.01)
        limit.release(first)
        await asyncio.gather(*waiting[1:])
        assert limit.in_flight == 0
        return order

    assert asyncio.run(main()) == ["b", "c"]


def test_a_new_ceiling_resets_the_limit() -> None:
    limit = AdaptiveLimit(8)
    slot = asyncio.run(take(limit, 1))[0]
    limit.rate_limited(slot, None)
    limit.ceiling = 8          # the same setting: the learnt limit stays
    assert limit.limit == 4
    limit.ceiling = 12
    assert (limit.ceiling, limit.limit) == (12, 12)


# --- the client informs it ------------------------------------------------------

def client(server: FakeOpenAI, **options: Any) -> ModelClient:
    settings: dict[str, Any] = {"model": "fake-sub", "base_url": server.base_url,
                                "api_key": None, "prices": PriceTable(), "timeout": 5.0,
                                "max_retries": 0, "backoff_base": 0.01}
    settings.update(options)
    return ModelClient(**settings)


def test_a_batch_against_a_server_that_refuses_above_ten_completes() -> None:
    """max_retries=0: with a limiter, the server's 429s lower the limit instead of failing."""
    changes: list[LimitChange] = []

    async def main(server: FakeOpenAI) -> list[str]:
        limit = AdaptiveLimit(32)
        async with client(server) as model:
            done = await asyncio.gather(*(
                model.complete([{"role": "user", "content": f"q{i}"}], limiter=limit,
                               on_limit=changes.append) for i in range(60)))
        assert limit.in_flight == 0
        return [c.text for c in done]

    with FakeOpenAI(lambda r: Reply(content=r.last_user, latency=0.05)) as server:
        server.limit_in_flight(10, retry_after=0.05)
        answers = asyncio.run(main(server))
        assert server.rate_limited > 0 and server.max_concurrent <= 10
    assert answers == [f"q{i}" for i in range(60)]
    assert changes[0] == LimitChange(32, 16, RATE_LIMITED, 0.05)
    assert any(change.limit <= 10 for change in changes)


def test_without_a_limiter_a_429_still_counts_as_a_failed_attempt() -> None:
    from engine.errors import ProviderError

    async def main(server: FakeOpenAI) -> None:
        async with client(server) as model:
            await model.complete([{"role": "user", "content": "q"}])

    with FakeOpenAI() as server:
        server.push_faults(Reply(fault="429", retry_after=0))
        try:
            asyncio.run(main(server))
        except ProviderError as exc:
            assert exc.kind == "rate_limit"
        else:
            raise AssertionError("a 429 with max_retries=0 and no limiter must fail")


def one_call(server: FakeOpenAI, limit: AdaptiveLimit) -> str:
    async def main() -> str:
        async with client(server) as model:
            done = await model.complete([{"role": "user", "content": "q"}], limiter=limit)
        return done.text

    return asyncio.run(main())


def test_a_429_is_waived_only_while_the_limit_can_still_come_down(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.errors import ProviderError
    from engine.providers import client as client_module

    with FakeOpenAI() as server:
        server.push_faults(Reply(fault="429", retry_after=0))
        assert one_call(server, AdaptiveLimit(2)) == "q"      # lowered to 1, tried again
        server.push_faults(Reply(fault="429", retry_after=0))
        with pytest.raises(ProviderError, match="rate limited"):
            one_call(server, AdaptiveLimit(1))                # at the floor: a failure
        # Past RATE_LIMIT_PATIENCE_S since the call began, a 429 counts as a failure again.
        monkeypatch.setattr(client_module, "RATE_LIMIT_PATIENCE_S", 0.0)
        server.push_faults(Reply(fault="429", retry_after=0))
        with pytest.raises(ProviderError, match="rate limited"):
            one_call(server, AdaptiveLimit(8))
