"""How many calls to one endpoint may be in flight: a limit that adapts to rate limits (AIMD).

Additive increase, multiplicative decrease, as TCP does with its window. The limit starts
at the setting (its ceiling). A 429 halves it (never below ``floor``) and pauses new calls
for the ``Retry-After`` the server gave. Each full round of successes (as many as the
limit) raises it by one, back up to the ceiling; near the limit that last drew a 429, one
per CAUTIOUS_ROUNDS rounds, so a service's fixed ceiling is not probed again every round.
Calls sent before a decrease that come back 429 too neither halve it again nor extend the
pause: they were sent under the old limit, and one overload is one signal. Every change is
returned as a ``LimitChange`` for the caller to report. Single-threaded asyncio state: no
locks needed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

RATE_LIMITED = "rate_limited"   # the AI service asked us to slow down (429)
RECOVERED = "recovered"         # a round of calls went through: one more at a time
MAX_PAUSE_S = 600.0             # the longest Retry-After honoured for the whole endpoint
CAUTIOUS_ROUNDS = 4             # rounds of answers per step up near the last overload


@dataclass(frozen=True)
class LimitChange:
    """The limit moved from ``previous`` to ``limit``; ``pause_s`` is the server's wait."""

    previous: int
    limit: int
    reason: str          # RATE_LIMITED or RECOVERED
    pause_s: float = 0.0


@dataclass(frozen=True)
class Slot:
    """One call's place among those in flight; ``epoch`` counts decreases before it began."""

    epoch: int


class AdaptiveLimit:
    """Calls to one endpoint in flight at once; ``acquire`` waits for a place."""

    def __init__(self, ceiling: int, *, floor: int = 1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.floor = max(1, floor)
        self._ceiling = max(self.floor, ceiling)
        self.limit = self._ceiling
        self.in_flight = 0
        self.epoch = 0              # decreases so far
        self.paused_until = 0.0     # clock() before which no new call starts
        self._successes = 0         # since the last change
        self.overloaded_at = 0      # the limit at the last 429 that lowered it (0: none yet)
        self._clock = clock
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def ceiling(self) -> int:
        return self._ceiling

    @ceiling.setter
    def ceiling(self, value: int) -> None:
        """A new setting (a follow-up question with other limits): the limit starts there."""
        value = max(self.floor, value)
        if value != self._ceiling:
            self._ceiling = value
            self.limit = value
            self._successes = 0
            self._wake()

    def pause_left(self) -> float:
        return max(0.0, self.paused_until - self._clock())

    async def acquire(self) -> Slot:
        """Wait until a call may start (a free place, and no pause asked for by the server)."""
        while True:
            pause = self.pause_left()
            if pause > 0:
                await asyncio.sleep(pause)
                continue
            if self.in_flight < self.limit:
                if not self._waiters:
                    self.in_flight += 1
                    return Slot(self.epoch)
                self._wake()   # places are free: those queued first take them first
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake()   # woken for a place it will not take: pass it on
                raise
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            # Woken: take the place now if it is still free, else queue again at the back.
            if self.pause_left() <= 0 and self.in_flight < self.limit:
                self.in_flight += 1
                return Slot(self.epoch)

    def release(self, slot: Slot) -> None:
        """The call ended, however it ended; its place is free for the next."""
        del slot
        self.in_flight = max(0, self.in_flight - 1)
        self._wake()

    def succeeded(self) -> LimitChange | None:
        """A call went through: after a full round of them, one more at a time."""
        if self.limit >= self._ceiling:
            self._successes = 0
            return None
        self._successes += 1
        # Up to one below where the service last refused, a round of answers is enough to
        # try one more; from there on, CAUTIOUS_ROUNDS rounds: probing the same ceiling
        # again at once would only bring its 429s, and the halving, back sooner.
        rounds = CAUTIOUS_ROUNDS if self.limit + 1 >= self.overloaded_at > 0 else 1
        if self._successes < self.limit * rounds:
            return None
        self._successes = 0
        previous, self.limit = self.limit, self.limit + 1
        self._wake()
        return LimitChange(previous, self.limit, RECOVERED)

    def rate_limited(self, slot: Slot, retry_after: float | None) -> LimitChange | None:
        """A 429 for a call begun in ``slot``: halve the limit (once per overload), and pause
        new calls for ``retry_after`` seconds (at most MAX_PAUSE_S)."""
        pause = 0.0 if retry_after is None else min(MAX_PAUSE_S, max(0.0, retry_after))
        self._successes = 0
        if slot.epoch < self.epoch:
            return None   # sent before the limit was lowered: this overload is answered
        if pause > 0:
            self.paused_until = max(self.paused_until, self._clock() + pause)
        if self.limit <= self.floor:
            return None   # as low as it goes: the pause is all there is to do
        previous = self.overloaded_at = self.limit
        self.limit = max(self.floor, self.limit // 2)
        self.epoch += 1
        return LimitChange(previous, self.limit, RATE_LIMITED, pause)

    def backing_off(self, slot: Slot) -> bool:
        """Whether a 429 for this slot is the limiter's business rather than a failure: it
        can still lower the limit, or it already did since the call began."""
        return slot.epoch < self.epoch or self.limit > self.floor

    def _wake(self) -> None:
        free = self.limit - self.in_flight
        for waiter in self._waiters[:max(0, free)]:
            if not waiter.done():
                waiter.set_result(None)
