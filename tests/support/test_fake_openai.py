"""Tests of the fake OpenAI server, driven through the real openai client."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import openai
import pytest

from tests.support.fake_openai import (
    ChatRequest,
    FakeOpenAI,
    Reply,
    by_model,
    echo,
    sequence,
)

USER_HI: Any = [{"role": "user", "content": "hi"}]  # Any: the SDK wants TypedDicts


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def make_client(server: FakeOpenAI, timeout: float = 5.0) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0,
                         timeout=timeout)


@pytest.fixture
def client(fake: FakeOpenAI) -> Iterator[openai.OpenAI]:
    with make_client(fake) as c:
        yield c


def raw_request(server: FakeOpenAI, method: str, path: str,
                body: bytes | None = None) -> tuple[int, dict]:
    """One plain HTTP request, bypassing the openai client."""
    port = urlsplit(server.base_url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, body=body,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_completion_with_usage(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.set_script(lambda request: Reply(content="hello there", cached_tokens=3, cost=0.0012))
    messages: Any = [{"role": "system", "content": "be brief"},  # 8 chars
                {"role": "user", "content": "say hello"}]  # 9 chars -> ceil(17 / 4) = 5
    result = client.chat.completions.create(model="fake-root", messages=messages)

    assert result.object == "chat.completion"
    assert result.model == "fake-root"
    choice = result.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "hello there"
    assert choice.finish_reason == "stop"
    usage = result.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (5, 3, 8)
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 3
    assert usage.model_extra == {"cost": 0.0012}

    [request] = fake.requests
    assert request.index == 0
    assert request.model == "fake-root"
    assert request.system == "be brief"
    assert request.last_user == "say hello"
    assert request.assistant_turns == 0
    assert request.headers["authorization"] == "Bearer test"
    assert request.body["messages"] == messages


def test_usage_overrides_and_default_echo(client: openai.OpenAI, fake: FakeOpenAI) -> None:
    result = client.chat.completions.create(model="m", messages=USER_HI)
    assert result.choices[0].message.content == "hi"  # default script is echo
    assert result.usage is not None
    assert result.usage.prompt_tokens_details is None
    assert result.usage.model_extra == {}

    fake.set_script(lambda request: Reply(content="", prompt_tokens=100, completion_tokens=7,
                                          finish_reason="length"))
    result = client.chat.completions.create(model="m", messages=USER_HI)
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (100, 7)
    assert result.choices[0].finish_reason == "length"


def test_sequence_follows_assistant_turns(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.set_script(sequence("first", Reply(content="second"), "last"))

    def turn(assistant_count: int) -> str | None:
        messages: list = [{"role": "system", "content": "s"}, *USER_HI]
        for _ in range(assistant_count):
            messages += [{"role": "assistant", "content": "a"}, {"role": "user", "content": "u"}]
        result = client.chat.completions.create(model="m", messages=messages)
        return result.choices[0].message.content

    assert [turn(0), turn(1), turn(2), turn(5), turn(0)] == [
        "first", "second", "last", "last", "first"]


def test_by_model_routes_and_unknown_is_not_found(fake: FakeOpenAI,
                                                  client: openai.OpenAI) -> None:
    fake.set_script(by_model({
        "fake-root": "from root",
        "fake-sub": echo,
        "fake-reply": Reply(content="a reply"),
    }))

    def ask(model: str) -> str | None:
        return client.chat.completions.create(model=model, messages=USER_HI) \
            .choices[0].message.content

    assert [ask("fake-root"), ask("fake-sub"), ask("fake-reply")] == ["from root", "hi", "a reply"]
    with pytest.raises(openai.NotFoundError) as info:
        ask("gpt-missing")
    assert "The model `gpt-missing` does not exist" in info.value.message
    assert info.value.code == "model_not_found"

    fake.set_script(by_model({"fake-root": "root"}, default="fallback"))
    assert ask("anything") == "fallback"


@pytest.mark.parametrize(("fault", "error", "code"), [
    ("429", openai.RateLimitError, "rate_limit_exceeded"),
    ("500", openai.InternalServerError, None),
    ("401", openai.AuthenticationError, "invalid_api_key"),
    ("404", openai.NotFoundError, "model_not_found"),
    ("400_context", openai.BadRequestError, "context_length_exceeded"),
])
def test_http_faults_map_to_openai_errors(fake: FakeOpenAI, client: openai.OpenAI, fault: str,
                                          error: type[openai.APIStatusError],
                                          code: str | None) -> None:
    fake.push_faults(Reply(fault=fault))
    with pytest.raises(error) as info:
        client.chat.completions.create(model="m", messages=USER_HI)
    assert info.value.code == code
    # The fault is consumed; the script answers the next request on the same client.
    assert client.chat.completions.create(model="m", messages=USER_HI) \
        .choices[0].message.content == "hi"


def test_rate_limit_sends_retry_after(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.push_faults(Reply(fault="429", retry_after=0.1), Reply(fault="500", retry_after=2))
    with pytest.raises(openai.RateLimitError) as rate_limited:
        client.chat.completions.create(model="m", messages=USER_HI)
    assert rate_limited.value.response.headers["retry-after"] == "0.1"
    with pytest.raises(openai.InternalServerError) as server_error:
        client.chat.completions.create(model="m", messages=USER_HI)
    assert server_error.value.response.headers["retry-after"] == "2"


def test_context_length_message(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.push_faults(Reply(fault="400_context"))
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="m", messages=USER_HI)
    assert "maximum context length is" in info.value.message


def test_push_faults_is_fifo_before_script(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.set_script(lambda request: "ok")
    fake.push_faults(Reply(fault="429"), Reply(content="queued"))
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="m", messages=USER_HI)
    contents = [client.chat.completions.create(model="m", messages=USER_HI)
                .choices[0].message.content for _ in range(2)]
    assert contents == ["queued", "ok"]
    assert [request.index for request in fake.requests] == [0, 1, 2]


def test_malformed_body_raises_json_decode_error(fake: FakeOpenAI,
                                                 client: openai.OpenAI) -> None:
    # openai 3.x calls response.json() on a 200 application/json body and lets the
    # json.JSONDecodeError (a ValueError) escape unwrapped: it is not an openai.APIError.
    fake.push_faults(Reply(fault="malformed"))
    with pytest.raises(json.JSONDecodeError):
        client.chat.completions.create(model="m", messages=USER_HI)


def test_drop_is_connection_error(fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.push_faults(Reply(fault="drop"))
    with pytest.raises(openai.APIConnectionError):
        client.chat.completions.create(model="m", messages=USER_HI)
    assert client.chat.completions.create(model="m", messages=USER_HI) \
        .choices[0].message.content == "hi"


def test_hang_times_out_and_stop_is_quick() -> None:
    server = FakeOpenAI(hang_seconds=30).start()
    try:
        server.push_faults(Reply(fault="hang"), Reply(fault="hang"))
        # A second hang stays in flight while stop() runs.
        background = threading.Thread(target=_swallow_errors(
            lambda: make_client(server, timeout=10).chat.completions.create(
                model="m", messages=USER_HI)), daemon=True)
        background.start()
        with make_client(server, timeout=0.5) as client, \
                pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(model="m", messages=USER_HI)
    finally:
        started = time.monotonic()
        server.stop()
        stopped_in = time.monotonic() - started
    assert stopped_in < 1.0
    background.join(timeout=2)
    assert not background.is_alive()


def _swallow_errors(call: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            call()
        except openai.APIError:
            pass
    return run


def test_script_exception_is_internal_server_error(fake: FakeOpenAI,
                                                   client: openai.OpenAI) -> None:
    def broken(request: ChatRequest) -> str:
        raise KeyError("no such answer")

    fake.set_script(broken)
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="m", messages=USER_HI)
    assert "KeyError" in info.value.message
    assert "no such answer" in info.value.message


def test_latency_is_honoured() -> None:
    with FakeOpenAI(latency=0.2) as server, make_client(server) as client:
        started = time.monotonic()
        client.chat.completions.create(model="m", messages=USER_HI)
        assert time.monotonic() - started >= 0.2

        server.set_script(lambda request: Reply(content="slow", latency=0.3))
        started = time.monotonic()
        client.chat.completions.create(model="m", messages=USER_HI)
        assert time.monotonic() - started >= 0.3

        server.set_script(lambda request: Reply(content="fast", latency=0))
        started = time.monotonic()
        client.chat.completions.create(model="m", messages=USER_HI)
        assert time.monotonic() - started < 0.2


def test_concurrent_requests_overlap() -> None:
    async def run(server: FakeOpenAI) -> list[str]:
        async with openai.AsyncOpenAI(base_url=server.base_url, api_key="test",
                                      max_retries=0, timeout=10) as client:
            results = await asyncio.gather(*(
                client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": f"q{i}"}])
                for i in range(50)))
        return [result.choices[0].message.content or "" for result in results]

    with FakeOpenAI(latency=0.2) as server:
        started = time.monotonic()
        contents = asyncio.run(run(server))
        elapsed = time.monotonic() - started
    assert sorted(contents) == sorted(f"q{i}" for i in range(50))
    assert elapsed < 3.0  # serial would take 10 s
    assert server.max_concurrent > 10
    assert sorted(request.index for request in server.requests) == list(range(50))


def test_limit_in_flight_answers_429_above_the_limit() -> None:
    async def run(server: FakeOpenAI) -> list[str]:
        async with openai.AsyncOpenAI(base_url=server.base_url, api_key="test",
                                      max_retries=0, timeout=10) as client:
            async def one(i: int) -> str:
                try:
                    await client.chat.completions.create(
                        model="m", messages=[{"role": "user", "content": f"q{i}"}])
                except openai.RateLimitError as exc:
                    return exc.response.headers.get("retry-after", "")
                return "ok"
            return list(await asyncio.gather(*(one(i) for i in range(20))))

    with FakeOpenAI(latency=1.0) as server:
        server.limit_in_flight(5, retry_after=2)
        outcomes = asyncio.run(run(server))
        limited = server.rate_limited
        server.limit_in_flight(None)
        assert make_client(server).chat.completions.create(model="m", messages=USER_HI)
    assert outcomes.count("ok") == 5 and outcomes.count("2") == 15 == limited
    assert server.max_concurrent == 5


def test_models_listing() -> None:
    with FakeOpenAI() as server, make_client(server) as client:
        assert [model.id for model in client.models.list()] == ["fake-root", "fake-sub"]
    with FakeOpenAI(models=["a", "b", "c"]) as server, make_client(server) as client:
        assert [model.id for model in client.models.list()] == ["a", "b", "c"]


def test_path_without_v1_prefix(fake: FakeOpenAI) -> None:
    base_without_v1 = fake.base_url.removesuffix("/v1")
    with openai.OpenAI(base_url=base_without_v1, api_key="test", max_retries=0) as client:
        result = client.chat.completions.create(model="m", messages=USER_HI)
    assert result.choices[0].message.content == "hi"


def test_streaming_is_refused(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="m", messages=USER_HI, stream=True)
    assert "Streaming is not supported" in info.value.message


def test_invalid_json_and_unknown_path(fake: FakeOpenAI) -> None:
    status, body = raw_request(fake, "POST", "/v1/chat/completions", b"{not json")
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    status, body = raw_request(fake, "GET", "/v1/nowhere")
    assert status == 404
    assert "message" in body["error"]
    assert fake.requests == []


def test_keep_alive_serves_several_requests_per_connection(fake: FakeOpenAI) -> None:
    port = urlsplit(fake.base_url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    payload = json.dumps({"model": "m", "messages": USER_HI}).encode()
    try:
        for _ in range(3):
            connection.request("POST", "/v1/chat/completions", body=payload,
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 200
            assert json.loads(response.read())["choices"][0]["message"]["content"] == "hi"
        local_port = connection.sock.getsockname()[1]
        connection.request("GET", "/v1/models")
        connection.getresponse().read()
        assert connection.sock.getsockname()[1] == local_port  # same socket reused
    finally:
        connection.close()


def test_stop_with_idle_keep_alive_connection_is_quick() -> None:
    server = FakeOpenAI().start()
    client = make_client(server)
    client.chat.completions.create(model="m", messages=USER_HI)  # leaves a pooled connection
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0
    client.close()
    server.stop()  # stopping twice is harmless


def test_unknown_fault_is_rejected() -> None:
    with pytest.raises(ValueError):
        Reply(fault="teapot")


def test_metadata_routes_and_model_fields(fake: FakeOpenAI) -> None:
    fake.model_fields["fake-root"] = {"max_model_len": 2048}
    fake.routes["/props"] = {"n_ctx": 2048}
    fake.routes["/api/show"] = lambda body: {"echo": body.get("model")} \
        if body.get("model") == "known" else None
    status, listing = raw_request(fake, "GET", "/v1/models")
    assert status == 200 and listing["data"][0]["max_model_len"] == 2048
    assert "max_model_len" not in listing["data"][1]
    assert raw_request(fake, "GET", "/props") == (200, {"n_ctx": 2048})
    assert raw_request(fake, "POST", "/api/show", b'{"model": "known"}') == \
        (200, {"echo": "known"})
    assert raw_request(fake, "POST", "/api/show", b'{"model": "other"}')[0] == 404


def test_a_prompt_over_the_context_limit_is_refused_as_llama_cpp_does(
        fake: FakeOpenAI, client: openai.OpenAI) -> None:
    fake.context_limit = 10
    assert client.chat.completions.create(model="m", messages=USER_HI).choices
    long: Any = [{"role": "user", "content": "x" * 400}]
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="m", messages=long)
    assert "exceeds the available context size (10 tokens)" in info.value.message
    assert fake.refused_as_too_long == 1
