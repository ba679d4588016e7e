"""The host-resource limits of sub-calls: prompt size per call, slices on disk per run tree."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from engine import events as ev
from engine.config import Limits
from engine.context_format import PreparedContext
from engine.events import StopReason
from engine.providers.client import Completion
from engine.providers.concurrency import AdaptiveLimit
from engine.rlm import subcalls
from engine.rlm.budget import RunBudget, UsageTotals
from engine.rlm.loop import RLMRun
from engine.rlm.subcall_cache import SubCallCache
from engine.rlm.subcalls import MAX_PROMPT_CHARS, SubCalls
from engine.sandbox.calls import SubCallRefused


class FakeClient:
    model = "fake-sub"
    context_window = None   # unknown: no window guard
    base_url = "http://127.0.0.1:9/v1"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    async def complete(self, messages: list[dict[str, str]], **options: Any) -> Completion:
        self.prompts.append(messages[-1]["content"])
        return Completion(text="answer", model=self.model, prompt_tokens=1,
                          completion_tokens=1, cached_tokens=0, cost_usd=0.0, latency_s=0.0,
                          finish_reason="stop", attempts=1)


class FakePool:
    def __init__(self) -> None:
        self.client = FakeClient()
        self.cache = SubCallCache()
        self.limit = AdaptiveLimit(4)

    def limiter(self, base_url: str, ceiling: int) -> AdaptiveLimit:
        return self.limit

    def sub(self, model: str | None = None) -> FakeClient:
        return self.client

    async def learn_window(self, client: FakeClient) -> None:
        return None


@dataclass
class FakeResult:
    answer: str
    stop_reason: StopReason = StopReason.ANSWERED
    error: str | None = None


@dataclass
class FakeChild:
    """A child run that looks at its context file while it runs."""

    context: PreparedContext
    seen: list[tuple[Path, bool]]
    wait: asyncio.Event | None = None
    depth: int = 1
    subtree: UsageTotals = field(default_factory=UsageTotals)
    provider_error: Any = None

    async def run(self) -> FakeResult:
        self.seen.append((self.context.context_path, self.context.context_path.exists()))
        if self.wait is not None:
            await self.wait.wait()
        return FakeResult(self.context.context_path.read_text())


class FakeRun:
    """What SubCalls needs of its run, with children that record their context files."""

    def __init__(self, workdir: Path) -> None:
        self.run_id, self.depth, self.iteration, self.cell = "r", 0, 1, 1
        self.limits = Limits()
        self.budget = RunBudget(self.limits)
        self.pool = FakePool()
        self.context = PreparedContext(workdir / "context.txt", workdir / "documents.json",
                                       0, [])
        self.workdir = workdir
        self.events: list[ev.RunEvent] = []
        self.seen: list[tuple[Path, bool]] = []
        self.wait: asyncio.Event | None = None

    def emit(self, cls: type[ev.RunEvent], **fields: Any) -> None:
        self.events.append(cls(run_id=self.run_id, depth=0, parent_run_id=None,
                               parent_call_id=None, **fields))

    def notice(self, message: str, level: str = "info") -> None:
        pass

    def retry_notice(self, message: str) -> None:
        pass

    def record_usage(self, completion: Completion) -> None:
        pass

    def spawn_child(self, *, run_id: str, question: str, context: PreparedContext,
                    parent_call_id: str) -> FakeChild:
        return FakeChild(context, self.seen, self.wait)


def make(tmp_path: Path) -> tuple[SubCalls, FakeRun]:
    run = FakeRun(tmp_path)
    return SubCalls(run), run  # type: ignore[arg-type]


def test_a_prompt_over_the_limit_is_refused_before_any_model_call(tmp_path: Path) -> None:
    calls, run = make(tmp_path)
    assert MAX_PROMPT_CHARS == 8_000_000
    huge = "x" * 9_000_000
    with pytest.raises(SubCallRefused) as refused:
        asyncio.run(calls.handle("llm_query", {"prompt": huge, "model": None}))
    assert str(refused.value) == (
        "llm_query refused: this call's prompt is 9.0 million characters; the limit is "
        "8 million characters per call — pass a smaller slice")
    answers = asyncio.run(calls.handle("llm_query_batched",
                                       {"prompts": ["short", huge], "model": None}))
    assert answers[0] == "answer" and "refused: this call's prompt is" in answers[1]
    with pytest.raises(SubCallRefused, match="rlm_query refused: this call's prompt"):
        asyncio.run(calls.handle("rlm_query", {"prompt": huge, "context": None}))
    assert run.pool.client.prompts == ["short"]


def test_a_child_context_slice_is_deleted_when_the_child_ends(tmp_path: Path) -> None:
    calls, run = make(tmp_path)
    for text in ("first slice", "second slice"):
        answer = asyncio.run(calls.handle("rlm_query", {"prompt": "q", "context": text}))
        assert answer == text
    assert [exists for _, exists in run.seen] == [True, True]
    assert not any(path.exists() or path.parent.exists() for path, _ in run.seen)
    assert list(tmp_path.iterdir()) == [] and run.budget.slice_bytes == 0


def test_slices_on_disk_at_once_are_capped_per_run_tree(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subcalls, "MAX_SLICE_DISK_BYTES", 1000)
    calls, run = make(tmp_path)

    async def main() -> tuple[str, list[Any]]:
        run.wait = asyncio.Event()
        first = asyncio.ensure_future(calls.handle("rlm_query", {"prompt": "q",
                                                                 "context": "a" * 600}))
        while not run.seen:
            await asyncio.sleep(0.01)
        second = await asyncio.gather(
            calls.handle("rlm_query", {"prompt": "q", "context": "b" * 600}),
            calls.handle("rlm_query", {"prompt": "q", "context": "c" * 5000}),
            return_exceptions=True)
        run.wait.set()
        return await first, second

    first, (second, huge) = asyncio.run(main())
    assert first == "a" * 600
    assert isinstance(second, SubCallRefused)
    assert str(second).startswith("rlm_query refused: helpers' contexts on disk take ")
    assert str(second).endswith("pass a smaller slice, or wait for other rlm_query calls "
                                "to finish")
    assert isinstance(huge, SubCallRefused)
    # Refused calls end their sub-call row; the one that ran leaves no file behind.
    finished = [e for e in run.events if isinstance(e, ev.SubCallFinished)]
    assert sorted(bool(e.error) for e in finished) == [False, True, True]
    assert list(tmp_path.iterdir()) == [] and run.budget.slice_bytes == 0
    # Once the first child ended, a slice of the same size fits again.
    assert asyncio.run(calls.handle("rlm_query", {"prompt": "q", "context": "d" * 600})) \
        == "d" * 600


def test_every_repl_of_a_run_tree_counts_call_bytes_together(tmp_path: Path) -> None:
    budget = RunBudget(Limits())
    context = PreparedContext(tmp_path / "c.txt", tmp_path / "d.json", 0, [])
    root = RLMRun(run_id="r", question="q", context=context, pool=FakePool(),  # type: ignore[arg-type]
                  budget=budget, emit=lambda e: None, workdir=tmp_path)
    child = root.spawn_child(run_id="r.1", question="q", context=context, parent_call_id="r:1")
    assert root.new_repl().call_bytes is budget.call_bytes
    assert child.new_repl().call_bytes is budget.call_bytes
