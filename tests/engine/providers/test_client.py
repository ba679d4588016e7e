"""ModelClient through the real openai SDK against the fake server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, TypeVar

import pytest
from openai.types.chat import ChatCompletion

from engine.errors import ProviderError
from engine.providers import client as client_module
from engine.providers.client import Completion, ModelClient, retry_after_seconds
from engine.providers.prices import PriceTable
from tests.support.fake_openai import FakeOpenAI, Reply

T = TypeVar("T")
HELLO = [{"role": "user", "content": "hello"}]


def make_client(srv: FakeOpenAI, **overrides: Any) -> ModelClient:
    options: dict[str, Any] = {
        "model": "gpt-5-mini", "base_url": srv.base_url, "api_key": "sk-test",
        "prices": PriceTable.builtin(), "timeout": 2.0, "max_retries": 3,
        "backoff_base": 0.01, "backoff_max": 0.5,
    }
    options.update(overrides)
    return ModelClient(**options)


def with_client(srv: FakeOpenAI, use: Callable[[ModelClient], Awaitable[T]],
                **overrides: Any) -> T:
    """Build a client, run `use` on it in a fresh event loop, and close it."""
    async def main() -> T:
        async with make_client(srv, **overrides) as model_client:
            return await use(model_client)
    return asyncio.run(main())


def complete(srv: FakeOpenAI, **overrides: Any) -> Completion:
    return with_client(srv, lambda c: c.complete(HELLO), **overrides)


def failure(srv: FakeOpenAI, **overrides: Any) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        complete(srv, **overrides)
    return info.value


# --- success, usage and cost -------------------------------------------------

def test_success_with_usage_and_cost_from_the_price_table() -> None:
    with FakeOpenAI(lambda r: Reply(content="hi there", prompt_tokens=1000,
                                    completion_tokens=100)) as srv:
        result = complete(srv)
        request = srv.requests[0]
    assert result.text == "hi there"
    assert result.model == "gpt-5-mini"
    assert (result.prompt_tokens, result.completion_tokens, result.cached_tokens) == (1000, 100, 0)
    assert result.cost_usd == pytest.approx((1000 * 0.25 + 100 * 2.0) / 1e6)
    assert result.finish_reason == "stop"
    assert result.attempts == 1
    assert 0 < result.latency_s < 2
    # Only model and messages: reasoning models and local servers reject sampling options.
    assert set(request.body) == {"model", "messages"}
    assert request.messages == HELLO
    assert request.headers["authorization"] == "Bearer sk-test"


def test_max_tokens_is_sent_only_when_given() -> None:
    with FakeOpenAI() as srv:
        with_client(srv, lambda c: c.complete(HELLO, max_tokens=50))
        assert srv.requests[0].body["max_tokens"] == 50
        assert set(srv.requests[0].body) == {"model", "messages", "max_tokens"}


def test_openai_itself_gets_max_completion_tokens() -> None:
    # Built only, never called: no request leaves the machine.
    openai_client = ModelClient(model="gpt-5", base_url="https://api.openai.com/v1",
                                api_key="sk-x", prices=PriceTable.builtin())
    assert openai_client._max_tokens_name() == "max_completion_tokens"
    asyncio.run(openai_client.aclose())


def test_no_api_key_sends_a_placeholder() -> None:
    with FakeOpenAI() as srv:
        complete(srv, api_key=None)
        assert srv.requests[0].headers["authorization"] == "Bearer not-needed"


def test_cost_is_none_for_an_unpriced_model() -> None:
    with FakeOpenAI(lambda r: Reply(content="ok", prompt_tokens=10, completion_tokens=5)) as srv:
        result = complete(srv, model="fake-sub")
    assert result.cost_usd is None
    assert (result.prompt_tokens, result.completion_tokens) == (10, 5)


def test_openrouter_usage_cost_is_used() -> None:
    with FakeOpenAI(lambda r: Reply(content="ok", prompt_tokens=10, completion_tokens=5,
                                    cost=0.0123)) as srv:
        assert complete(srv, model="fake-sub").cost_usd == pytest.approx(0.0123)
        # Reported cost wins over the table, too: it is what the provider charged.
        assert complete(srv, model="gpt-5").cost_usd == pytest.approx(0.0123)


def test_cached_tokens_are_read_and_billed_at_the_cached_price() -> None:
    with FakeOpenAI(lambda r: Reply(content="ok", prompt_tokens=1000, completion_tokens=10,
                                    cached_tokens=400)) as srv:
        result = complete(srv, model="gpt-5")
    assert result.cached_tokens == 400
    assert result.cost_usd == pytest.approx((600 * 1.25 + 400 * 0.125 + 10 * 10.0) / 1e6)


def test_list_models() -> None:
    with FakeOpenAI(models=["zeta", "alpha", "mid"]) as srv:
        assert with_client(srv, lambda c: c.list_models()) == ["alpha", "mid", "zeta"]


# --- retried faults ----------------------------------------------------------

def test_429_honours_retry_after_then_succeeds() -> None:
    notices: list[str] = []
    with FakeOpenAI(lambda r: "ok") as srv:
        srv.push_faults(Reply(fault="429", retry_after=0.4))
        started = time.monotonic()
        result = complete(srv, on_retry=notices.append, backoff_max=5.0)
        elapsed = time.monotonic() - started
        assert len(srv.requests) == 2
    assert result.text == "ok" and result.attempts == 2
    assert 0.4 <= elapsed < 1.5
    assert len(notices) == 1
    assert "rate limited by 127.0.0.1" in notices[0]
    assert "attempt 2 of 4" in notices[0]
    assert "retrying in 0.4" in notices[0]


def test_retry_after_beyond_our_backoff_cap_is_still_honoured() -> None:
    with FakeOpenAI(lambda r: "ok") as srv:
        srv.push_faults(Reply(fault="429", retry_after=0.6))
        started = time.monotonic()
        assert complete(srv, backoff_max=0.1).text == "ok"
        assert time.monotonic() - started >= 0.6


def test_retry_after_has_an_upper_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("engine.providers.client.RETRY_AFTER_MAX", 0.2)
    with FakeOpenAI(lambda r: "ok") as srv:
        srv.push_faults(Reply(fault="429", retry_after=30))
        started = time.monotonic()
        assert complete(srv).text == "ok"
        assert time.monotonic() - started < 1.5


def test_a_trickling_server_cannot_stretch_a_call_past_its_timeout() -> None:
    with FakeOpenAI(lambda r: Reply(content="slow", latency=1.5)) as srv:
        started = time.monotonic()
        with pytest.raises(ProviderError) as raised:
            complete(srv, timeout=0.4, max_retries=0)
        assert raised.value.kind == "timeout"
        assert time.monotonic() - started < 1.2


def test_per_call_retry_callback_wins() -> None:
    own: list[str] = []
    shared: list[str] = []

    async def use(model_client: ModelClient) -> Completion:
        return await model_client.complete(HELLO, on_retry=own.append)

    with FakeOpenAI(lambda r: "ok") as srv:
        srv.push_faults(Reply(fault="500"))
        with_client(srv, use, on_retry=shared.append)
    assert len(own) == 1 and shared == []


@pytest.mark.parametrize(("fault", "notice"), [
    ("500", "server error 500"),
    ("drop", "connection to 127.0.0.1"),
    ("malformed", "unreadable response"),
])
def test_transient_fault_then_success(fault: str, notice: str) -> None:
    notices: list[str] = []
    with FakeOpenAI(lambda r: Reply(content="fine", prompt_tokens=3, completion_tokens=1)) as srv:
        srv.push_faults(Reply(fault=fault))
        result = complete(srv, on_retry=notices.append)
        assert len(srv.requests) == 2
    assert result.text == "fine"
    assert result.attempts == 2
    assert len(notices) == 1 and notice in notices[0]


def test_a_hanging_server_times_out_and_gives_up() -> None:
    notices: list[str] = []
    with FakeOpenAI(lambda r: Reply(fault="hang")) as srv:
        started = time.monotonic()
        error = failure(srv, timeout=0.5, max_retries=1, on_retry=notices.append)
        elapsed = time.monotonic() - started
        assert len(srv.requests) == 2
    assert error.kind == "timeout"
    assert error.retryable is True and error.ends_run() is False
    assert srv.base_url in str(error) and "0.5 s" in str(error)
    assert 1.0 <= elapsed < 3.0
    assert len(notices) == 1 and "no answer" in notices[0]


def test_persistent_server_errors_exhaust_the_retries() -> None:
    notices: list[str] = []
    with FakeOpenAI(lambda r: Reply(fault="500")) as srv:
        error = failure(srv, max_retries=2, on_retry=notices.append)
        assert len(srv.requests) == 3
    assert error.kind == "server"
    assert error.retryable is True and error.ends_run() is False
    assert error.status == 500
    assert "gave up after 3 attempts" in str(error)
    assert [n.split("(")[-1] for n in notices] == ["attempt 2 of 3)", "attempt 3 of 3)"]


def test_backoff_grows_exponentially_and_is_capped() -> None:
    model_client = ModelClient(model="m", base_url="http://127.0.0.1:9/v1", api_key=None,
                               prices=PriceTable(), backoff_base=1.0, backoff_max=5.0)
    delays = [model_client._retry_delay(attempt, None) for attempt in range(5)]
    for delay, base in zip(delays, [1.0, 2.0, 4.0, 5.0, 5.0], strict=True):
        assert base <= delay <= min(5.0, base * 1.1) + 1e-9
    assert model_client._retry_delay(0, 3.0) >= 3.0
    assert 300.0 <= model_client._retry_delay(0, 300.0) <= 330.0  # the server asked for it
    asyncio.run(model_client.aclose())


# --- errors raised at once ---------------------------------------------------

@pytest.mark.parametrize(("fault", "kind", "ends_run", "words"), [
    ("401", "auth", True, "rlm key set"),
    ("404", "not_found", True, "model 'gpt-5-mini' is not available at"),
    ("400_context", "context_length", False, "too long for model 'gpt-5-mini'"),
])
def test_client_errors_are_not_retried(fault: str, kind: str, ends_run: bool,
                                       words: str) -> None:
    notices: list[str] = []
    with FakeOpenAI(lambda r: Reply(fault=fault)) as srv:
        error = failure(srv, on_retry=notices.append)
        assert len(srv.requests) == 1
    assert error.kind == kind
    assert error.ends_run() is ends_run
    assert error.retryable is False
    assert words in str(error)
    assert notices == []


def test_404_names_the_base_url() -> None:
    with FakeOpenAI(lambda r: Reply(fault="404")) as srv:
        assert srv.base_url in str(failure(srv))


# --- cancellation and concurrency --------------------------------------------

def test_cancel_during_a_hanging_request_is_prompt() -> None:
    async def main(srv: FakeOpenAI) -> float:
        async with make_client(srv, timeout=30.0) as model_client:
            tasks = [asyncio.create_task(model_client.complete(HELLO)) for _ in range(4)]
            await asyncio.sleep(0.3)
            started = time.monotonic()
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) for r in results)
            return time.monotonic() - started

    with FakeOpenAI(lambda r: Reply(fault="hang")) as srv:
        assert asyncio.run(main(srv)) < 2.0


def test_cancel_during_a_backoff_sleep_is_prompt() -> None:
    async def main(srv: FakeOpenAI) -> float:
        async with make_client(srv, backoff_max=60.0) as model_client:
            task = asyncio.create_task(model_client.complete(HELLO))
            while not srv.requests:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # now sleeping out the 30 s Retry-After
            started = time.monotonic()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return time.monotonic() - started

    with FakeOpenAI(lambda r: "ok") as srv:
        srv.push_faults(Reply(fault="429", retry_after=30))
        assert asyncio.run(main(srv)) < 2.0
        assert len(srv.requests) == 1


def test_64_concurrent_calls_run_in_parallel() -> None:
    async def main(srv: FakeOpenAI) -> list[Completion]:
        async with make_client(srv, max_connections=64) as model_client:
            calls = [model_client.complete([{"role": "user", "content": f"q{i}"}])
                     for i in range(64)]
            return await asyncio.gather(*calls)

    with FakeOpenAI(lambda r: Reply(content=r.last_user, latency=0.2)) as srv:
        started = time.monotonic()
        results = asyncio.run(main(srv))
        elapsed = time.monotonic() - started
        peak = srv.max_concurrent
    assert sorted(r.text for r in results) == sorted(f"q{i}" for i in range(64))
    assert elapsed < 3.0
    assert peak >= 48  # the connection pool is not capped at a small number


# --- helpers -----------------------------------------------------------------

def test_retry_after_parsing() -> None:
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after": "0.5"}) == 0.5
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({"retry-after": "-3"}) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None
    later = datetime.now(UTC) + timedelta(seconds=20)
    wait = retry_after_seconds({"retry-after": format_datetime(later, usegmt=True)})
    assert wait is not None and 17 <= wait <= 20


@pytest.mark.parametrize("response", [
    "<html>Bad gateway</html>",  # what the SDK returns for a non-JSON content type
    None,
    [1, 2],
    ChatCompletion.construct(choices=None),
    ChatCompletion.construct(choices=[]),
])
def test_responses_without_a_choice_count_as_malformed(response: object) -> None:
    model_client = ModelClient(model="m", base_url="http://127.0.0.1:9/v1", api_key=None,
                               prices=PriceTable())
    with pytest.raises(client_module._Transient) as info:
        model_client._checked_completion(response)
    assert info.value.kind == "malformed"
    asyncio.run(model_client.aclose())


def test_null_content_becomes_empty_text() -> None:
    assert client_module._message_text(None) == ""
    assert client_module._message_text([{"type": "text", "text": "a"}, {"text": "b"}]) == "ab"


# --- credentials in URLs, and connections that cannot succeed -----------------

SECRET_BITS = ("user:", "hunter2", "key=", "sekrit")


def with_credentials(url: str) -> str:
    """The fake server's URL as a careless user might paste it: password and ?key= in it."""
    return url.replace("http://", "http://user:hunter2@") + "?key=sekrit"


def test_no_credentials_in_errors_or_retry_notices() -> None:
    notices: list[str] = []
    with FakeOpenAI(lambda r: Reply(fault="500")) as srv:
        url = with_credentials(srv.base_url)
        # The SDK appends paths after a query string; the server's 404 then echoes it.
        not_found = failure(srv, base_url=url)
        error = failure(srv, base_url=url.split("?")[0], max_retries=1, on_retry=notices.append)
    assert notices
    for text in (str(error), str(not_found), *notices):
        assert not any(bit in text for bit in SECRET_BITS), text
    assert srv.base_url in str(error)          # the address itself is still named


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])   # closed when the block ends: nothing listens


def test_a_refused_connection_fails_fast_with_its_cause() -> None:
    notices: list[str] = []
    url = f"http://127.0.0.1:{closed_port()}/v1"
    client = ModelClient(model="m", base_url=url, api_key=None, prices=PriceTable(),
                         max_retries=5, backoff_base=1.0, on_retry=notices.append)
    started = time.monotonic()
    with pytest.raises(ProviderError) as info:
        asyncio.run(client.complete(HELLO))
    assert time.monotonic() - started < 3.0          # not 1+2+4+8+16 s of backoff
    message = str(info.value)
    assert info.value.kind == "connection"
    assert "refused" in message and "gave up after 2 attempts" in message
    assert "Is the server running" in message
    assert len(notices) == 1 and "attempt 2 of 2" in notices[0]


def test_an_unknown_host_fails_fast_without_asking_any_dns_server(
        monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def no_such_name(host: Any, *args: Any, **kwargs: Any) -> Any:
        # The machine's resolver might ask a DNS server on the network: never in a test.
        asked.append(host.decode() if isinstance(host, bytes) else str(host))
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    client = ModelClient(model="m", base_url="http://user:pw@nonexistent.invalid/v1?key=k",
                         api_key="sk", prices=PriceTable(), max_retries=5, backoff_base=1.0)
    started = time.monotonic()
    with pytest.raises(ProviderError) as info:
        asyncio.run(client.complete(HELLO))
    assert time.monotonic() - started < 3.0
    message = str(info.value)
    assert "nonexistent.invalid cannot be found" in message and "host name" in message
    assert "pw" not in message and "key=" not in message
    assert asked and all(host == "nonexistent.invalid" for host in asked)


def test_server_errors_keep_their_long_backoff() -> None:
    with FakeOpenAI(lambda r: Reply(fault="500")) as srv:
        error = failure(srv, max_retries=3)
        assert len(srv.requests) == 4
    assert "gave up after 4 attempts" in str(error)


def test_a_lone_surrogate_in_a_reply_or_a_message_never_fails_a_call() -> None:
    """A reply's JSON may carry "\\ud800", and argv keeps invalid bytes as lone surrogates;
    sending either back used to raise UnicodeEncodeError inside the SDK."""
    async def two_turns(model_client: ModelClient) -> tuple[Completion, Completion]:
        first = await model_client.complete([{"role": "user", "content": "q \udcff"}])
        second = await model_client.complete([
            {"role": "user", "content": "q"}, {"role": "assistant", "content": first.text},
            {"role": "user", "content": "go on"}])
        return first, second

    with FakeOpenAI(lambda r: Reply(content="a \ud800 b")) as srv:
        first, second = with_client(srv, two_turns)
        sent = [r.last_user for r in srv.requests]
    assert first.text == "a ? b" and second.text == "a ? b"
    assert sent == ["q ?", "go on"]
