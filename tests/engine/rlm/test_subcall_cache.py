"""Identical sub-calls are made once: within a run tree, across a follow-up, and when asked at
the same time; failures are not kept; the event says "cached" and the cost counts nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from engine import events as ev
from engine.config import Limits
from engine.context_format import PreparedContext
from engine.endpoints import Endpoint
from engine.providers.client import Completion
from engine.providers.prices import Price, PriceTable
from engine.rlm.conversation import Conversation
from engine.rlm.session import RunSpec, run_question
from engine.rlm.subcall_cache import SubCallCache, cache_key
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply
from tests.support.harness import repl

PRICES = PriceTable({"fake-root": Price(input=1.0, output=2.0),
                     "fake-sub": Price(input=0.5, output=1.0)})


def completion(text: str) -> Completion:
    return Completion(text=text, model="m", prompt_tokens=1, completion_tokens=1,
                      cached_tokens=0, cost_usd=0.001, latency_s=0.0, finish_reason="stop",
                      attempts=1)


# --- the cache itself -----------------------------------------------------------

def test_the_key_covers_endpoint_model_messages_and_parameters() -> None:
    messages = [{"role": "user", "content": "q"}]
    key = cache_key("http://a/v1", "m", messages)
    assert key == cache_key("http://a/v1", "m", [{"content": "q", "role": "user"}])
    assert key == cache_key("http://a/v1", "m", messages, max_tokens=None)
    others = {cache_key("http://b/v1", "m", messages), cache_key("http://a/v1", "n", messages),
              cache_key("http://a/v1", "m", [{"role": "user", "content": "q2"}]),
              cache_key("http://a/v1", "m", messages, max_tokens=50)}
    assert key not in others and len(others) == 4


def test_identical_calls_at_the_same_time_are_made_once() -> None:
    made: list[str] = []

    async def make() -> Completion:
        made.append("call")
        await asyncio.sleep(0.05)
        return completion("answer")

    async def main() -> list[tuple[Completion, bool]]:
        cache = SubCallCache()
        return list(await asyncio.gather(*(cache.fetch("k", make) for _ in range(5))))

    results = asyncio.run(main())
    assert made == ["call"]
    assert [cached for _, cached in results] == [False, True, True, True, True]
    assert {answer.text for answer, _ in results} == {"answer"}


def test_a_failed_call_is_not_kept_and_its_waiters_share_the_failure() -> None:
    attempts: list[int] = []

    async def make() -> Completion:
        attempts.append(1)
        await asyncio.sleep(0.02)
        if len(attempts) == 1:
            raise RuntimeError("the service failed")
        return completion("second time lucky")

    async def main() -> tuple[list[Any], tuple[Completion, bool], int]:
        cache = SubCallCache()
        first = await asyncio.gather(cache.fetch("k", make), cache.fetch("k", make),
                                     return_exceptions=True)
        again = await cache.fetch("k", make)
        return first, again, len(cache)

    first, again, size = asyncio.run(main())
    assert all(isinstance(result, RuntimeError) for result in first)
    assert again[0].text == "second time lucky" and again[1] is False
    assert len(attempts) == 2 and size == 1


def test_a_waiter_whose_owner_was_cancelled_makes_the_call_itself() -> None:
    async def main() -> tuple[Completion, bool]:
        cache = SubCallCache()

        async def slow() -> Completion:
            await asyncio.sleep(10)
            return completion("never")

        async def quick() -> Completion:
            return completion("own answer")

        owner = asyncio.ensure_future(cache.fetch("k", slow))
        await asyncio.sleep(0.01)
        waiter = asyncio.ensure_future(cache.fetch("k", quick))
        await asyncio.sleep(0.01)
        owner.cancel()
        return await waiter

    answer, cached = asyncio.run(main())
    assert (answer.text, cached) == ("own answer", False)


def test_a_batch_stopped_as_a_whole_makes_no_new_call() -> None:
    """Owner and waiter cancelled together (a batch torn down): the waiter must not take
    over and send the question itself."""
    made: list[str] = []

    async def main() -> list[Any]:
        cache = SubCallCache()

        async def slow() -> Completion:
            made.append("call")
            await asyncio.sleep(10)
            return completion("never")

        tasks = [asyncio.ensure_future(cache.fetch("k", slow)) for _ in range(3)]
        await asyncio.sleep(0.01)
        for task in tasks:
            task.cancel()
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    outcomes = asyncio.run(main())
    assert made == ["call"]
    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)


def test_memory_is_bounded_and_the_least_recently_used_goes_first() -> None:
    cache = SubCallCache(max_entries=2, max_chars=10)
    cache.put("a", completion("aaaa"))
    cache.put("b", completion("bbbb"))
    assert cache.get("a") is not None      # "a" is now the most recently used
    cache.put("c", completion("cccc"))
    assert cache.get("b") is None and cache.get("a") is not None and len(cache) == 2
    cache.put("d", completion("d" * 9))    # 4 + 9 characters > 10: "a" and "c" go
    assert len(cache) == 1 and cache.get("d") is not None
    cache.put("huge", completion("x" * 11))
    assert cache.get("huge") is None and cache.get("d") is not None


# --- in runs ----------------------------------------------------------------------

def spec(server: FakeOpenAI, tmp_path: Path, **limits: Any) -> RunSpec:
    # The scripts answer in their first reply: no held-back FINAL to confirm (that has its
    # own tests), so each helper question here is asked as the script says.
    limits = {"confirm_early_answers": False, **limits}
    return RunSpec(question="q", context="the text", documents=[],
                   root=Endpoint("fake-root", server.base_url),
                   sub=Endpoint("fake-sub", server.base_url), limits=Limits(**limits),
                   prices=PRICES)


def sub_requests(server: FakeOpenAI) -> list[str]:
    return [r.last_user for r in server.requests if r.model == "fake-sub"]


def test_a_run_tree_asks_each_identical_question_once(tmp_path: Path) -> None:
    """The root's batch repeats a prompt, a later cell asks it again, and a child run asks
    it too: one request; the others are answered from the cache, "cached" and free."""
    def script(request: ChatRequest) -> Reply | str:
        text = request.last_user
        if request.model == "fake-root":
            if request.assistant_turns == 0:
                return repl("a = llm_query_batched(['same', 'same', 'other'])\n"
                            "b = llm_query('same')\nc = rlm_query('go')\nprint(a, b, c)")
            return repl("FINAL('done')")
        if request.system:   # the child run's own model (the helper model, with a prompt)
            return repl("FINAL(llm_query('same'))")
        return Reply(content=f"answer to {text}", latency=0.05)

    events: list[ev.Event] = []
    with FakeOpenAI(script) as server:
        result = asyncio.run(run_question(spec(server, tmp_path), events.append))
        asked = sub_requests(server)
    assert result.stop_reason == "answered"
    assert sorted(p for p in asked if p in ("same", "other")) == ["other", "same"]
    finished = [e for e in events if isinstance(e, ev.SubCallFinished) and e.kind == "llm_query"]
    assert [e.response_preview for e in finished].count("answer to same") == 4
    cached = [e for e in finished if e.cached]
    assert len(cached) == 3 and any(e.depth == 1 for e in cached)
    assert all((e.prompt_tokens, e.completion_tokens, e.cost_usd) == (0, 0, 0.0)
               for e in cached)
    # The cost meter counts the requests made, not the answers repeated: every model call
    # but the cached ones is in the totals.
    totals = [e for e in events if isinstance(e, ev.UsageTotals)][-1]
    assert totals.calls == len(server.requests)
    made = [e for e in finished if not e.cached] + \
        [e for e in events if isinstance(e, ev.ModelResponse)]
    assert totals.known_cost_usd == pytest.approx(sum(e.cost_usd or 0 for e in made))
    assert result.usage["calls"] == totals.calls


def test_cached_answers_still_count_toward_the_helper_question_limit(tmp_path: Path) -> None:
    """A loop asking the same question again is free but still runaway code: the limit on
    helper questions stops it."""
    def script(request: ChatRequest) -> Reply | str:
        if request.model == "fake-sub":
            return "same answer"
        if request.assistant_turns == 0:
            return repl("for i in range(5):\n    llm_query('same')\nFINAL('looped')")
        return "no more code"

    events: list[ev.Event] = []
    with FakeOpenAI(script) as server:
        result = asyncio.run(run_question(spec(server, tmp_path, max_sub_calls=3),
                                          events.append))
        asked = sub_requests(server)
    assert result.stop_reason == "max_sub_calls"
    assert asked == ["same"]
    finished = [e for e in events if isinstance(e, ev.SubCallFinished)]
    assert [e.cached for e in finished] == [False, True, True]


def test_a_follow_up_reuses_the_answers_of_the_first_question(tmp_path: Path) -> None:
    context_path = tmp_path / "context.txt"
    context_path.write_text("the text")
    documents_path = tmp_path / "documents.json"
    documents_path.write_text(json.dumps([]))
    prepared = PreparedContext(context_path, documents_path, 8, [])

    def script(request: ChatRequest) -> Reply | str:
        if request.model == "fake-sub":
            return f"summary of {request.last_user}"
        if request.assistant_turns == 0 or "Follow-up question" in request.last_user:
            return repl("s = llm_query_batched(['chunk 1', 'chunk 2'])\nFINAL(' / '.join(s))")
        return repl("FINAL('?')")

    async def main(server: FakeOpenAI) -> tuple[Any, Any, list[ev.Event]]:
        chat = Conversation(conversation_id="c", context=prepared,
                            root=Endpoint("fake-root", server.base_url),
                            sub=Endpoint("fake-sub", server.base_url), prices=PRICES,
                            limits=Limits(confirm_early_answers=False))
        second_events: list[ev.Event] = []
        try:
            first = await chat.ask("Summarise", lambda e: None)
            second = await chat.ask("Summarise again", second_events.append)
        finally:
            await chat.close()
        return first, second, second_events

    with FakeOpenAI(script) as server:
        first, second, events = asyncio.run(main(server))
        asked = sub_requests(server)
    assert first.answer == second.answer == "summary of chunk 1 / summary of chunk 2"
    assert sorted(asked) == ["chunk 1", "chunk 2"]
    finished = [e for e in events if isinstance(e, ev.SubCallFinished)]
    assert len(finished) == 2 and all(e.cached and e.cost_usd == 0.0 for e in finished)
    assert second.usage["calls"] == 1   # the follow-up paid for its main model's reply only


def test_a_failed_sub_call_is_asked_again(tmp_path: Path) -> None:
    sub_calls = {"n": 0}

    def script(request: ChatRequest) -> Reply | str:
        if request.model == "fake-sub":
            sub_calls["n"] += 1
            return Reply(fault="500") if sub_calls["n"] == 1 else f"fine: {request.last_user}"
        if request.assistant_turns == 0:
            return repl("a = llm_query_batched(['q'])\nb = llm_query('q')\n"
                        "FINAL(a[0][:16] + ' | ' + b)")
        return repl("FINAL('?')")

    events: list[ev.Event] = []
    with FakeOpenAI(script) as server:
        result = asyncio.run(run_question(spec(server, tmp_path, max_retries=0),
                                          events.append))
        asked = sub_requests(server)
    finished = [e for e in events if isinstance(e, ev.SubCallFinished)]
    assert result.answer == "[llm_query error | fine: q"
    assert asked == ["q", "q"]
    assert [(e.cached, bool(e.error)) for e in finished] == [(False, True), (False, False)]
