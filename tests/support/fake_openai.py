"""A scriptable fake of the OpenAI chat API: a real HTTP server on 127.0.0.1 for tests."""

from __future__ import annotations

import json
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import Any

HOST = "127.0.0.1"
DEFAULT_MODELS = ("fake-root", "fake-sub")
FAULTS = frozenset({"429", "500", "hang", "malformed", "drop", "401", "404", "400_context"})
CONTEXT_LIMIT = 128_000  # the window quoted by the "400_context" fault


@dataclass
class Reply:
    """What the fake answers to one chat request: a completion, or a fault."""

    content: str = ""
    latency: float | None = None  # seconds to sleep before answering; None -> server default
    fault: str | None = None  # None or one of FAULTS
    retry_after: float | None = None  # Retry-After header (seconds) for "429" and "500"
    prompt_tokens: int | None = None  # default: ceil(chars of all message contents / 4)
    completion_tokens: int | None = None  # default: ceil(len(content) / 4), at least 1
    cached_tokens: int | None = None  # emitted as usage.prompt_tokens_details.cached_tokens
    cost: float | None = None  # emitted as usage.cost (OpenRouter style)
    finish_reason: str = "stop"

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; expected one of {sorted(FAULTS)}")


@dataclass
class ChatRequest:
    """One chat completion request as the fake received it."""

    model: str
    messages: list[dict[str, Any]]
    body: dict[str, Any]
    headers: dict[str, str]  # lower-cased names
    index: int  # 0-based order of arrival across the whole server

    @property
    def last_user(self) -> str:
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return _text_of(message.get("content"))
        return ""

    @property
    def system(self) -> str:
        for message in self.messages:
            if message.get("role") == "system":
                return _text_of(message.get("content"))
        return ""

    @property
    def assistant_turns(self) -> int:
        return sum(1 for message in self.messages if message.get("role") == "assistant")


Script = Callable[[ChatRequest], "Reply | str"]


def _text_of(content: Any) -> str:
    """Text of a message content: a string, or a list of parts with "text" entries."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        )
    return str(content)


def _as_reply(value: Reply | str) -> Reply:
    if isinstance(value, Reply):
        return value
    if isinstance(value, str):
        return Reply(content=value)
    raise TypeError(f"a script must return Reply or str, not {type(value).__name__}")


def echo(request: ChatRequest) -> Reply:
    """Reply with the last user message."""
    return Reply(content=request.last_user)


def sequence(*replies: Reply | str) -> Script:
    """Reply number `assistant_turns` of the conversation; past the end, repeat the last."""
    if not replies:
        raise ValueError("sequence() needs at least one reply")
    fixed = [_as_reply(reply) for reply in replies]

    def script(request: ChatRequest) -> Reply:
        return fixed[min(request.assistant_turns, len(fixed) - 1)]

    return script


def by_model(mapping: dict[str, Script | Reply | str],
             default: Script | Reply | str | None = None) -> Script:
    """Route on the requested model; an unknown model without a default gets a 404 fault."""

    def answer(target: Script | Reply | str, request: ChatRequest) -> Reply | str:
        if isinstance(target, (Reply, str)):
            return target
        return target(request)

    def script(request: ChatRequest) -> Reply | str:
        if request.model in mapping:
            return answer(mapping[request.model], request)
        if default is not None:
            return answer(default, request)
        return Reply(fault="404")

    return script


def _error_body(message: str, type_: str, code: str | None, param: str | None = None) -> bytes:
    error = {"message": message, "type": type_, "param": param, "code": code}
    return json.dumps({"error": error}).encode()


def _estimate_prompt_tokens(messages: list[dict[str, Any]]) -> int:
    chars = sum(len(_text_of(message.get("content"))) for message in messages)
    return math.ceil(chars / 4)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for hung handler threads
    request_queue_size = 512
    allow_reuse_address = True
    fake: FakeOpenAI

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup; skip it.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]  # type: ignore[assignment]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def setup(self) -> None:
        super().setup()
        self.server.fake._track_connection(self.connection)

    def finish(self) -> None:
        self.server.fake._untrack_connection(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    # --- routing ---------------------------------------------------------

    def _route(self) -> str:
        path = self.path.split("?", 1)[0].rstrip("/")
        return path.removeprefix("/v1")

    def do_GET(self) -> None:
        if self._extra_route(b""):
            return
        if self._route() == "/models":
            fields = self.server.fake.model_fields
            data = [{"id": m, "object": "model", "owned_by": "fake", "created": 0,
                     **fields.get(m, {})} for m in self.server.fake.models]
            self._send_json(200, json.dumps({"object": "list", "data": data}).encode())
        else:
            self._not_found()

    def _extra_route(self, body: bytes) -> bool:
        """Answer a path of ``fake.routes`` (a server's own metadata endpoints)."""
        answer = self.server.fake.routes.get(self.path.split("?", 1)[0].rstrip("/"))
        if answer is None:
            return False
        if callable(answer):
            answer = answer(json.loads(body) if body else {})
        if answer is None:
            self._not_found()
        else:
            self._send_json(200, json.dumps(answer).encode())
        return True

    def do_POST(self) -> None:
        body = self._read_body()
        if self._extra_route(body):
            return
        if self._route() != "/chat/completions":
            self._not_found()
            return
        try:
            parsed = json.loads(body)
        except ValueError as exc:
            self._send_json(400, _error_body(
                f"We could not parse the JSON body of your request: {exc}",
                "invalid_request_error", None))
            return
        if not isinstance(parsed, dict) or not isinstance(parsed.get("messages"), list):
            self._send_json(400, _error_body(
                "'messages' is a required property", "invalid_request_error", None, "messages"))
            return
        if parsed.get("stream"):
            self._send_json(400, _error_body(
                "Streaming is not supported by the fake OpenAI server",
                "invalid_request_error", "unsupported_parameter", "stream"))
            return
        self.server.fake._handle_chat(self, parsed)

    def do_DELETE(self) -> None:
        self._read_body()
        self._not_found()

    do_PUT = do_PATCH = do_DELETE

    # --- low-level -------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _not_found(self) -> None:
        self._send_json(404, _error_body(
            f"Invalid URL ({self.command} {self.path})", "invalid_request_error", None))

    def _send_json(self, status: int, payload: bytes,
                   extra_headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (extra_headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True  # the client went away (e.g. its timeout fired)

    def _drop(self) -> None:
        """Close the connection without sending a single byte."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FakeOpenAI:
    """An OpenAI-compatible chat server on 127.0.0.1 whose answers come from a script.

    Use as a context manager (or start()/stop()); point clients at `base_url`.
    """

    def __init__(self, script: Script | None = None, *, latency: float = 0.0,
                 models: list[str] | None = None, hang_seconds: float = 30.0) -> None:
        self.script: Script = script or echo
        self.latency = latency
        self.models = list(models) if models is not None else list(DEFAULT_MODELS)
        self.hang_seconds = hang_seconds
        self.requests: list[ChatRequest] = []
        self.max_concurrent = 0
        self.active = 0  # chat requests being handled right now
        self._faults: deque[Reply] = deque()
        # limit_in_flight(): above this many chat requests being answered, a 429 at once.
        self.in_flight_limit: int | None = None
        self.busy_retry_after: float | None = None
        self.rate_limited = 0  # requests answered 429 by limit_in_flight
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None
        # A server's own metadata: extra fields of /models entries by model id, and JSON
        # answers (or functions of the request body) by path, such as "/props" or
        # "/api/show"; a chat request over ``context_limit`` prompt tokens is refused
        # with llama.cpp's error.
        self.model_fields: dict[str, dict[str, Any]] = {}
        self.routes: dict[str, Any] = {}
        self.context_limit: int | None = None
        self.refused_as_too_long = 0

    # --- lifecycle -------------------------------------------------------

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("FakeOpenAI is not started")
        return self._base_url

    def start(self) -> FakeOpenAI:
        if self._server is not None:
            raise RuntimeError("FakeOpenAI is already started")
        self._stopping = threading.Event()
        server = _Server((HOST, 0), _Handler)
        server.fake = self
        port = server.server_address[1]
        self._server = server
        self._base_url = f"http://{HOST}:{port}/v1"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"fake-openai-{port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; returns promptly even while handlers hang or sleep."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()  # wakes "hang" faults and latency sleeps
        server.shutdown()  # waits for the accept loop only (one poll interval)
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # ends idle keep-alive handlers
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if thread is not None:
            thread.join(timeout=1.0)
        self._server = self._thread = None

    # --- scripting -------------------------------------------------------

    def set_script(self, script: Script) -> None:
        self.script = script

    def push_faults(self, *replies: Reply) -> None:
        """Queue replies served to the next requests before the script is consulted."""
        with self._lock:
            self._faults.extend(replies)

    def limit_in_flight(self, limit: int | None, retry_after: float | None = 1.0) -> None:
        """Act as a rate-limited provider: while ``limit`` chat requests are being answered,
        each further one gets a 429 at once (with ``Retry-After: retry_after`` unless None)
        and is not counted in ``active`` or ``max_concurrent``; None turns this off."""
        with self._lock:
            self.in_flight_limit = limit
            self.busy_retry_after = retry_after

    # --- request handling (runs on handler threads) -----------------------

    def _track_connection(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)
            stopping = self._stopping.is_set()
        if stopping:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _untrack_connection(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _handle_chat(self, handler: _Handler, body: dict[str, Any]) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            request = ChatRequest(model=str(body.get("model", "")), messages=body["messages"],
                                  body=body, headers=headers, index=len(self.requests))
            self.requests.append(request)
            busy = self.in_flight_limit is not None and self.active >= self.in_flight_limit
            queued = self._faults.popleft() if self._faults and not busy else None
            if busy:
                self.rate_limited += 1
            else:
                self.active += 1
                self.max_concurrent = max(self.max_concurrent, self.active)
        if busy:
            self._answer(handler, request, Reply(fault="429", latency=0.0,
                                                 retry_after=self.busy_retry_after))
            return
        try:
            self._answer(handler, request, queued)
        finally:
            with self._lock:
                self.active -= 1

    def _answer(self, handler: _Handler, request: ChatRequest, queued: Reply | None) -> None:
        try:
            reply = queued if queued is not None else _as_reply(self.script(request))
        except Exception as exc:  # a bug in the test's script: make it visible to the client
            handler._send_json(500, _error_body(
                f"fake script raised {type(exc).__name__}: {exc}", "server_error", None))
            return

        latency = self.latency if reply.latency is None else reply.latency
        if latency > 0 and self._stopping.wait(latency):
            handler._drop()  # stopped while sleeping
            return

        prompt_tokens = (reply.prompt_tokens if reply.prompt_tokens is not None
                         else _estimate_prompt_tokens(request.messages))
        if self.context_limit is not None and prompt_tokens > self.context_limit:
            with self._lock:
                self.refused_as_too_long += 1
            handler._send_json(400, _too_long(prompt_tokens, self.context_limit))
        elif reply.fault is None:
            handler._send_json(200, self._completion(request, reply, prompt_tokens))
        elif reply.fault == "hang":
            self._stopping.wait(self.hang_seconds)
            handler._drop()
        elif reply.fault == "drop":
            handler._drop()
        elif reply.fault == "malformed":
            handler._send_json(200, b'{"id": "chatcmpl-broken", "choices": [{"message": ')
        else:
            status, payload = _fault_error(reply.fault, request, prompt_tokens)
            extra = {}
            if reply.retry_after is not None and reply.fault in ("429", "500"):
                extra["Retry-After"] = f"{reply.retry_after:g}"
            handler._send_json(status, payload, extra)

    def _completion(self, request: ChatRequest, reply: Reply, prompt_tokens: int) -> bytes:
        completion_tokens = (reply.completion_tokens if reply.completion_tokens is not None
                             else max(1, math.ceil(len(reply.content) / 4)))
        usage: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if reply.cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens}
        if reply.cost is not None:
            usage["cost"] = reply.cost
        completion = {
            "id": f"chatcmpl-fake-{request.index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": reply.finish_reason,
            }],
            "usage": usage,
        }
        return json.dumps(completion).encode()


def _too_long(prompt_tokens: int, limit: int) -> bytes:
    """llama.cpp's answer to a prompt longer than its context size."""
    error = {"code": 400, "type": "exceed_context_size_error",
             "message": f"request ({prompt_tokens} tokens) exceeds the available context size "
                        f"({limit} tokens), try increasing it",
             "n_prompt_tokens": prompt_tokens, "n_ctx": limit}
    return json.dumps({"error": error}).encode()


def _fault_error(fault: str, request: ChatRequest, prompt_tokens: int) -> tuple[int, bytes]:
    """Status and OpenAI-style error body for the faults answered with an HTTP error."""
    if fault == "429":
        return 429, _error_body(
            f"Rate limit reached for {request.model} (fake). Please try again later.",
            "rate_limit_exceeded", "rate_limit_exceeded")
    if fault == "500":
        return 500, _error_body(
            "The server had an error while processing your request (fake).",
            "server_error", None)
    if fault == "401":
        return 401, _error_body(
            "Incorrect API key provided. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_request_error", "invalid_api_key")
    if fault == "404":
        return 404, _error_body(
            f"The model `{request.model}` does not exist or you do not have access to it.",
            "invalid_request_error", "model_not_found")
    if fault == "400_context":
        used = max(prompt_tokens, CONTEXT_LIMIT + 1)
        return 400, _error_body(
            f"This model's maximum context length is {CONTEXT_LIMIT} tokens. However, your "
            f"messages resulted in {used} tokens. Please reduce the length of the messages.",
            "invalid_request_error", "context_length_exceeded", "messages")
    raise ValueError(f"not an HTTP error fault: {fault!r}")
