"""A run's main-model calls kept within its window: compact before a call, retry once after
a server refuses a request as too long, and warn before the run when Ollama would cut."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from engine import events as ev
from engine.config import Limits
from engine.errors import ProviderError
from engine.providers.client import Completion, ModelClient
from engine.providers.tokens import window_in_error
from engine.providers.windows import (
    RUN_HEADROOM_TOKENS,
    Window,
    ollama_warning,
    small_window_warning,
)
from engine.rlm.budget import LimitReached, RunBudget
from engine.rlm.clients import ClientPool, limit_changed
from engine.rlm.compaction import Compaction, Messages, WindowKeeper
from engine.rlm.parsing import clip_middle

GUESSED_SHARE = 0.75   # with no window known, an overflow says it is below what was sent


class GuardedRun(Protocol):
    """What the guard needs of its run (``loop.RLMRun``)."""

    depth: int
    iteration: int
    budget: RunBudget
    pool: ClientPool
    limits: Limits

    def emit(self, cls: type[ev.RunEvent], **fields: Any) -> None: ...

    def notice(self, message: str, level: str = "info") -> None: ...

    def retry_notice(self, message: str) -> None: ...

    def record_usage(self, completion: Completion) -> None: ...


async def learn_windows(pool: ClientPool, root: ModelClient) -> dict[str, Any]:
    """The windows of a run's main and helper models, for its RunStarted event."""
    sub = pool.sub()
    # Both asked at once: each may wait on its server, and the first model call waits on both.
    root_window, sub_window = await asyncio.gather(pool.learn_window(root),
                                                   pool.learn_window(sub))
    return {"root": {"model": root.model, **root_window.to_json()},
            "sub": {"model": sub.model, **sub_window.to_json()}}


class WindowGuard:
    """Keeps one run's conversation with its main model inside that model's window."""

    def __init__(self, run: GuardedRun, client: ModelClient, messages: Messages) -> None:
        self.run = run
        self.client = client
        self.keeper = WindowKeeper(messages[:2] + messages[-1:], client.gauge)
        self._summary: Completion | None = None

    def warn_small(self, messages: Messages) -> None:
        """Before the run: say so when the main model's window cannot hold its first steps,
        or Ollama would cut the helper model's prompts silently."""
        needed = self.client.gauge.messages(messages) + RUN_HEADROOM_TOKENS
        warning = small_window_warning(self.client.window, self.client.model, needed)
        if warning:
            self.run.notice(warning, level="warning")
        sub = self.run.pool.sub()
        if (sub.base_url, sub.model) != (self.client.base_url, self.client.model):
            warning = ollama_warning(sub.window, sub.model, needed)
            if warning:
                self.run.notice(warning, level="warning")

    async def complete(self, messages: Messages) -> Completion:
        """One main-model call: compacted first when near the window; after a server's
        "too long", compacted harder and sent once more."""
        window = self.client.context_window
        if window:
            await self._fit(messages, window, harder=False)
        try:
            return await self._send(messages)
        except ProviderError as exc:
            if exc.kind != "context_length":
                raise
            first = exc
        self.run.notice("the conversation was too long for the main model; shortening it and "
                        "trying once more", level="warning")
        window = self._learn_from(first, messages)
        compaction = await self._fit(messages, window, harder=True)
        try:
            return await self._send(messages)
        except ProviderError as exc:
            if exc.kind != "context_length":
                raise
            size = compaction.after_tokens if compaction else self.keeper.gauge.messages(messages)
            raise ProviderError(
                f"{exc}. It was still too long after shortening the conversation to about "
                f"{size:,} tokens: choose a model with a larger context window, or start its "
                "server with a larger one (llama.cpp: --ctx-size; Ollama: "
                "OLLAMA_CONTEXT_LENGTH), then ask again", kind="context_length",
                status=exc.status) from exc

    async def _send(self, messages: Messages) -> Completion:
        """One call. A helper analysis (``rlm_query``, depth > 0) takes a place among its
        endpoint's calls in flight, as helper questions do: up to four of them run at once
        beside their own questions, and a 429 should slow them all down together. The top
        run's calls, one at a time, wait for no place."""
        if self.run.depth == 0:
            return await self.client.complete(messages, on_retry=self.run.retry_notice)
        ceiling = self.run.limits.batch_concurrency
        return await self.client.complete(
            messages, on_retry=self.run.retry_notice,
            limiter=self.run.pool.limiter(self.client.base_url, ceiling),
            on_limit=lambda change: limit_changed(self.run.emit, change, ceiling))

    def _learn_from(self, exc: ProviderError, messages: Messages) -> int:
        """The window the error names (kept for the rest of the run), else a guess below
        what was just sent."""
        named = window_in_error(str(exc))
        known = self.client.context_window
        if named and (known is None or named < known):
            self.client.set_window(Window(named, "server", "the server's error"))
            return named
        sent = self.keeper.gauge.messages(messages)
        return min(known or sent, int(sent * GUESSED_SHARE))

    async def _fit(self, messages: Messages, window: int, *, harder: bool) -> Compaction | None:
        self._summary = None
        compaction = await self.keeper.fit(messages, window, self._summarize, harder=harder)
        if compaction is not None:
            used = self._summary
            self.run.emit(ev.HistoryCompacted, iteration=self.run.iteration,
                          before_tokens=compaction.before_tokens,
                          after_tokens=compaction.after_tokens, window=compaction.window,
                          elided=compaction.elided, summarized=compaction.summary is not None,
                          summary=compaction.summary or "", harder=harder,
                          model=used.model if used else "",
                          prompt_tokens=used.prompt_tokens if used else 0,
                          completion_tokens=used.completion_tokens if used else 0,
                          cost_usd=used.cost_usd if used else None)
        return compaction

    async def _summarize(self, request: Messages) -> str | None:
        """The model's summary of its work so far: a main-model call, counted like any."""
        try:
            self.run.budget.check()
            if self.run.depth > 0:   # a helper analysis's calls count as helper questions
                self.run.budget.take_sub_calls(1)
            completion = await self.client.complete(request, on_retry=self.run.retry_notice)
        except (LimitReached, ProviderError) as exc:
            self.run.notice(f"could not have the earlier steps summarised ({exc}); they were "
                            "cut instead", level="warning")
            return None
        self._summary = completion
        self.run.record_usage(completion)
        window = self.client.context_window or 0
        limit = max(2000, self.keeper.gauge.chars(window // 8))
        return clip_middle(completion.text.strip(), limit) or None
