"""One async client for any OpenAI-compatible endpoint: retries, actionable errors, usage, cost."""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard, TypeVar
from urllib.parse import urlsplit

import httpx2
import openai
from openai.types.chat import ChatCompletion

from engine.errors import ProviderError
from engine.providers.concurrency import AdaptiveLimit, LimitChange
from engine.providers.prices import PriceTable
from engine.providers.tls import shared_context
from engine.providers.tokens import TokenGauge
from engine.providers.windows import Window
from engine.secrets import env_var_for, is_local, provider_name, safe_url, scrub_urls

T = TypeVar("T")

_JITTER = 0.1  # up to +10 %, so many sub-calls throttled together do not retry in lockstep
_RETRY_STATUSES = frozenset({408, 409})  # plus every 5xx and 429
_CONTEXT_MARKERS = ("context_length", "context length", "maximum context", "too many tokens",
                    "context window", "context size", "exceed_context_size")
# OpenAI's own endpoints reject max_tokens for reasoning models; they take this name instead.
_MAX_COMPLETION_TOKENS_PROVIDERS = frozenset({"openai", "azure"})
_BROKEN_BODY = (json.JSONDecodeError, UnicodeDecodeError)
# A refused connection or a host name that does not exist will not mend in the next minute:
# one quick retry (a server still starting), then the cause, instead of half a minute of backoff.
QUICK_RETRIES = 1
QUICK_RETRY_DELAY_S = 0.5
# Name-lookup failures that are definite answers; EAI_AGAIN (no network yet) is not one.
_UNKNOWN_HOST_ERRORS = frozenset(
    getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA", "EAI_FAIL")
    if hasattr(socket, name))


@dataclass(frozen=True)
class Completion:
    """One finished chat call: the text, its usage and price, and how long it took."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_usd: float | None  # provider-reported cost, else from the price table, else None
    latency_s: float  # wall time of the whole call, retries and waits included
    finish_reason: str | None
    attempts: int


RETRY_AFTER_MAX = 600.0
# With an adaptive limit, a 429 lowers the limit instead of using up a retry: the call waits
# and tries again. For this long since the call began; after it, each 429 counts as a failed
# attempt again (as it does once the limit is down to one call at a time), so a service that
# keeps refusing ends the call with its error instead of holding the batch for ever. The
# run's own time limit, when set, applies throughout.
RATE_LIMIT_PATIENCE_S = 600.0


class _Transient(Exception):
    """A failure worth retrying: a short summary for notices, details for the final error."""

    def __init__(self, kind: str, summary: str, detail: str, *, status: int | None = None,
                 retry_after: float | None = None, quick: bool = False,
                 hint: str = "") -> None:
        super().__init__(f"{summary}: {detail}")
        self.kind = kind
        self.summary = summary
        self.detail = detail
        self.status = status
        self.retry_after = retry_after
        self.quick = quick   # waiting will not help: QUICK_RETRIES at most
        self.hint = hint


class ModelClient:
    """Chat completions and model lists from one OpenAI-compatible base URL."""

    def __init__(self, *, model: str, base_url: str, api_key: str | None, prices: PriceTable,
                 timeout: float = 120.0, max_retries: int = 5, backoff_base: float = 1.0,
                 backoff_max: float = 60.0, on_retry: Callable[[str], None] | None = None,
                 max_connections: int = 64) -> None:
        self.model = model
        self.base_url = base_url
        # What messages name: never the user:password@ or ?key= a base URL may carry.
        self.shown_url = safe_url(base_url)
        self.provider = provider_name(base_url)
        self.prices = prices
        self.timeout = timeout
        self.max_retries = max(0, max_retries)
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.on_retry = on_retry
        # The model's window in tokens (None: unknown), set by whoever learned it
        # (windows.py), and the characters per token its server's usage shows.
        self.context_window: int | None = None
        self.window = Window(None)
        self.gauge = TokenGauge()
        # A pool wait is not a stalled server: calls beyond max_connections queue for a free
        # connection (pool=None) and the caller's own concurrency limit decides how many run.
        http_timeout = httpx2.Timeout(timeout, pool=None)
        limits = httpx2.Limits(max_connections=max(1, max_connections),
                               max_keepalive_connections=max(1, max_connections))
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",  # local servers ignore it; the SDK requires one
            max_retries=0,  # retries are ours: backoff, Retry-After and notices
            timeout=http_timeout,
            http_client=openai.DefaultAsyncHttpxClient(limits=limits, timeout=http_timeout,
                                                        verify=shared_context()),
        )

    async def __aenter__(self) -> ModelClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.close()

    async def complete(self, messages: list[dict[str, str]], *,
                       max_tokens: int | None = None,
                       on_retry: Callable[[str], None] | None = None,
                       limiter: AdaptiveLimit | None = None,
                       on_limit: Callable[[LimitChange], None] | None = None) -> Completion:
        """Send one chat request (only model, messages and an optional token limit).

        ``on_retry`` overrides the client's retry callback for this call, so a client
        shared by several runs reports each retry to the run that made the call.
        ``limiter``: each attempt waits for a place in it, and tells it how the attempt went
        (a 429 lowers it, see ``RATE_LIMIT_PATIENCE_S``); ``on_limit`` hears of each change.
        """
        started = time.monotonic()
        messages = _valid_messages(messages)
        response, attempts = await self._with_retries(
            lambda: self._bounded(self._chat_once(messages, max_tokens)), operation="chat",
            on_retry=on_retry, limiter=limiter, on_limit=on_limit)
        completion = self._completion(response, time.monotonic() - started, attempts)
        self.gauge.observe(sum(len(m.get("content") or "") for m in messages), len(messages),
                           completion.prompt_tokens)
        return completion

    def set_window(self, window: Window) -> None:
        """Use ``window`` (from windows.py) as this model's window."""
        self.window = window
        self.context_window = window.tokens

    async def list_models(self) -> list[str]:
        """The model ids the endpoint offers, sorted."""
        models, _ = await self._with_retries(self._models_once, operation="models")
        return models

    # --- one attempt ------------------------------------------------------

    async def _bounded(self, attempt: Awaitable[T]) -> T:
        """One attempt within ``timeout`` in total: the HTTP timeout bounds each read only,
        so a server trickling a byte at a time could otherwise hold a call for ever."""
        try:
            async with asyncio.timeout(self.timeout):
                return await attempt
        except TimeoutError as exc:
            raise _Transient("timeout", f"no answer from {self.provider}",
                             f"no response within {self.timeout:g} s") from exc

    async def _chat_once(self, messages: list[dict[str, str]],
                         max_tokens: int | None) -> ChatCompletion:
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        if max_tokens is not None:
            body[self._max_tokens_name()] = max_tokens
        try:
            # The SDK's post, not chat.completions.create: create() walks every message of
            # the history against its typed schema first (25 ms a call at 80 messages) to
            # send the same JSON our plain string messages already are.
            response: Any = await self._client.post("/chat/completions", body=body,
                                                    cast_to=ChatCompletion)
        except _BROKEN_BODY as exc:
            # openai 3.52 lets a 200 whose JSON body is broken escape as json.JSONDecodeError.
            raise self._malformed(f"the body is not valid JSON ({exc})") from exc
        return self._checked_completion(response)

    async def _models_once(self) -> list[str]:
        try:
            page: Any = await self._client.models.list()
        except _BROKEN_BODY as exc:
            raise self._malformed(f"the model list is not valid JSON ({exc})") from exc
        data = getattr(page, "data", None)
        if not isinstance(data, list):
            raise self._malformed("the model list has no 'data' array")
        ids = {getattr(item, "id", None) for item in data}
        return sorted(model for model in ids if isinstance(model, str) and model)

    def _max_tokens_name(self) -> str:
        if self.provider in _MAX_COMPLETION_TOKENS_PROVIDERS:
            return "max_completion_tokens"
        return "max_tokens"

    def _checked_completion(self, response: Any) -> ChatCompletion:
        """The response if it has a first choice with a message; else a malformed failure."""
        # Without strict validation the SDK returns text, None, lists or half-empty models.
        if not isinstance(response, ChatCompletion):
            raise self._malformed(f"expected a chat completion, got {type(response).__name__}")
        choices = response.choices
        if not isinstance(choices, list) or not choices:
            raise self._malformed("the response has no choices")
        if getattr(choices[0], "message", None) is None:
            raise self._malformed("the first choice has no message")
        return response

    def _malformed(self, detail: str) -> _Transient:
        return _Transient("malformed", f"unreadable response from {self.provider}",
                          scrub_urls(detail))

    # --- retries ----------------------------------------------------------

    async def _with_retries(self, attempt_once: Callable[[], Awaitable[T]], *,
                            operation: str,
                            on_retry: Callable[[str], None] | None = None,
                            limiter: AdaptiveLimit | None = None,
                            on_limit: Callable[[LimitChange], None] | None = None,
                            ) -> tuple[T, int]:
        """Run one attempt after another until one works, a fatal error, or retries run out.

        A 429 the limiter takes on (it lowers its limit, or already has since the attempt
        began) does not use up a retry while within RATE_LIMIT_PATIENCE_S."""
        started = time.monotonic()
        attempts = counted = waived = 0
        while True:
            attempts += 1
            failure, waive = None, False
            slot = await limiter.acquire() if limiter is not None else None
            try:
                try:
                    result = await attempt_once()
                except _Transient as exc:
                    failure = exc
                except openai.APIError as exc:
                    failure = self._classify(exc, operation)  # raises when not worth retrying
                if limiter is not None and slot is not None:
                    if failure is None:
                        _tell(on_limit, limiter.succeeded())
                    elif failure.kind == "rate_limit":
                        waive = (limiter.backing_off(slot)
                                 and time.monotonic() - started < RATE_LIMIT_PATIENCE_S)
                        _tell(on_limit, limiter.rate_limited(slot, failure.retry_after))
            finally:
                if limiter is not None and slot is not None:
                    limiter.release(slot)
            if failure is None:
                return result, attempts
            if waive:   # the limiter slows the calls down; this one tries again, uncounted
                waived += 1
                await asyncio.sleep(self._retry_delay(min(waived - 1, 3), failure.retry_after))
                continue
            retries = min(self.max_retries, QUICK_RETRIES) if failure.quick else self.max_retries
            if counted >= retries:
                raise self._gave_up(failure, attempts) from failure
            delay = self._retry_delay(counted, failure.retry_after)
            if failure.quick:
                delay = min(delay, QUICK_RETRY_DELAY_S)
            counted += 1
            self._notify(failure, delay, counted + 1, retries + 1, on_retry or self.on_retry)
            await asyncio.sleep(delay)  # cancellation lands here too and propagates

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        # A wait the server asked for is honoured up to RETRY_AFTER_MAX (the run's own
        # wall-time limit still applies); our own backoff stops growing at backoff_max.
        if retry_after is not None:
            return max(0.0, min(RETRY_AFTER_MAX, retry_after * (1 + random.uniform(0, _JITTER))))
        base = self.backoff_base * 2 ** attempt
        return max(0.0, min(self.backoff_max, base * (1 + random.uniform(0, _JITTER))))

    def _notify(self, failure: _Transient, delay: float, next_attempt: int, attempts: int,
                callback: Callable[[str], None] | None) -> None:
        if callback is not None:
            callback(f"{failure.summary}; retrying in {_seconds(delay)} s "
                     f"(attempt {next_attempt} of {attempts})")

    def _gave_up(self, failure: _Transient, attempts: int) -> ProviderError:
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        hint = f" {failure.hint}" if failure.hint else ""
        if failure.kind == "connection" and not hint:
            hint = (" Is the server running, and is the base URL right?" if is_local(self.base_url)
                    else " Check the network connection and the base URL.")
        return ProviderError(
            f"{failure.summary} ({self.shown_url}, model '{self.model}'); gave up after {tries}: "
            f"{failure.detail}.{hint}",
            kind=failure.kind, retryable=True, status=failure.status)

    # --- error classification ---------------------------------------------

    def _classify(self, exc: openai.APIError, operation: str) -> _Transient:
        """A transient failure to retry, or raise the ProviderError a person can act on."""
        if isinstance(exc, openai.APITimeoutError):
            return _Transient("timeout", f"no answer from {self.provider}",
                              f"no response within {self.timeout:g} s")
        if isinstance(exc, openai.APIConnectionError):
            return self._connection_failure(exc)
        if isinstance(exc, openai.APIStatusError):
            return self._classify_status(exc, operation)
        if isinstance(exc, openai.APIResponseValidationError):
            return self._malformed(exc.message)
        raise ProviderError(f"{self.provider} ({self.shown_url}) failed: "
                            f"{scrub_urls(str(exc))}", kind="error")

    def _connection_failure(self, exc: openai.APIConnectionError) -> _Transient:
        """A failed connection; quick to give up when nothing listens or the name is unknown."""
        summary = f"connection to {self.provider} failed"
        for link in _chain(exc):
            if isinstance(link, socket.gaierror) and link.errno in _UNKNOWN_HOST_ERRORS:
                host = urlsplit(self.shown_url).hostname or self.provider
                return _Transient(
                    "connection", summary,
                    f"the server name {host} cannot be found ({link.strerror or link})",
                    quick=True, hint="Check the host name in the base URL.")
            if isinstance(link, ConnectionRefusedError):
                hint = ("Is the server running, and on this port?" if is_local(self.base_url)
                        else "Check the port in the base URL, and that the server is up.")
                return _Transient("connection", summary,
                                  "the connection was refused: nothing listens at that address "
                                  "and port", quick=True, hint=hint)
        cause = exc.__cause__ or exc
        return _Transient("connection", summary,
                          scrub_urls(f"{type(cause).__name__}: {cause}".rstrip(": ")))

    def _classify_status(self, exc: openai.APIStatusError, operation: str) -> _Transient:
        status = exc.status_code
        detail = _error_detail(exc)
        retry_after = retry_after_seconds(exc.response.headers)
        if status == 429 and _error_code(exc) != "insufficient_quota":
            return _Transient("rate_limit", f"rate limited by {self.provider}", detail,
                              status=status, retry_after=retry_after)
        if status >= 500 or status in _RETRY_STATUSES:
            return _Transient("server", f"server error {status} from {self.provider}", detail,
                              status=status, retry_after=retry_after)
        raise self._fatal_status(exc, status, detail, operation)

    def _fatal_status(self, exc: openai.APIStatusError, status: int, detail: str,
                      operation: str) -> ProviderError:
        """The error for a 4xx that retrying cannot fix."""
        where = f"{self.provider} ({self.shown_url})"
        if status == 401:
            return ProviderError(
                f"the API key for {self.provider} was rejected (401) at {self.shown_url}: "
                f"{detail}. Check the key, then store it with `rlm key set {self.provider}` "
                f"or set {env_var_for(self.provider)} (or pass --api-key-env VAR).",
                kind="auth", status=status)
        if status in (402, 429):  # 429 here is OpenAI's insufficient_quota: out of credit
            return ProviderError(
                f"{where} refused the request for lack of credit or quota ({status}): {detail}. "
                "Add credit or raise the limit in your account with the provider.",
                kind="quota", status=status)
        if status == 403:
            return ProviderError(
                f"{where} denied access (403) to model '{self.model}': {detail}. The key works "
                "but lacks permission for this model or endpoint; check the account or --model.",
                kind="permission", status=status)
        if status == 404:
            return ProviderError(self._not_found_message(operation, detail),
                                 kind="not_found", status=status)
        if status in (400, 413, 422) and _is_context_error(exc, detail):
            return ProviderError(
                f"the prompt was too long for model '{self.model}' ({status}): {detail}",
                kind="context_length", status=status)
        return ProviderError(
            f"{where} rejected the request for model '{self.model}' ({status}): {detail}",
            kind="bad_request", status=status)

    def _not_found_message(self, operation: str, detail: str) -> str:
        if operation == "models":
            return (f"{self.shown_url} does not offer a model list (GET /models returned 404): "
                    f"{detail}. Check the base URL; it usually ends in /v1.")
        return (f"model '{self.model}' is not available at {self.shown_url} (404): {detail}. "
                "Check --model against the provider's model list, and the base URL.")

    # --- results ----------------------------------------------------------

    def _completion(self, response: ChatCompletion, latency: float, attempts: int) -> Completion:
        choice = response.choices[0]
        model = response.model if isinstance(response.model, str) and response.model else self.model
        prompt, completion, cached = _token_counts(response.usage)
        return Completion(
            text=_message_text(choice.message.content),
            model=model,
            prompt_tokens=prompt,
            completion_tokens=completion,
            cached_tokens=cached,
            cost_usd=self._cost(response, model, prompt, completion, cached),
            latency_s=latency,
            finish_reason=choice.finish_reason if isinstance(choice.finish_reason, str) else None,
            attempts=attempts,
        )

    def _cost(self, response: ChatCompletion, model: str, prompt: int, completion: int,
              cached: int) -> float | None:
        """Provider-reported cost, else the price table's; None without usage or a price."""
        if response.usage is None:
            return None  # no usage reported: any number would be made up
        reported = getattr(response.usage, "cost", None)  # OpenRouter's extra usage field
        if _is_number(reported):
            return float(reported)
        cost = self.prices.cost(self.model, prompt, completion, cached)
        if cost is None and model != self.model:
            cost = self.prices.cost(model, prompt, completion, cached)
        return cost


def _tell(listener: Callable[[LimitChange], None] | None, change: LimitChange | None) -> None:
    if listener is not None and change is not None:
        listener(change)


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from retry-after-ms or Retry-After (seconds or an HTTP date), if any."""
    milliseconds = _float(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return max(0.0, milliseconds / 1000)
    value = headers.get("retry-after")
    if not value:
        return None
    seconds = _float(value)
    if seconds is not None:
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _chain(exc: BaseException) -> list[BaseException]:
    """An exception and its causes, innermost last (each link once, however they loop)."""
    links: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and all(link is not seen for seen in links):
        links.append(link)
        link = link.__cause__ or link.__context__
    return links


def _seconds(delay: float) -> str:
    return f"{delay:.1f}" if delay >= 1 else f"{delay:.2f}"


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number else None  # NaN is not a wait


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(value: object) -> int:
    return max(0, int(value)) if _is_number(value) else 0


def _token_counts(usage: Any) -> tuple[int, int, int]:
    """(prompt, completion, cached) tokens; zeros when a server reports no usage."""
    if usage is None:
        return 0, 0, 0
    details = getattr(usage, "prompt_tokens_details", None)
    return (_count(getattr(usage, "prompt_tokens", 0)),
            _count(getattr(usage, "completion_tokens", 0)),
            _count(getattr(details, "cached_tokens", 0)))


def _message_text(content: object) -> str:
    if content is None:
        return ""  # some servers send null content
    if isinstance(content, str):
        return valid_text(content)
    if isinstance(content, list):  # content parts, as a few servers send
        return valid_text("".join(str(part.get("text", "")) for part in content
                                  if isinstance(part, dict)))
    return valid_text(str(content))


def valid_text(text: str) -> str:
    """``text`` with any lone surrogate as "?": JSON may carry one (a reply's "\\ud800"), and
    the next request could not encode it (as the REPL's frames are decoded, see frames.py)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _valid_messages(messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """The messages as sent: a question typed with invalid bytes (argv keeps them as lone
    surrogates) or a reply from a JSON line must not fail the request."""
    return [{key: valid_text(value) if isinstance(value, str) else value
             for key, value in message.items()} for message in messages]


def _error_body(exc: openai.APIStatusError) -> dict[str, Any]:
    return exc.body if isinstance(exc.body, dict) else {}


def _error_code(exc: openai.APIStatusError) -> str | None:
    return exc.code or _error_body(exc).get("type")


def _error_detail(exc: openai.APIStatusError) -> str:
    """The server's own message, short enough for a status line."""
    message = _error_body(exc).get("message")
    if not isinstance(message, str) or not message:
        message = exc.body if isinstance(exc.body, str) and exc.body else exc.message
    # A server may echo the request URL, credentials and ?key= included: never pass them on.
    message = scrub_urls(" ".join(str(message).split())).rstrip(".")  # callers add the stop
    return message if len(message) <= 500 else message[:497] + "..."


def _is_context_error(exc: openai.APIStatusError, detail: str) -> bool:
    if exc.status_code == 413:  # payload too large: the prompt, for a chat call
        return True
    text = f"{exc.code or ''} {detail}".lower()
    return any(marker in text for marker in _CONTEXT_MARKERS)
