"""Process-level helpers for the REPL child: its environment, exit codes, stderr and reaping."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

STDERR_KEEP_BYTES = 64 * 1024


class StderrTail:
    """The last bytes the child wrote to stderr, for diagnostics."""

    def __init__(self, keep: int = STDERR_KEEP_BYTES) -> None:
        self._keep = keep
        self._data = bytearray()
        self.total = 0

    def feed(self, chunk: bytes) -> None:
        self._data += chunk
        self.total += len(chunk)
        if len(self._data) > self._keep:
            del self._data[:-self._keep]

    def text(self, since: int = 0) -> str:
        """What was written after byte ``since`` (as much of it as is still kept)."""
        wanted = min(self.total - since, len(self._data))
        return self._data[len(self._data) - wanted:].decode("utf-8", "replace") if wanted else ""


def child_env() -> dict[str, str]:
    """A minimal environment: never the parent's, so no API key can be inherited."""
    env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PATH": os.defpath}
    if os.name == "nt":
        env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", r"C:\Windows")
    if sys.platform.startswith("linux"):
        # glibc reserves 64 MB of address space per thread arena; under RLIMIT_AS a few
        # threads would eat the headroom.
        env["MALLOC_ARENA_MAX"] = "2"
    return env


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


async def wait_exit(proc: asyncio.subprocess.Process, timeout: float) -> int | None:
    """The exit code, or None if still running after ``timeout`` seconds.

    Polled: on Python 3.11 ``proc.wait()`` also waits for every pipe to close, which a
    process the model spawned may keep open long after the child itself exited.
    """
    deadline = time.monotonic() + timeout
    while proc.returncode is None and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    return proc.returncode
