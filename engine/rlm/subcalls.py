"""What the REPL's llm_query, llm_query_batched and rlm_query do on the host side."""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from engine import events as ev
from engine.config import Limits
from engine.context_format import PreparedContext
from engine.errors import ProviderError
from engine.events import StopReason
from engine.providers.client import Completion, ModelClient
from engine.providers.concurrency import LimitChange
from engine.rlm.budget import MAX_SLICE_DISK_BYTES, LimitReached, RunBudget, UsageTotals
from engine.rlm.clients import ClientPool, limit_changed
from engine.rlm.subcall_cache import cache_key
from engine.rlm.verify import MAX_QUOTE_CHARS, PageIndex
from engine.sandbox.calls import SubCallRefused, megabytes, release_call_args
from engine.sandbox.context_file import write_context

PREVIEW_CHARS = 300
# One prompt for a sub-model (llm_query, each prompt of a batch, rlm_query's question): the
# widest model windows hold about 2M tokens, some 8M characters, so a longer prompt can only
# fail at the provider after costing memory and time. A constant, not a setting, for that
# reason. rlm_query's context= is not a prompt: it goes to disk, bounded by the frame cap
# (64 MB) and MAX_SLICE_DISK_BYTES.
MAX_PROMPT_CHARS = 8_000_000
ANSWER_RESERVE_TOKENS = 1024   # of a sub-model's window, kept for its answer
# A child run ending for one of these stops its parent too: the limits are shared.
_SHARED_STOPS = {StopReason.BUDGET, StopReason.TIMEOUT, StopReason.MAX_SUB_CALLS,
                 StopReason.CANCELLED}


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_prompt(kind: str, prompt: str) -> None:
    """Refuse a prompt longer than any sub-model takes, saying what to do instead."""
    if len(prompt) > MAX_PROMPT_CHARS:
        raise SubCallRefused(
            f"{kind} refused: this call's prompt is {len(prompt) / 1e6:,.1f} million "
            f"characters; the limit is {MAX_PROMPT_CHARS / 1e6:g} million characters per "
            "call — pass a smaller slice")


def window_refusal(client: ModelClient, prompt: str) -> str | None:
    """Why ``prompt`` cannot fit the client's model's window (room kept for the answer),
    or None when it fits or the window is unknown."""
    window = client.context_window
    if not window:
        return None
    allowed = window - min(ANSWER_RESERVE_TOKENS, window // 8)
    tokens = client.gauge.tokens(prompt) + client.gauge.PER_MESSAGE
    if tokens <= allowed:
        return None
    return (f"llm_query refused: this prompt is about {tokens:,} tokens ({len(prompt):,} "
            f"characters), but model {client.model!r} reads at most {window:,} tokens, so a "
            f"prompt may be about {allowed:,} tokens (some {client.gauge.chars(allowed):,} "
            "characters) — pass a smaller piece, or split it over llm_query_batched")


@dataclass
class _Slice:
    """A child's context written to disk for one rlm_query; deleted when the child ends."""

    prepared: PreparedContext
    folder: Path
    size: int


class ChildResult(Protocol):
    """How a child run ended (``loop.RunResult``)."""

    answer: str
    stop_reason: StopReason
    error: str | None


class ChildRun(Protocol):
    """A child RLM run, made by its parent (``loop.RLMRun.spawn_child``)."""

    depth: int
    subtree: UsageTotals
    provider_error: ProviderError | None

    async def run(self) -> ChildResult: ...


class ParentRun(Protocol):
    """What sub-calls need of the run whose REPL makes them (``loop.RLMRun``).

    A protocol, so that this module never imports the loop: the run builds its children.
    """

    run_id: str
    depth: int
    iteration: int
    cell: int
    limits: Limits
    budget: RunBudget
    pool: ClientPool
    context: PreparedContext
    workdir: Path

    def emit(self, cls: type[ev.RunEvent], **fields: Any) -> None: ...

    def page_index(self) -> PageIndex: ...

    def notice(self, message: str, level: str = "info") -> None: ...

    def retry_notice(self, message: str) -> None: ...

    def record_usage(self, completion: Completion) -> None: ...

    def spawn_child(self, *, run_id: str, question: str, context: PreparedContext,
                    parent_call_id: str) -> ChildRun: ...


class SubCalls:
    """The call handler of one run's REPL; the child process never talks to a model itself."""

    def __init__(self, run: ParentRun) -> None:
        self.run = run
        self.budget = run.budget
        self._ids = itertools.count(1)
        self._children = itertools.count(1)

    async def handle(self, op: str, args: dict[str, Any]) -> Any:
        """Answer one call from the REPL with the handler of its op (see ``HANDLERS``)."""
        handler = HANDLERS.get(op)
        if handler is None:
            raise SubCallRefused(f"unknown operation {op!r}")
        return await handler(self, args)

    async def _on_llm_query(self, args: dict[str, Any]) -> str:
        self.budget.take_sub_calls(1)
        return await self.llm_query(str(args.get("prompt", "")), args.get("model"))

    async def _on_llm_query_batched(self, args: dict[str, Any]) -> list[str]:
        prompts = args.get("prompts")
        if not isinstance(prompts, list):
            raise SubCallRefused("llm_query_batched needs a list of prompts")
        self.budget.take_sub_calls(len(prompts))
        return await self.llm_query_batched([str(p) for p in prompts], args.get("model"))

    async def _on_rlm_query(self, args: dict[str, Any]) -> str:
        # Popped, not read: once the slice is on disk nothing holds the text in memory.
        return await self.rlm_query(str(args.get("prompt", "")), args.pop("context", None))

    async def _on_locate(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        quote = str(args.get("quote", ""))
        if len(quote) > MAX_QUOTE_CHARS * 4:
            raise SubCallRefused(f"locate refused: the words are {len(quote):,} characters; "
                                 f"pass at most {MAX_QUOTE_CHARS:,}")
        refs = await asyncio.to_thread(lambda: self.run.page_index().locate(quote))
        return [{"doc_id": ref.doc_id, "page": ref.page, "label": ref.label,
                 "title": ref.title} for ref in refs]

    def _call_id(self) -> str:
        return f"{self.run.run_id}:{next(self._ids)}"

    def _started(self, call_id: str, kind: str, model: str, prompt: str) -> None:
        self.run.emit(ev.SubCallStarted, call_id=call_id, kind=kind, model=model,
                      prompt_preview=preview(prompt), prompt_chars=len(prompt),
                      iteration=self.run.iteration, cell=self.run.cell)

    def _check_model(self, model: str | None) -> None:
        """Code may name another model; with a budget, only one whose price is known."""
        if model and self.budget.limits.budget_usd is not None \
                and self.run.pool.prices.lookup(model) is None:
            raise SubCallRefused(f"model {model!r} has no known price, and this run has a "
                                 "budget; call llm_query without model= to use the sub-model")

    async def llm_query(self, prompt: str, model: str | None = None) -> str:
        """One sub-model call; a failure the model can work around becomes SubCallRefused.

        An identical call already made in this run tree or conversation (same endpoint,
        model and messages) is answered from the pool's cache, and one in flight is waited
        for: nothing is sent, and it costs nothing. It still counts as a helper question
        toward ``max_sub_calls`` (counted before the call, see ``_on_llm_query``): that limit
        stops runaway code, which a loop asking the same question again is too.
        """
        check_prompt("llm_query", prompt)
        self._check_model(model)
        client = self.run.pool.sub(model)
        await self.run.pool.learn_window(client)
        call_id = self._call_id()
        self._started(call_id, "llm_query", client.model, prompt)
        too_long = window_refusal(client, prompt)
        if too_long:   # never sent: the server would refuse it, or (Ollama) cut it silently
            self.run.emit(ev.SubCallFinished, call_id=call_id, kind="llm_query",
                          model=client.model, error=too_long)
            raise SubCallRefused(too_long)
        messages = [{"role": "user", "content": prompt}]
        limiter = self.run.pool.limiter(client.base_url, self.run.limits.batch_concurrency)
        started = time.monotonic()
        try:
            completion, cached = await self.run.pool.cache.fetch(
                cache_key(client.base_url, client.model, messages),
                lambda: client.complete(messages, on_retry=self.run.retry_notice,
                                        limiter=limiter, on_limit=self._limit_changed))
        except ProviderError as exc:
            self.run.emit(ev.SubCallFinished, call_id=call_id, kind="llm_query",
                          model=client.model, error=str(exc))
            if exc.ends_run(model_named_by_code=model is not None):
                raise
            raise SubCallRefused(str(exc)) from exc
        if cached:
            self.run.emit(ev.SubCallFinished, call_id=call_id, kind="llm_query",
                          model=completion.model, response_preview=preview(completion.text),
                          response_chars=len(completion.text), cost_usd=0.0,
                          latency_s=round(time.monotonic() - started, 4), cached=True)
        else:
            self._finished(call_id, "llm_query", completion)
        self.budget.check()
        return completion.text

    def _finished(self, call_id: str, kind: str, completion: Completion) -> None:
        self.run.emit(ev.SubCallFinished, call_id=call_id, kind=kind, model=completion.model,
                      response_preview=preview(completion.text),
                      response_chars=len(completion.text),
                      prompt_tokens=completion.prompt_tokens,
                      completion_tokens=completion.completion_tokens,
                      cached_tokens=completion.cached_tokens, cost_usd=completion.cost_usd,
                      latency_s=round(completion.latency_s, 4))
        self.run.record_usage(completion)

    def _limit_changed(self, change: LimitChange) -> None:
        limit_changed(self.run.emit, change, self.run.limits.batch_concurrency)

    async def llm_query_batched(self, prompts: list[str], model: str | None = None) -> list[str]:
        """Concurrent calls, results in order; one failed prompt is an error string in its slot."""

        async def one(prompt: str) -> str:
            try:
                return await self.llm_query(prompt, model)
            except SubCallRefused as exc:
                return f"[llm_query error: {exc}]"

        tasks = [asyncio.ensure_future(one(p)) for p in prompts]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:  # a fatal error or a limit: stop the rest of the batch now
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def rlm_query(self, prompt: str, context: Any) -> str:
        """A child RLM over ``context`` (default: this run's), or one call past the depth limit."""
        run = self.run
        text_context = None if context is None else (
            context if isinstance(context, str) else json.dumps(context, default=str))
        if run.depth + 1 > run.limits.max_depth:
            run.notice(f"depth limit {run.limits.max_depth} reached: rlm_query answered by one "
                       "sub-model call")
            self.budget.take_sub_calls(1)
            full = prompt if text_context is None else f"{prompt}\n\n{text_context}"
            return await self.llm_query(full)
        check_prompt("rlm_query", prompt)
        self.budget.take_sub_calls(1)
        call_id = self._call_id()
        child_id = f"{run.run_id}.{next(self._children)}"
        self._started(call_id, "rlm_query", run.pool.sub().model, prompt)
        started = time.monotonic()
        # The slice is written once the child may start, so calls waiting for a slot keep
        # no file on disk (their arguments count as held call bytes meanwhile).
        async with self.budget.child_slots(run.depth + 1):
            try:
                written = None if text_context is None else self._write_slice(text_context)
            except SubCallRefused as exc:
                run.emit(ev.SubCallFinished, call_id=call_id, kind="rlm_query",
                         model=run.pool.sub().model, error=str(exc))
                raise
            if written is not None:
                text_context = context = None
                release_call_args()  # the text is on disk now, no longer held in memory
            try:
                child = run.spawn_child(
                    run_id=child_id, question=prompt, parent_call_id=call_id,
                    context=run.context if written is None else written.prepared)
                result = await child.run()
            finally:
                if written is not None:  # the child's REPL has exited: nothing maps it now
                    shutil.rmtree(written.folder, ignore_errors=True)
                    self.budget.slice_bytes -= written.size
        used = child.subtree
        run.emit(ev.SubCallFinished, call_id=call_id, kind="rlm_query", model=run.pool.sub().model,
                 response_preview=preview(result.answer), response_chars=len(result.answer),
                 prompt_tokens=used.prompt_tokens, completion_tokens=used.completion_tokens,
                 cached_tokens=used.cached_tokens, cost_usd=used.cost_usd,
                 latency_s=round(time.monotonic() - started, 4),
                 error=None if result.stop_reason == StopReason.ANSWERED else
                 f"stopped: {result.stop_reason} after {used.calls} calls")
        if result.stop_reason in _SHARED_STOPS:
            raise LimitReached(result.stop_reason, f"a child run stopped: {result.stop_reason}")
        if result.stop_reason == StopReason.PROVIDER_ERROR:
            failure = child.provider_error
            if failure is not None and failure.ends_run():   # its model is the configured one
                raise failure
            raise SubCallRefused(f"the helper run failed: {result.error}")
        if result.stop_reason == StopReason.SANDBOX_ERROR:
            raise SubCallRefused(f"the helper run could not start its REPL: {result.error}")
        return result.answer

    def _write_slice(self, text: str) -> _Slice:
        """Write a child's context, within the run tree's disk quota for slices."""
        # Characters are a lower bound on the UTF-8 bytes: most refusals need no writing.
        self._check_slice_quota(len(text))
        try:
            folder = Path(tempfile.mkdtemp(prefix="ctx-", dir=self.run.workdir))
        except OSError as exc:
            raise SubCallRefused(f"could not prepare the helper's context: {exc}") from exc
        try:
            context_path, documents_path = write_context(folder, text, [])
            size = context_path.stat().st_size + documents_path.stat().st_size
            self._check_slice_quota(size)
        except BaseException as exc:
            shutil.rmtree(folder, ignore_errors=True)
            if isinstance(exc, OSError):
                raise SubCallRefused(f"could not prepare the helper's context: {exc}") from exc
            raise
        self.budget.slice_bytes += size
        prepared = PreparedContext(context_path=context_path, documents_path=documents_path,
                                   chars=len(text), documents=[])
        return _Slice(prepared, folder, size)

    def _check_slice_quota(self, size: int) -> None:
        held = self.budget.slice_bytes
        if held + size > MAX_SLICE_DISK_BYTES:
            raise SubCallRefused(
                f"rlm_query refused: helpers' contexts on disk take {megabytes(held)} and "
                f"this one adds {megabytes(size)}; this run's limit is "
                f"{megabytes(MAX_SLICE_DISK_BYTES)} at once — pass a smaller slice, or wait "
                "for other rlm_query calls to finish")


# The host side of the REPL contract (engine/sandbox/contract.py): one handler per op of
# its HOST_CALLS, each given the call's checked args.
HANDLERS: dict[str, Callable[[SubCalls, dict[str, Any]], Awaitable[Any]]] = {
    "llm_query": SubCalls._on_llm_query,
    "llm_query_batched": SubCalls._on_llm_query_batched,
    "rlm_query": SubCalls._on_rlm_query,
    "locate": SubCalls._on_locate,
}
