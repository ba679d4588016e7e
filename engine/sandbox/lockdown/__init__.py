"""Child-side lockdown: apply the operating system's isolation, verify it, report it.

Standard library only: the REPL child imports this package (from its own folder, with
``-I -S``) before any model code runs. One module per operating system does the work
(``linux``, ``macos``, ``windows``); this module checks the result with canaries (an
open of a file outside the allow-list, a socket, a fork, a signal to the host) and turns
it into the status the host reads from the ready frame. Isolation is claimed only when
the layer says it is on *and* its canary was denied. On Linux a second signal canary
sets the host as a pipe's SIGIO owner: the route around ``kill`` that only seccomp closes
on kernels before Landlock ABI 6.
"""

from __future__ import annotations

import errno
import os
import sys
import time
from typing import Any

DENIED_ERRNOS = (errno.EPERM, errno.EACCES)
ISOLATION = ("filesystem", "network", "process")
# What must be denied before process isolation is claimed (Windows: denied_spawn); Linux
# also needs its SIGIO-owner canary.
PROCESS_CANARIES = ("denied_fork", "denied_signal")


def platform_name() -> str:
    if sys.platform.startswith("linux"):
        return "linux"
    return {"darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform)


def lockdown(policy: dict[str, Any], expected_parent: int) -> dict[str, Any]:
    """Apply what isolation this OS has, verify it, and describe it (never raises for a
    missing layer; raises only when the host is already gone)."""
    started = time.perf_counter()
    disabled = set(policy.get("simulate_missing") or ())
    platform = platform_name()
    if platform == "linux":
        from . import linux
        report = linux.apply(policy, expected_parent, disabled)
        claims = {"filesystem": report["layers"]["landlock"],
                  "network": report["layers"]["seccomp"],
                  "process": report["layers"]["seccomp"]}
    elif platform == "macos":
        from . import macos
        report = macos.apply_child(policy, disabled)
        claims = dict.fromkeys(ISOLATION, report["layers"]["sandbox_exec"])
    elif platform == "windows":
        from . import windows
        report = windows.apply_child(policy, disabled)
        claims = {"filesystem": False, "network": False,
                  "process": report["layers"]["job_object"]}
    else:
        report = {"layers": {}, "missing": {"sandbox": f"no lockdown for {sys.platform}"}}
        claims = dict.fromkeys(ISOLATION, False)
    # With every layer switched off (a test or benchmark baseline) nothing is claimed, so
    # there is nothing to verify.
    checks = {} if "all" in disabled else run_canaries(policy, platform)
    return summarize(platform, report, claims, checks, time.perf_counter() - started)


# --- canaries ------------------------------------------------------------------------------

def _denied(exc: OSError) -> bool | None:
    return True if exc.errno in DENIED_ERRNOS else None


def denied_open(path: str | None) -> bool | None:
    """True when reading a file outside the allow-list is refused; None if unknowable."""
    if not path:
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        return _denied(exc)
    os.close(fd)
    return False


def denied_socket() -> bool | None:
    import _socket
    try:
        sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    except OSError as exc:
        return _denied(exc)
    sock.close()
    return False


def denied_fork() -> bool | None:
    if not hasattr(os, "fork"):
        return None
    try:
        pid = os.fork()
    except OSError as exc:
        return _denied(exc)
    if pid == 0:  # the canary got through: leave at once
        os._exit(0)
    os.waitpid(pid, 0)
    return False


def denied_signal() -> bool | None:
    """True when even a null signal to the host is refused."""
    try:
        os.kill(os.getppid(), 0)
    except PermissionError:
        return True
    except OSError:
        return None
    return False


def denied_signal_owner() -> bool | None:
    """True when a pipe cannot be given the host as its signal owner, by ``fcntl`` nor by
    ``ioctl``. The pipe never gets O_ASYNC, so even a failed canary signals nobody. Through
    ctypes, which the Linux lockdown has loaded: importing ``fcntl`` here cost 0.3 ms."""
    import ctypes

    f_setown, fiosetown = 8, 0x8901
    libc = ctypes.CDLL(None, use_errno=True)
    owner = ctypes.c_int(os.getppid())
    read_end, write_end = os.pipe()
    results: list[bool | None] = []
    try:
        for result in (libc.fcntl(read_end, f_setown, owner),
                       libc.ioctl(write_end, ctypes.c_ulong(fiosetown), ctypes.byref(owner))):
            if result == 0:
                results.append(False)
            else:
                results.append(True if ctypes.get_errno() in DENIED_ERRNOS else None)
    finally:
        os.close(read_end)
        os.close(write_end)
    if False in results:
        return False
    return True if all(results) else None


def denied_spawn_windows() -> bool | None:
    """Windows: True when the job object refuses a second process."""
    if sys.platform != "win32":
        return None
    import _winapi

    # The installers' bundle has no python: its executable prints its version and exits.
    argument = "--version" if getattr(sys, "frozen", False) else "-c pass"
    try:
        handles = _winapi.CreateProcess(sys.executable, f'"{sys.executable}" {argument}', None,
                                        None, False, 0x08000000, None, None, None)
    except OSError:
        return True
    _winapi.TerminateProcess(handles[0], 1)
    for handle in handles[:2]:
        _winapi.CloseHandle(handle)
    return False


def run_canaries(policy: dict[str, Any], platform: str) -> dict[str, bool | None]:
    checks = {"denied_open": denied_open(policy.get("probe")), "denied_socket": denied_socket()}
    if platform == "windows":
        checks["denied_spawn"] = denied_spawn_windows()
    else:
        checks["denied_fork"] = denied_fork()
        checks["denied_signal"] = denied_signal()
    if platform == "linux":
        checks["denied_signal_owner"] = denied_signal_owner()
    return checks


# --- the status ----------------------------------------------------------------------------

def summarize(platform: str, report: dict[str, Any], claims: dict[str, bool],
              checks: dict[str, bool | None], elapsed: float) -> dict[str, Any]:
    """The ``lockdown`` dict of the ready frame (keys: see engine/sandbox/policy.py)."""
    needed = PROCESS_CANARIES + (("denied_signal_owner",) if platform == "linux" else ())
    process = (all(checks.get(name) is True for name in needed)
               if "denied_fork" in checks else checks.get("denied_spawn") is True)
    canary = {"filesystem": checks.get("denied_open") is True,
              "network": checks.get("denied_socket") is True, "process": process}
    isolation = {k: bool(claims.get(k)) and canary[k] for k in ISOLATION}
    missing = dict(report.get("missing", {}))
    for kind in ISOLATION:
        if claims.get(kind) and not canary[kind]:
            missing[f"{kind}_check"] = (f"the {kind} layer reported itself active but its "
                                        "check was not denied")
    enforced = all(isolation.values())
    if enforced:
        note = "files, network and other processes are out of reach of model code"
    else:
        lacking = ", ".join(k for k in ISOLATION if not isolation[k])
        note = f"no {lacking} isolation"
        if missing:
            note += " (" + "; ".join(f"{k}: {v}" for k, v in missing.items()) + ")"
    status = {"platform": platform, "enforced": enforced, "layers": dict(report["layers"]),
              "isolation": isolation, "checks": checks, "missing": missing, "note": note,
              "lockdown_s": round(elapsed, 6)}
    status.update({k: v for k, v in report.items() if k not in ("layers", "missing")})
    return status
