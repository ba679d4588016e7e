"""Model endpoints of a run and the pool of clients made for them (one per endpoint and model)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from engine import events as ev
from engine.config import Limits
from engine.endpoints import Endpoint
from engine.providers.client import ModelClient
from engine.providers.concurrency import AdaptiveLimit, LimitChange
from engine.providers.prices import PriceTable
from engine.providers.windows import Window, choose, discover_window
from engine.rlm.subcall_cache import SubCallCache


def limit_changed(emit: Callable[..., Any], change: LimitChange, ceiling: int) -> None:
    """A run's event for a change of its endpoint's number of calls in flight."""
    emit(ev.ConcurrencyChanged, previous=change.previous, limit=change.limit,
         reason=change.reason, ceiling=ceiling, pause_s=round(change.pause_s, 3))


class ClientPool:
    """Creates clients lazily and shares them across a run tree; closes them all at the end.

    It also holds what a run tree and a conversation's follow-ups share besides clients:
    the answers of sub-calls already made (``cache``) and, per endpoint, the adaptive
    number of sub-calls in flight (``limiter``).
    """

    def __init__(self, root: Endpoint, sub: Endpoint, prices: PriceTable, limits: Limits) -> None:
        self.root_endpoint = root
        self.sub_endpoint = sub
        self.prices = prices
        self.limits = limits
        self._clients: dict[tuple[str, str], ModelClient] = {}
        self._learning: dict[tuple[str, str], asyncio.Future[Window]] = {}
        self.cache = SubCallCache()
        self._limiters: dict[str, AdaptiveLimit] = {}

    def _client(self, endpoint: Endpoint, model: str | None = None) -> ModelClient:
        name = model or endpoint.model
        key = (endpoint.base_url, name)
        if key not in self._clients:
            self._clients[key] = ModelClient(
                model=name, base_url=endpoint.base_url, api_key=endpoint.api_key,
                prices=self.prices, timeout=self.limits.call_timeout_s,
                max_retries=self.limits.max_retries,
                max_connections=max(64, self.limits.batch_concurrency * 2))
        return self._clients[key]

    def root(self) -> ModelClient:
        return self._client(self.root_endpoint)

    def sub(self, model: str | None = None) -> ModelClient:
        """The sub-model's client; ``model`` picks another model on the same endpoint."""
        return self._client(self.sub_endpoint, model)

    async def learn_window(self, client: ModelClient) -> Window:
        """The client's window, asked of its server once (the answer is kept per endpoint
        and model for the process's life; the asking takes two seconds at most)."""
        key = (client.base_url, client.model)
        if key not in self._learning:
            self._learning[key] = asyncio.ensure_future(self._learn(client))
        return await asyncio.shield(self._learning[key])

    async def _learn(self, client: ModelClient) -> Window:
        root = self.root_endpoint
        is_root = (client.base_url, client.model) == (root.base_url, root.model)
        endpoint = root if is_root else self.sub_endpoint
        setting = endpoint.context_window if endpoint.model == client.model else None
        found = await discover_window(client.base_url, client.model, endpoint.api_key)
        client.set_window(choose(found, client.model, setting))
        return client.window
    def limiter(self, base_url: str, ceiling: int) -> AdaptiveLimit:
        """The sub-calls in flight to ``base_url``, at most ``ceiling`` (the question's
        batch_concurrency setting), fewer while the service is asking us to slow down."""
        limiter = self._limiters.get(base_url)
        if limiter is None:
            limiter = self._limiters[base_url] = AdaptiveLimit(ceiling)
        else:
            limiter.ceiling = ceiling
        return limiter

    async def aclose(self) -> None:
        for task in self._learning.values():
            task.cancel()
        for client in self._clients.values():
            try:
                await client.aclose()
            except Exception:  # closing must never mask the run's own outcome
                pass
        self._clients.clear()
