"""The host's watchdog: readings of the child, the memory watch where the kernel does not cap
memory, backpressure on call frames, the stderr cap, and leftover busy threads."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from engine.config import SandboxSettings
from engine.sandbox import host, watchdog
from engine.sandbox.host import CellResult, ReplProcess
from tests.engine.sandbox.support import FakeHandler

LINUX = sys.platform.startswith("linux")


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_sample_of_a_running_process() -> None:
    stop = threading.Event()
    spinner = threading.Thread(target=lambda: [None for _ in iter(stop.is_set, True)])
    spinner.start()
    try:
        first = watchdog.sample(os.getpid())
        time.sleep(0.2)
        second = watchdog.sample(os.getpid())
    finally:
        stop.set()
        spinner.join()
    assert first is not None and second is not None
    assert second.threads >= 2 and second.rss_bytes > 1024 * 1024
    assert second.cpu_s > first.cpu_s
    assert watchdog.sample(2**22 + 12345) is None  # no such process


def run(paths: tuple[Path, Path], *codes: str, **options: Any) -> tuple[list[CellResult], Any]:
    async def main() -> tuple[list[CellResult], Any]:
        async with ReplProcess(*paths, **options) as repl:
            return [await repl.run_cell(code) for code in codes], repl

    return asyncio.run(main())


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_memory_watch_where_the_kernel_does_not_cap(context_files: tuple[Path, Path]) -> None:
    # With resource limits off (as on macOS, where RLIMIT_AS is not enforced), the host
    # watches resident memory and stops the child past the cap.
    hog = "x = bytearray(600 * 2**20)\nimport time\ntime.sleep(30)"
    (hogged, after), repl = run(context_files, hog, "print('fresh')",
                                call_handler=FakeHandler(), cell_timeout=20,
                                sandbox=SandboxSettings(allow_unsandboxed=True, memory_mb=300),
                                simulate_missing=("limits",))
    assert repl.rss_limit == 300 * 1024 * 1024
    assert hogged.restarted and "over its cap of 300 MB" in (hogged.error or "")
    assert hogged.duration_s < 10
    assert after.output == "fresh\n"


def test_kernel_capped_children_are_not_polled(context_files: tuple[Path, Path]) -> None:
    (_,), repl = run(context_files, "1", call_handler=FakeHandler())
    if LINUX:
        assert repl.rss_limit is None  # RLIMIT_AS applies: no wake-ups to read memory


def test_call_frames_are_read_at_most_64_at_a_time(context_files: tuple[Path, Path]) -> None:
    handler = FakeHandler(delay=0.2)
    code = """
import os, sys, json
ch = sys.modules['__main__'].CHANNEL
for i in range(300):
    ch.send({'type': 'call', 'id': f'x{i}', 'op': 'llm_query',
             'args': {'prompt': str(i), 'model': None}})
import time
time.sleep(1.5)
"""
    (flood, after), _ = run(context_files, code, "print('ok')", call_handler=handler,
                            cell_timeout=10)
    assert handler.max_in_flight == host.MAX_INFLIGHT_CALLS
    assert after.output == "ok\n" and flood.error is None


def test_stderr_volume_is_capped(context_files: tuple[Path, Path]) -> None:
    code = "import os\nfor _ in range(100):\n    os.write(2, b'e' * 65536)\nprint('done')"
    (flood, after), _ = run(context_files, code, "print('again')", call_handler=FakeHandler(),
                            stderr_limit=1024 * 1024)
    assert flood.restarted and "more than 1 MB to its error stream" in (flood.error or "")
    assert after.output == "again\n"


def test_idle_background_threads_cost_nothing(context_files: tuple[Path, Path]) -> None:
    code = ("import threading, time\n"
            "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\nkept = 3")
    (started, kept), _ = run(context_files, code, "kept", call_handler=FakeHandler())
    assert not started.restarted and started.error is None
    assert kept.output == "3\n" and not kept.restarted


def test_busy_background_thread_restarts_the_repl(context_files: tuple[Path, Path]) -> None:
    code = ("import threading\nkept = 3\n"
            "threading.Thread(target=lambda: [0 for _ in iter(int, 1)], daemon=True).start()")
    (started, lost), _ = run(context_files, code, "kept", call_handler=FakeHandler())
    assert started.error is None and not started.restarted  # the engine goes on at once
    assert lost.restarted and "kept running in 1 background thread(s)" in lost.output
    assert lost.error is not None and "NameError" in lost.error
