"""macOS lockdown of the REPL child: a generated deny-by-default ``sandbox-exec`` profile.

Written on paper and unit-tested for its text; not yet run on a Mac. The host wraps the
child's command in ``/usr/bin/sandbox-exec -p PROFILE`` (Seatbelt: deprecated as a
command, still what Chromium-era tools and Bazel use); the child then sets its resource
limits and the canaries in ``lockdown`` verify that files, sockets, fork and signals to
the host are refused. macOS does not enforce RLIMIT_AS: the host watches the child's
resident memory instead (``engine/sandbox/watchdog.py``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any

SANDBOX_EXEC = "/usr/bin/sandbox-exec"
# System locations the interpreter and its extension modules load from; dyld's shared
# cache lives under /System (and the Cryptexes volume on macOS 13+).
SYSTEM_READ_PATHS = ("/usr/lib", "/usr/share/zoneinfo", "/System/Library",
                     "/System/Volumes/Preboot/Cryptexes", "/private/var/db/timezone",
                     "/private/etc/localtime", "/dev/urandom", "/dev/random")


def quote(path: str) -> str:
    """A path as a Seatbelt (Scheme) string literal."""
    if any(ch in path for ch in "\0\n\r"):
        raise ValueError(f"path not allowed in a sandbox profile: {path!r}")
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def profile(read_paths: list[str], exec_paths: list[str]) -> str:
    """A deny-by-default profile: read-only access beneath ``read_paths`` (real paths,
    since Seatbelt matches resolved ones: /private/var, not /var), exec of the interpreter
    only, no network, no fork, signals to itself only."""
    reads = sorted(dict.fromkeys(os.path.realpath(p) for p in read_paths))
    lines = [
        "(version 1)",
        "(deny default)",
        ";; the interpreter, and nothing else, may be executed",
        *(f"(allow process-exec (literal {quote(os.path.realpath(p))}))" for p in exec_paths),
        ";; path lookups and stat work everywhere; contents only beneath the allow-list",
        "(allow file-read-metadata)",
        "(allow file-read*",
        *(f"    (subpath {quote(p)})" for p in reads),
        ")",
        "(allow sysctl-read)",
        "(allow process-info* (target self))",
        "(allow signal (target self))",
        ";; no network*, process-fork, file-write*, ipc* or mach-lookup rule: all denied",
    ]
    return "\n".join(lines) + "\n"


def wrap(command: list[str], read_paths: list[str]) -> list[str]:
    """``command`` run under the generated profile (its first item is the interpreter)."""
    python = command[0]
    execs = [python]
    framework_app = os.path.join(sys.base_prefix, "Resources", "Python.app", "Contents",
                                 "MacOS", "Python")
    if os.path.exists(framework_app):  # python.org framework builds re-exec this one
        execs.append(framework_app)
    return [SANDBOX_EXEC, "-p", profile(read_paths, execs), *command]


def available() -> bool:
    return sys.platform == "darwin" and os.path.exists(SANDBOX_EXEC)


def is_sandboxed() -> bool | None:
    """Whether Seatbelt confines this process (libsystem_sandbox's sandbox_check)."""
    if sys.platform != "darwin":
        return None
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("System") or "/usr/lib/libSystem.dylib")
        return bool(lib.sandbox_check(ctypes.c_int(os.getpid()), None, ctypes.c_int(0)))
    except (OSError, AttributeError):
        return None


def apply_child(policy: dict[str, Any], disabled: set[str]) -> dict[str, Any]:
    """Child side: resource limits; the profile was applied by the launcher."""
    from . import limits

    layers = {"resource_limits": False, "core_dumps_off": False, "sandbox_exec": False}
    missing: dict[str, str] = {}
    details: dict[str, Any] = {"memory_limit_bytes": None}
    if "all" in disabled or "limits" in disabled:
        missing["resource_limits"] = "disabled by the host (test switch)"
    else:
        applied, problems = limits.apply(policy)
        layers["core_dumps_off"] = applied.get("RLIMIT_CORE") == 0
        layers["resource_limits"] = not problems
        if problems:
            missing["resource_limits"] = "; ".join(problems)
    if policy.get("launcher") != "sandbox-exec":
        missing["sandbox_exec"] = "the host did not start the child under sandbox-exec"
    else:
        confined = is_sandboxed()
        layers["sandbox_exec"] = confined is not False
        if confined is False:
            missing["sandbox_exec"] = "sandbox-exec ran but the process is not confined"
    return {"layers": layers, "missing": missing, **details}
