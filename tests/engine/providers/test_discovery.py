"""Finding local model servers: concurrent probes with a short timeout, and model lists."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from engine.errors import ProviderError
from engine.providers.discovery import (
    DEFAULT_CANDIDATES,
    Candidate,
    discover,
    list_models,
    model_ids,
)
from tests.support.fake_openai import FakeOpenAI


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections on 127.0.0.1 and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_model_lists_in_the_forms_servers_send() -> None:
    assert model_ids({"data": [{"id": "b"}, {"id": "a"}, {"id": "a"}]}) == ["a", "b"]
    assert model_ids({"models": [{"name": "qwen3:8b"}, {"model": "llama3"}]}) == \
        ["llama3", "qwen3:8b"]
    assert model_ids({"data": ["x"]}) == ["x"]
    with pytest.raises(ValueError):
        model_ids({"object": "list"})
    with pytest.raises(ValueError):
        model_ids(["a"])


def test_the_default_candidates_are_the_usual_local_servers() -> None:
    ports = [c.base_url.rsplit(":", 1)[1] for c in DEFAULT_CANDIDATES]
    assert ports == ["11434/v1", "1234/v1", "8080/v1", "8000/v1"]
    assert all(c.base_url.startswith("http://127.0.0.1:") for c in DEFAULT_CANDIDATES)


def test_probes_run_at_once_and_a_silent_server_costs_one_timeout(silent_server: str) -> None:
    with FakeOpenAI(models=["m1", "m2"]) as server:
        candidates = [Candidate("fake", server.base_url),
                      Candidate("closed", f"http://127.0.0.1:{closed_port()}/v1"),
                      Candidate("silent-1", silent_server), Candidate("silent-2", silent_server),
                      Candidate("not-openai", server.base_url + "/nothing-here")]
        started = time.monotonic()
        found = asyncio.run(discover(candidates, timeout=0.5))
        took = time.monotonic() - started
    assert took < 1.5                      # concurrent: not 2 x 0.5 s plus the rest
    assert [f["name"] for f in found] == [c.name for c in candidates]
    assert found[0]["reachable"] and found[0]["models"] == ["m1", "m2"]
    assert not found[1]["reachable"] and "nothing answered" in found[1]["error"]
    assert not found[2]["reachable"] and "did not answer within 0.5 s" in found[2]["error"]
    assert found[4]["reachable"] and "404" in found[4]["error"]


def test_list_models_says_what_is_wrong() -> None:
    with FakeOpenAI(models=["a"]) as server:
        assert asyncio.run(list_models(server.base_url, "key")) == ["a"]
        with pytest.raises(ProviderError, match="usually ends in /v1"):
            asyncio.run(list_models(server.base_url + "/wrong"))
    with pytest.raises(ProviderError, match="start the server"):
        asyncio.run(list_models(f"http://127.0.0.1:{closed_port()}/v1"))


def test_list_models_errors_never_carry_credentials() -> None:
    with pytest.raises(ProviderError) as info:
        asyncio.run(list_models(f"http://user:hunter2@127.0.0.1:{closed_port()}/v1?key=sekrit"))
    assert "hunter2" not in str(info.value) and "sekrit" not in str(info.value)
