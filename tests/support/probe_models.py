"""Scripted models for the model check: one per outcome, for the fake OpenAI server."""

from __future__ import annotations

import re

from engine.providers.connection import TEST_PROMPT
from tests.support.fake_openai import ChatRequest, Reply, Script

_WORD = re.compile(r"code word for this test is (\S+?)\.")


def _connection_ok(script: Script) -> Script:
    """The connection test's one tiny call gets "OK" at once; the rest goes to ``script``."""
    def answer(request: ChatRequest) -> Reply | str:
        if request.last_user == TEST_PROMPT:
            return "OK"
        return script(request)
    return answer


def driving() -> Script:
    """Looks with code, then ends with FINAL and the word it printed."""
    def answer(request: ChatRequest) -> str:
        found = _WORD.search(request.last_user)
        if found:
            return f'Found it.\n```repl\nFINAL("{found.group(1)}")\n```'
        return "Let me look.\n```repl\nprint(context)\n```"
    return _connection_ok(answer)


def chatting() -> Script:
    """Answers in words and never writes code (as many small chat models do)."""
    return _connection_ok(lambda r: "The code word is probably 'banana'. I hope this helps!")


def looping() -> Script:
    """Writes code unrelated to the question, every time, and never ends."""
    return _connection_ok(lambda r: "```repl\nfor i in range(3):\n    print(i * i)\n```")


def guessing() -> Script:
    """Prints the context, then ends with the wrong word."""
    def answer(request: ChatRequest) -> str:
        if request.assistant_turns:
            return '```repl\nFINAL("banana")\n```'
        return "```repl\nprint(context)\n```"
    return _connection_ok(answer)


def silent() -> Script:
    return _connection_ok(lambda r: "")


def slow(seconds: float) -> Script:
    """Drives the analysis, but each step takes ``seconds``."""
    inner = driving()

    def answer(request: ChatRequest) -> Reply:
        text = inner(request)
        assert isinstance(text, str)
        return Reply(content=text, latency=0 if text == "OK" else seconds)
    return answer
