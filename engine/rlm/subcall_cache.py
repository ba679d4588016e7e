"""Identical sub-calls made once: answers kept by a hash of endpoint, model, messages and
parameters, shared by a run tree and the follow-up questions of a conversation.

Owned by the ``ClientPool`` (one per conversation, or per top-level run), so every run of a
tree and every later question in the same conversation sees the same answers. Concurrent
identical calls are made once: the later ones wait for the first and share its outcome.
Only answers are kept; a failed (or cancelled) call leaves nothing behind, so the next
identical call asks again. Memory is bounded by a count of answers and their characters,
the oldest used answer going first.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from engine.providers.client import Completion

MAX_ENTRIES = 4096
MAX_CHARS = 32_000_000  # of answer text, about 64 MB of memory at most


def cache_key(base_url: str, model: str, messages: list[dict[str, str]],
              **parameters: Any) -> str:
    """A stable hash of everything that decides an answer; parameters that are None are
    left out, so a call without one and a call with its default-less absence agree."""
    payload = {"base_url": base_url, "model": model, "messages": messages,
               "parameters": {k: v for k, v in sorted(parameters.items()) if v is not None}}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class SubCallCache:
    """Answers of finished sub-calls by key, plus the calls in flight (made once)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_chars: int = MAX_CHARS) -> None:
        self.max_entries = max(0, max_entries)
        self.max_chars = max(0, max_chars)
        self._answers: OrderedDict[str, Completion] = OrderedDict()
        self._chars = 0
        self._in_flight: dict[str, asyncio.Future[Completion]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._answers)

    def get(self, key: str) -> Completion | None:
        """The kept answer for ``key`` (now the most recently used), or None."""
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
        return answer

    def put(self, key: str, answer: Completion) -> None:
        """Keep ``answer``; the least recently used go while the bounds are passed."""
        size = len(answer.text)
        if size > self.max_chars or self.max_entries == 0:
            return   # larger than the whole cache: keeping it would empty everything else
        old = self._answers.pop(key, None)
        if old is not None:
            self._chars -= len(old.text)
        self._answers[key] = answer
        self._chars += size
        while len(self._answers) > self.max_entries or self._chars > self.max_chars:
            _, dropped = self._answers.popitem(last=False)
            self._chars -= len(dropped.text)

    async def fetch(self, key: str,
                    make: Callable[[], Awaitable[Completion]]) -> tuple[Completion, bool]:
        """The answer for ``key`` and whether it came from the cache (or from an identical
        call already in flight); else ``make()`` is awaited once and its answer kept.

        A failure of ``make()`` reaches its caller and every caller waiting on it; it is not
        kept. When the call a waiter relied on was cancelled, the waiter makes its own.
        """
        while True:
            answer = self.get(key)
            if answer is not None:
                self.hits += 1
                return answer, True
            pending = self._in_flight.get(key)
            if pending is None:
                break
            try:
                # shield: a waiter cancelled (its batch stopped) must not cancel the call
                # another caller owns.
                answer = await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise          # this waiter itself was cancelled
                continue           # the owner was cancelled: try again, maybe as the owner
            self.hits += 1
            return answer, True
        self.misses += 1
        future: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            answer = await make()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unawaited failure logs no warning
            raise
        finally:
            del self._in_flight[key]
        self.put(key, answer)
        future.set_result(answer)
        return answer, False
