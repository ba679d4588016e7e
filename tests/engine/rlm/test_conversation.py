"""Persistent sessions: follow-ups keep the REPL's variables and the history; cancel and
lost REPLs are handled; each question has its own budget."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from engine import events as ev
from engine.config import Limits
from engine.context_format import PreparedContext
from engine.endpoints import Endpoint
from engine.providers.prices import PriceTable
from engine.rlm.conversation import Conversation, ConversationBusy, ConversationClosed
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply
from tests.support.harness import repl


def prepared(tmp_path: Path) -> PreparedContext:
    context_path = tmp_path / "context.txt"
    context_path.write_text("the secret code is 7319")
    documents_path = tmp_path / "documents.json"
    documents_path.write_text(json.dumps([]))
    return PreparedContext(context_path, documents_path, 23, [])


def conversation(server: FakeOpenAI, tmp_path: Path, **limits: Any) -> Conversation:
    return Conversation(conversation_id="t", context=prepared(tmp_path),
                        root=Endpoint("fake-root", server.base_url),
                        sub=Endpoint("fake-sub", server.base_url), prices=PriceTable(),
                        limits=Limits(**limits))


def script(request: ChatRequest) -> Reply | str:
    text = request.last_user
    if "Follow-up question: slow" in text:
        return repl("import time\ntime.sleep(60)")
    if "Follow-up question: think" in text:
        return Reply(content="thinking", latency=60)
    if "variables you set earlier are gone" in text:
        return repl("FINAL('lost, secret defined: ' + str('secret' in globals()))")
    if "Follow-up question: loop" in text or "[Iteration" in text:
        return repl("print('again')")
    if "Follow-up question:" in text:
        return repl("FINAL(str(secret + 1))")
    return repl("secret = int(context.split()[-1])\nFINAL('set')")


def test_a_follow_up_uses_the_same_repl_and_history(tmp_path: Path) -> None:
    async def main(server: FakeOpenAI) -> tuple[Any, Any, Conversation]:
        chat = conversation(server, tmp_path)
        try:
            first = await chat.ask("What is the code?", lambda e: None)
            second = await chat.ask("And plus one?", lambda e: None)
            return first, second, chat
        finally:
            await chat.close()

    with FakeOpenAI(script) as server:
        first, second, chat = asyncio.run(main(server))
        follow = server.requests[-1]
    assert first.answer == "set" and second.answer == "7320"
    assert first.sandbox["pid"] == second.sandbox["pid"]
    assert first.run_id != second.run_id and chat.questions == 2
    # The follow-up turn says what it is, and the earlier question and answer are kept.
    assert follow.messages[1]["content"].startswith("Question: What is the code?")
    assert "still holds" in follow.last_user and "set" in follow.last_user
    assert chat.repl is None and chat.closed


def test_cancel_during_a_follow_up_stops_within_two_seconds_and_the_next_is_told(
        tmp_path: Path) -> None:
    events: list[ev.Event] = []

    async def main(server: FakeOpenAI) -> tuple[Any, float, Any]:
        chat = conversation(server, tmp_path)
        try:
            await chat.ask("What is the code?", events.append)
            cancel = asyncio.Event()
            task = asyncio.ensure_future(chat.ask("slow", events.append, cancel))
            while not any(isinstance(e, ev.CellStarted) and "sleep" in e.code for e in events):
                await asyncio.sleep(0.02)
            started = time.monotonic()
            cancel.set()
            stopped = await asyncio.wait_for(task, timeout=5)
            took = time.monotonic() - started
            after = await chat.ask("anything left?", events.append)
            return stopped, took, after
        finally:
            await chat.close()

    with FakeOpenAI(script) as server:
        stopped, took, after = asyncio.run(main(server))
    assert stopped.stop_reason == "cancelled" and took < 2.0
    assert after.answer == "lost, secret defined: False"


def test_cancel_while_the_model_thinks_keeps_the_repl(tmp_path: Path) -> None:
    async def main(server: FakeOpenAI) -> tuple[Any, float, Any, Any]:
        chat = conversation(server, tmp_path)
        try:
            first = await chat.ask("What is the code?", lambda e: None)
            cancel = asyncio.Event()
            task = asyncio.ensure_future(chat.ask("think", lambda e: None, cancel))
            await asyncio.sleep(0.5)
            started = time.monotonic()
            cancel.set()
            stopped = await asyncio.wait_for(task, timeout=5)
            took = time.monotonic() - started
            after = await chat.ask("plus one", lambda e: None)
            return first, took, stopped, after
        finally:
            await chat.close()

    with FakeOpenAI(script) as server:
        first, took, stopped, after = asyncio.run(main(server))
    assert stopped.stop_reason == "cancelled" and took < 2.0
    assert after.answer == "7320" and after.sandbox["pid"] == first.sandbox["pid"]


def test_each_question_has_its_own_iteration_budget(tmp_path: Path) -> None:
    async def main(server: FakeOpenAI) -> list[Any]:
        chat = conversation(server, tmp_path, max_iterations=2)
        try:
            return [await chat.ask("What is the code?", lambda e: None),
                    await chat.ask("loop", lambda e: None),
                    await chat.ask("plus one", lambda e: None)]
        finally:
            await chat.close()

    with FakeOpenAI(script) as server:
        first, looping, last = asyncio.run(main(server))
    assert first.answer == "set"
    assert looping.stop_reason == "max_iterations" and looping.iterations == 2
    assert last.stop_reason == "answered" and last.answer == "7320"


def test_a_freed_repl_is_replaced_and_busy_or_closed_conversations_refuse(
        tmp_path: Path) -> None:
    async def main(server: FakeOpenAI) -> Any:
        chat = conversation(server, tmp_path)
        await chat.ask("What is the code?", lambda e: None)
        await chat.drop_repl()
        after = await chat.ask("again", lambda e: None)
        chat.busy = True
        with pytest.raises(ConversationBusy):
            await chat.ask("x", lambda e: None)
        chat.busy = False
        await chat.close()
        with pytest.raises(ConversationClosed):
            await chat.ask("x", lambda e: None)
        return after

    with FakeOpenAI(script) as server:
        after = asyncio.run(main(server))
    assert after.answer == "lost, secret defined: False"
