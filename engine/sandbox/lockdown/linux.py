"""Linux lockdown of the REPL child: resource limits, prctl flags, Landlock, then seccomp.

Runs while the child is single-threaded, after the context is loaded and before any
model code. Each layer is applied independently and reported truthfully: a layer that
fails or is unavailable is named in ``missing`` with the reason, never skipped silently.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Any

from . import landlock, limits, seccomp

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
CAPSET_NR = {"x86_64": 126, "aarch64": 91}
CAPABILITY_VERSION_3 = 0x20080522

# Shared libraries that extension modules (ctypes, sqlite3, hashlib, ...) may load later.
LIBRARY_PATHS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib",
                 "/etc/ld.so.cache")
# Time zones, so time.localtime and zoneinfo keep working.
SYSTEM_DATA_PATHS = ("/etc/localtime", "/usr/share/zoneinfo")

LAYERS = ("resource_limits", "core_dumps_off", "parent_death_signal", "no_new_privs",
          "not_dumpable", "no_capabilities", "landlock", "landlock_network",
          "landlock_scoped", "seccomp")


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def prctl(option: int, value: int) -> bool:
    ulong = ctypes.c_ulong
    return bool(_libc().prctl(ctypes.c_int(option), ulong(value), ulong(0), ulong(0),
                              ulong(0)) == 0)


def effective_capabilities() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except (OSError, ValueError):
        pass
    return None


def drop_capabilities(arch: str | None) -> bool:
    """Drop every capability (it matters when the app runs as root); True when none are left."""
    if effective_capabilities() == 0:
        return True
    if arch is None:
        return False

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header, data = Header(CAPABILITY_VERSION_3, 0), (Data * 2)()
    _libc().syscall(ctypes.c_long(CAPSET_NR[arch]), ctypes.byref(header), ctypes.byref(data))
    return effective_capabilities() == 0


def mapped_library_dirs() -> list[str]:
    """Folders of the shared libraries this interpreter has loaded (say, a pyenv or conda
    libpython), so later ``dlopen`` calls find their neighbours."""
    dirs: dict[str, None] = {}
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                path = line.rstrip("\n").split(None, 5)[-1]
                if path.startswith("/") and ".so" in os.path.basename(path):
                    dirs[os.path.dirname(path)] = None
    except OSError:
        pass
    return list(dirs)


def read_allow_list(policy: dict[str, Any]) -> list[str]:
    """Everything the child may read after lockdown: the interpreter and its standard
    library, shared libraries, time zones, and what the host names (context, documents,
    the empty working folder, the child's own code)."""
    paths = [str(p) for p in policy.get("read", ())]
    paths += [p for p in sys.path if p]  # under -I -S: the stdlib, its zip, lib-dynload
    paths.append(os.path.dirname(os.__file__))
    paths.append(os.path.join(sys.base_prefix, "lib"))
    paths += LIBRARY_PATHS
    paths += mapped_library_dirs()
    paths += SYSTEM_DATA_PATHS
    return list(dict.fromkeys(paths))


def thread_count() -> int | None:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def apply(policy: dict[str, Any], expected_parent: int,
          disabled: set[str]) -> dict[str, Any]:
    """Apply every Linux layer not in ``disabled``; return layers, missing reasons, details."""
    layers = dict.fromkeys(LAYERS, False)
    missing: dict[str, str] = {}
    details: dict[str, Any] = {"landlock_abi": 0}
    # The host's death must end us: PDEATHSIG fires when the spawning thread exits.
    layers["parent_death_signal"] = prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != expected_parent:
        raise RuntimeError("host exited before the parent-death signal was armed")
    everything = "all" in disabled
    if everything or "limits" in disabled:
        missing["resource_limits"] = "disabled by the host (test switch)"
    else:
        applied, problems = limits.apply(policy)
        details["limits"] = applied
        details["memory_limit_bytes"] = applied.get("RLIMIT_AS")
        layers["core_dumps_off"] = applied.get("RLIMIT_CORE") == 0
        layers["resource_limits"] = not problems
        if problems:
            missing["resource_limits"] = "; ".join(problems)
    if everything:
        for name in ("landlock", "seccomp"):
            missing[name] = "disabled by the host (test switch)"
        return {"layers": layers, "missing": missing, **details}
    arch = seccomp.machine()
    layers["no_new_privs"] = prctl(PR_SET_NO_NEW_PRIVS, 1)
    layers["not_dumpable"] = prctl(PR_SET_DUMPABLE, 0)
    layers["no_capabilities"] = drop_capabilities(arch)
    if "landlock" in disabled:
        missing["landlock"] = "disabled by the host (test switch)"
    else:
        caps = [int(name.rsplit("_", 1)[1]) for name in disabled
                if name.startswith("landlock_abi_")]
        _apply_landlock(policy, layers, missing, details, min(caps) if caps else None)
    if "seccomp" in disabled:
        missing["seccomp"] = "disabled by the host (test switch)"
    elif arch is None:
        missing["seccomp"] = f"no filter for this architecture ({os.uname().machine})"
    elif not layers["no_new_privs"]:
        missing["seccomp"] = "no_new_privs could not be set"
    else:
        try:
            seccomp.install(seccomp.build_filter(arch, os.getpid(),
                                                 kill=seccomp.kill_action(arch)), arch)
            layers["seccomp"] = True
        except OSError as exc:
            missing["seccomp"] = f"the kernel refused the filter: {exc.strerror or exc}"
    return {"layers": layers, "missing": missing, **details}


def _apply_landlock(policy: dict[str, Any], layers: dict[str, bool], missing: dict[str, str],
                    details: dict[str, Any], abi_cap: int | None) -> None:
    abi, why = landlock.abi_version()
    details["landlock_abi_kernel"] = abi
    if abi and abi_cap is not None and abi_cap < abi:  # test switch: act as an older kernel
        abi = abi_cap
    details["landlock_abi"] = abi
    if not abi:
        missing["landlock"] = why
        return
    if not layers["no_new_privs"]:
        missing["landlock"] = "no_new_privs could not be set"
        return
    threads = thread_count()
    if threads != 1:  # restrict_self confines only the calling thread
        missing["landlock"] = f"the process was not single-threaded ({threads} threads)"
        return
    try:
        applied = landlock.restrict(read_allow_list(policy), abi)
    except OSError as exc:
        missing["landlock"] = str(exc)
        return
    layers["landlock"] = applied.fs
    layers["landlock_network"] = applied.net
    layers["landlock_scoped"] = applied.scoped
    if not applied.net:
        missing["landlock_network"] = f"Landlock ABI {abi} has no network rules (4 or newer)"
    if not applied.scoped:
        missing["landlock_scoped"] = f"Landlock ABI {abi} has no scoping (6 or newer)"
    details["read_allowed"] = applied.rules
