"""Host-side readings of the REPL child: CPU time, resident memory and thread count.

Linux reads ``/proc/PID/stat``; macOS asks libproc (written on paper, not run here);
elsewhere the readings are None and the checks that need them are skipped.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import sys
from dataclasses import dataclass
from typing import Any

from engine.errors import FrameError

BUSY_WINDOW = 0.1   # seconds to watch threads left running after a cell
BUSY_SHARE = 0.05   # share of one core in that window that means "still computing" (an idle
                    # thread uses none; a spinning one on a loaded machine still gets far more)
MB = 1024 * 1024


class WatchdogBreach(FrameError):
    """The child broke a bound the host watches (memory, stderr volume, reading its input)."""


async def busy(pid: int, window: float = BUSY_WINDOW, share: float = BUSY_SHARE) -> bool:
    """Whether ``pid`` keeps a CPU at least ``share`` busy for ``window`` seconds."""
    loop = asyncio.get_running_loop()
    before, started = cpu_ns(pid), loop.time()
    await asyncio.sleep(window)
    after, elapsed = cpu_ns(pid), loop.time() - started
    return before is not None and after is not None and (after - before) / 1e9 >= share * elapsed


def over_memory(pid: int, limit: int) -> str | None:
    """Why ``pid`` is over its memory cap (resident memory), or None."""
    reading = sample(pid)
    if reading is None or reading.rss_bytes <= limit:
        return None
    return (f"the REPL process used {reading.rss_bytes / MB:,.0f} MB of memory, over its cap "
            f"of {limit / MB:,.0f} MB, and was stopped")


@dataclass(frozen=True)
class Sample:
    cpu_s: float       # user + system time of all threads
    rss_bytes: int
    threads: int


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def sample(pid: int) -> Sample | None:
    """The child's current figures, or None when they cannot be read (it exited, or the
    platform has no cheap way)."""
    if sys.platform.startswith("linux"):
        return _sample_linux(pid)
    if sys.platform == "darwin":
        return _sample_macos(pid)
    return None


def cpu_ns(pid: int) -> int | None:
    """CPU time of the live threads of ``pid`` in nanoseconds, finer than ``sample`` (whose
    clock ticks are 10 ms): Linux ``/proc/PID/task/*/schedstat``; macOS falls back to
    ``sample``; None elsewhere."""
    if sys.platform.startswith("linux"):
        total = 0
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return None
        for tid in tasks:
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as fh:
                    total += int(fh.read().split()[0])
            except (OSError, ValueError, IndexError):
                continue  # the thread ended meanwhile
        return total
    reading = sample(pid)
    return None if reading is None else int(reading.cpu_s * 1e9)


def _sample_linux(pid: int) -> Sample | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = data[data.rfind(b")") + 2:].split()
    try:
        utime, stime = int(fields[11]), int(fields[12])
        threads, rss_pages = int(fields[17]), int(fields[21])
    except (IndexError, ValueError):
        return None
    return Sample(cpu_s=(utime + stime) / _TICKS, rss_bytes=rss_pages * _PAGE, threads=threads)


class _TaskInfo(ctypes.Structure):
    _fields_ = [("virtual_size", ctypes.c_uint64), ("resident_size", ctypes.c_uint64),
                ("total_user", ctypes.c_uint64), ("total_system", ctypes.c_uint64),
                ("threads_user", ctypes.c_uint64), ("threads_system", ctypes.c_uint64),
                *[(name, ctypes.c_int32) for name in (
                    "policy", "faults", "pageins", "cow_faults", "messages_sent",
                    "messages_received", "syscalls_mach", "syscalls_unix", "csw",
                    "threadnum", "numrunning", "priority")]]


_MACOS: dict[str, Any] = {}
PROC_PIDTASKINFO = 4


def _sample_macos(pid: int) -> Sample | None:
    try:
        if not _MACOS:
            lib = ctypes.CDLL(ctypes.util.find_library("proc") or "/usr/lib/libproc.dylib")

            class Timebase(ctypes.Structure):
                _fields_ = [("numer", ctypes.c_uint32), ("denom", ctypes.c_uint32)]

            timebase = Timebase()
            ctypes.CDLL("/usr/lib/libSystem.dylib").mach_timebase_info(ctypes.byref(timebase))
            _MACOS.update(lib=lib, ns=timebase.numer / max(timebase.denom, 1))
        info = _TaskInfo()
        size = _MACOS["lib"].proc_pidinfo(ctypes.c_int(pid), PROC_PIDTASKINFO, ctypes.c_uint64(0),
                                          ctypes.byref(info), ctypes.sizeof(info))
        if size != ctypes.sizeof(info):
            return None
    except (OSError, AttributeError):
        return None
    ticks = info.total_user + info.total_system  # Mach absolute time units
    return Sample(cpu_s=ticks * _MACOS["ns"] / 1e9, rss_bytes=int(info.resident_size),
                  threads=int(info.threadnum))
