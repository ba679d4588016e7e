"""What the worker's request handlers share: the request, its errors, argument checks, the
store threads (one SQLite connection per thread) and the registries of running work."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from engine import events as ev
from engine.store.library import Library
from engine.store.runs import RunRecorder
from engine.worker.jsonio import LineWriter, encode

if TYPE_CHECKING:
    from engine.rlm.conversation import Conversation

T = TypeVar("T")
STORE_THREADS = 4


class RequestError(Exception):
    """A request failed in a way the worker foresaw; ``kind`` is the protocol's error word."""

    def __init__(self, message: str, kind: str = "usage") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Request:
    """One request being served: its id, arguments, and how to stream events for it."""

    id: int
    cmd: str
    args: dict[str, Any]
    out: LineWriter
    on_cancel: Callable[[], None] | None = None
    task: asyncio.Task[None] | None = None

    def event(self, event: ev.Event) -> str:
        """Send an event line for this request (from any thread); returns the event's JSON."""
        text = encode(event.to_json())
        self.out.send_line(f'{{"id":{self.id},"event":{text}}}')
        return text

    def emit(self, event: ev.Event) -> None:
        """``event`` as an engine ``Emit`` callback (ingest)."""
        self.event(event)


class StoreThreads:
    """Runs store work off the event loop, each thread with its own Library connection."""

    def __init__(self, threads: int = STORE_THREADS) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="store")
        self._local = threading.local()
        self._opened: list[Library] = []
        self._lock = threading.Lock()

    def library(self) -> Library:
        """This thread's Library (opened on first use)."""
        library = getattr(self._local, "library", None)
        if library is None:
            library = Library()
            self._local.library = library
            with self._lock:
                self._opened.append(library)
        return library

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(library, *args)`` in a store thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: fn(self.library(), *args))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for library in self._opened:
                try:
                    library.close()
                except Exception:  # closing at exit: nothing more to do
                    pass
            self._opened.clear()


@dataclass
class Services:
    """The worker's shared state; handlers run on the event loop, so no locks are needed."""

    out: LineWriter
    store: StoreThreads = field(default_factory=StoreThreads)
    recorder: RunRecorder = field(default_factory=RunRecorder)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    conversation_collections: dict[str, str | None] = field(default_factory=dict)
    ingesting: dict[str, int] = field(default_factory=dict)   # collection key -> request id
    # Marks on review answers are written one after another, in the order they came: each
    # reply carries the answer as stored after it, so the app never shows an older state.
    marking: asyncio.Lock = field(default_factory=asyncio.Lock)
    asking: dict[str, Request] = field(default_factory=dict)  # conversation -> its request
    running_runs: set[str] = field(default_factory=set)
    reviewing: dict[str, Request] = field(default_factory=dict)   # review id -> its run


async def in_daemon_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn`` in a daemon thread (long work such as an ingest, which must never keep
    the process from exiting) and await its result."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(value: Any, failed: bool) -> None:
        if future.done():
            return
        if failed:
            future.set_exception(value)
        else:
            future.set_result(value)

    def main() -> None:
        try:
            result: Any = fn(*args)
            failed = False
        except BaseException as exc:
            result, failed = exc, True
        try:
            loop.call_soon_threadsafe(settle, result, failed)
        except RuntimeError:   # the loop closed meanwhile
            pass

    threading.Thread(target=main, name=getattr(fn, "__name__", "work"), daemon=True).start()
    return await future


# --- arguments ----------------------------------------------------------------------------

def arg_str(args: dict[str, Any], name: str, *, required: bool = True,
            default: str | None = None) -> str | None:
    value = args.get(name, default)
    if value is None:
        if required:
            raise RequestError(f'"{name}" is missing: give it as a string')
        return None
    if not isinstance(value, str):
        raise RequestError(f'"{name}" must be a string, not {type(value).__name__}')
    return value


def need_str(args: dict[str, Any], name: str) -> str:
    value = arg_str(args, name)
    assert value is not None
    if not value.strip():
        raise RequestError(f'"{name}" is empty: give some text')
    return value


def arg_bool(args: dict[str, Any], name: str, default: bool = False) -> bool:
    value = args.get(name, default)
    if not isinstance(value, bool):
        raise RequestError(f'"{name}" must be true or false')
    return value


def arg_str_list(args: dict[str, Any], name: str, *, required: bool = False) -> list[str]:
    value = args.get(name)
    if value is None:
        if required:
            raise RequestError(f'"{name}" is missing: give a list of strings')
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RequestError(f'"{name}" must be a list of strings')
    return list(value)


def arg_ids(args: dict[str, Any], name: str) -> list[int] | None:
    value = args.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool)
                                              for v in value):
        raise RequestError(f'"{name}" must be a list of document ids (integers)')
    return list(value)


def arg_dict(args: dict[str, Any], name: str) -> dict[str, Any]:
    value = args.get(name)
    if not isinstance(value, dict):
        raise RequestError(f'"{name}" must be a JSON object')
    return value
