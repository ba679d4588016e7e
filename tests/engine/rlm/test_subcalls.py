"""SubCalls.handle answers each REPL call with the handler of its op, and refuses other ops."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from engine.rlm.subcalls import SubCalls
from engine.sandbox.calls import SubCallRefused


class CountingBudget:
    def __init__(self) -> None:
        self.taken: list[int] = []

    def take_sub_calls(self, count: int) -> None:
        self.taken.append(count)


class StubRun:
    """Just what SubCalls reads when it is made."""

    def __init__(self) -> None:
        self.budget = CountingBudget()


class RecordingSubCalls(SubCalls):
    """Keeps what each handler asked for instead of calling a model."""

    async def llm_query(self, prompt: str, model: str | None = None) -> str:
        return f"llm_query {prompt} {model}"

    async def llm_query_batched(self, prompts: list[str], model: str | None = None) -> list[str]:
        return [f"batched {p} {model}" for p in prompts]

    async def rlm_query(self, prompt: str, context: Any) -> str:
        return f"rlm_query {prompt} {context}"


def handle(op: str, args: dict[str, Any]) -> tuple[Any, list[int]]:
    calls = RecordingSubCalls(StubRun())  # type: ignore[arg-type]
    return asyncio.run(calls.handle(op, args)), calls.budget.taken  # type: ignore[attr-defined]


def test_each_op_goes_to_its_handler_and_counts_its_sub_calls() -> None:
    assert handle("llm_query", {"prompt": "p", "model": "m"}) == ("llm_query p m", [1])
    assert handle("llm_query_batched", {"prompts": ["a", "b"], "model": None}) == (
        ["batched a None", "batched b None"], [2])
    # rlm_query counts its own call (or, past the depth limit, the llm_query it becomes).
    assert handle("rlm_query", {"prompt": "p", "context": "c"}) == ("rlm_query p c", [])


def test_an_unknown_op_is_refused() -> None:
    with pytest.raises(SubCallRefused, match="unknown operation 'read_keys'"):
        handle("read_keys", {})
    with pytest.raises(SubCallRefused, match="needs a list of prompts"):
        handle("llm_query_batched", {"prompts": "abc"})
