"""POSIX resource limits for the REPL child: memory, CPU time, file size, open files, threads."""

from __future__ import annotations

import os
import sys
from typing import Any

MIN_MEMORY_HEADROOM = 256 * 1024 * 1024  # above what the child already uses at lockdown
DEFAULT_THREAD_HEADROOM = 256


def current_vm_bytes() -> int | None:
    """This process's address-space size (Linux), or None where it cannot be read cheaply."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def system_threads() -> int | None:
    """Threads running on the whole machine (Linux /proc/loadavg), an upper bound for ours."""
    try:
        with open("/proc/loadavg", "rb") as fh:
            return int(fh.read().split()[3].split(b"/")[1])
    except (OSError, ValueError, IndexError):
        return None


def apply(policy: dict[str, Any]) -> tuple[dict[str, int | None], list[str]]:
    """Set the limits named in ``policy``; returns (what was set, problems)."""
    import resource

    applied: dict[str, int | None] = {}
    problems: list[str] = []

    def setlimit(name: str, soft: int, hard: int | None = None) -> None:
        which = getattr(resource, name, None)
        if which is None:
            return
        try:
            resource.setrlimit(which, (soft, soft if hard is None else hard))
            applied[name] = soft
        except (ValueError, OSError) as exc:
            problems.append(f"{name}: {exc}")

    setlimit("RLIMIT_CORE", 0)
    setlimit("RLIMIT_FSIZE", int(policy.get("file_size_bytes", 0)))
    setlimit("RLIMIT_NOFILE", int(policy.get("open_files", 256)))
    cpu = policy.get("cpu_seconds")
    if cpu:
        # SIGXCPU at the soft limit ends the process; the hard limit is the kill backstop.
        setlimit("RLIMIT_CPU", int(cpu), int(cpu) + 5)
    memory = policy.get("memory_bytes")
    if memory and sys.platform.startswith("linux"):  # macOS does not enforce RLIMIT_AS
        used = current_vm_bytes() or 0
        setlimit("RLIMIT_AS", max(int(memory), used + MIN_MEMORY_HEADROOM))
    if sys.platform.startswith("linux"):
        # Counted per user across the machine, so bound it above everything running now.
        # seccomp already stops fork; this bounds threads.
        running = system_threads()
        if running is not None:
            setlimit("RLIMIT_NPROC",
                     running + int(policy.get("thread_headroom", DEFAULT_THREAD_HEADROOM)))
    return applied, problems
