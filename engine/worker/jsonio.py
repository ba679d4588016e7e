"""The worker's pipes: a writer thread that sends whole JSON lines, and a stdin reader thread.

Every line the worker sends goes through one ``LineWriter``: callers on any
thread queue complete lines, and the writer thread writes whatever has queued
up in one go and flushes, so lines never interleave and a burst of events costs
a few system calls rather than one per event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

log = logging.getLogger(__name__)

MAX_WRITE_BYTES = 1 << 20
_STOP = object()


def encode(obj: Any) -> str:
    """JSON text for one line; ASCII-only, so odd text (lone surrogates) can never break it."""
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), default=str)


class LineWriter:
    """Queues lines from any thread; one thread writes them in order and flushes."""

    def __init__(self, stream: BinaryIO, on_broken: Callable[[], None] | None = None) -> None:
        self.stream = stream
        self.on_broken = on_broken
        self.broken = False
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._main, name="stdout-writer", daemon=True)
        self._thread.start()

    def send(self, obj: dict[str, Any]) -> None:
        self.send_line(encode(obj))

    def send_line(self, text: str) -> None:
        """Queue one line of JSON text (no newline in it: ``encode`` never makes one)."""
        self._queue.put(text)

    def close(self, timeout: float = 5.0) -> None:
        """Write everything queued so far, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _main(self) -> None:
        stop = False
        while not stop:
            chunks = []
            size = 0
            item = self._queue.get()
            while True:
                if item is _STOP:
                    stop = True
                    break
                line = item.encode("ascii", "backslashreplace") + b"\n"
                chunks.append(line)
                size += len(line)
                if size >= MAX_WRITE_BYTES:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if chunks and not self.broken:
                try:
                    self.stream.write(b"".join(chunks))
                    self.stream.flush()
                except (OSError, ValueError) as exc:   # the GUI is gone
                    self.broken = True
                    log.warning("cannot write to stdout (%s); stopping", exc)
                    if self.on_broken is not None:
                        self.on_broken()


def start_reader(fd: int, loop: asyncio.AbstractEventLoop,
                 lines: asyncio.Queue[bytes | None]) -> threading.Thread:
    """Read lines from a file descriptor in a thread and hand them to the event loop; None
    marks end of input. Raw reads (no buffered file object) so that a thread still
    blocked in a read can never abort the interpreter at exit."""

    def deliver(item: bytes | None) -> None:
        try:
            loop.call_soon_threadsafe(lines.put_nowait, item)
        except RuntimeError:   # the loop has closed: the worker is exiting anyway
            pass

    def main() -> None:
        pending = b""
        try:
            while chunk := os.read(fd, 65536):
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    deliver(line)
        except OSError as exc:
            log.warning("reading stdin failed: %s", exc)
        if pending.strip():
            deliver(pending)
        deliver(None)

    thread = threading.Thread(target=main, name="stdin-reader", daemon=True)
    thread.start()
    return thread
