"""Testing a connection: one tiny call, no retries, and a precise reason when it fails."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from engine.providers import connection
from tests.support.fake_openai import FakeOpenAI, Reply, by_model


def check(base_url: str, model: str = "fake-root", **kwargs: Any) -> dict[str, Any]:
    return asyncio.run(connection.test_connection(base_url, model, **kwargs))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_working_endpoint() -> None:
    with FakeOpenAI(by_model({"fake-root": "OK"})) as server:
        result = check(server.base_url)
        request = server.requests[-1]
    assert result["ok"] is True and result["kind"] is None
    assert result["latency_s"] >= 0 and "fake-root" in result["message"]
    assert request.body["max_tokens"] == 8 and len(request.messages) == 1


@pytest.mark.parametrize(("fault", "kind", "words"), [
    ("401", "auth", "refused the API key"),
    ("404", "not_found", "was not found"),
    ("500", "other", "failed"),
])
def test_failures_are_named_without_retrying(fault: str, kind: str, words: str) -> None:
    with FakeOpenAI(lambda request: Reply(fault=fault)) as server:
        result = check(server.base_url)
        calls = len(server.requests)
    assert result["ok"] is False and result["kind"] == kind and words in result["message"]
    assert calls == 1


def test_unreachable_and_timeout() -> None:
    down = check(f"http://127.0.0.1:{closed_port()}/v1")
    assert down["kind"] == "unreachable" and "Is the server running?" in down["message"]
    with FakeOpenAI(lambda request: Reply(fault="hang")) as server:
        slow = check(server.base_url, timeout=0.5)
    assert slow["kind"] == "timeout" and "did not answer within 0.5 s" in slow["message"]


def test_a_missing_key_is_reported_before_any_call() -> None:
    result = check("https://api.openai.com/v1", "gpt-5")
    assert result["ok"] is False and result["kind"] == "auth"
    assert "No API key found for openai" in result["message"]
    assert result["latency_s"] is None


def test_messages_never_carry_credentials_from_the_address() -> None:
    url = f"http://user:hunter2@127.0.0.1:{closed_port()}/v1?key=sekrit"
    down = check(url)
    assert down["kind"] == "unreachable"
    assert "hunter2" not in down["message"] and "sekrit" not in down["message"]
    assert "http://127.0.0.1:" in down["message"]
