"""Landlock for the REPL child through raw syscalls (stdlib ctypes; Linux 5.13+).

Why not ``landlockpy``: the child runs ``python -I -S`` and cannot import from
site-packages; the three syscalls and two structs are short enough to own and test.

A ruleset handles every filesystem right the kernel's ABI knows, so anything not granted
by a rule is denied; rules grant read-only access beneath a few paths. Where the ABI
allows, TCP bind/connect are handled with no rule (so denied) and signals and abstract
Unix sockets are scoped to the sandbox. Files opened before ``restrict`` keep working.
"""

from __future__ import annotations

import ctypes
import os
import stat
from typing import Any

NR_CREATE_RULESET = 444  # the same on every architecture (syscalls numbered after 403)
NR_ADD_RULE = 445
NR_RESTRICT_SELF = 446
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_TRUNCATE = 1 << 14
FS_IOCTL_DEV = 1 << 15
NET_BIND_TCP = 1 << 0
NET_CONNECT_TCP = 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
SCOPE_SIGNAL = 1 << 1


def fs_rights(abi: int) -> int:
    """Every filesystem right known to ``abi``: 1 has 13, 2 adds REFER, 3 TRUNCATE, 5 IOCTL_DEV."""
    if abi < 1:
        return 0
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= 1 << 13
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def net_rights(abi: int) -> int:
    return NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0


def scopes(abi: int) -> int:
    return SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall(*args: Any) -> tuple[int, int]:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(*args)
    return int(result), ctypes.get_errno()


def abi_version() -> tuple[int, str]:
    """(ABI version, reason when 0): 0 means Landlock is unavailable."""
    result, err = _syscall(ctypes.c_long(NR_CREATE_RULESET), None, ctypes.c_size_t(0),
                           ctypes.c_uint32(CREATE_RULESET_VERSION))
    if result >= 1:
        return result, ""
    if err == 38:  # ENOSYS
        return 0, "the kernel has no Landlock (Linux 5.13 or newer is needed)"
    if err == 95:  # EOPNOTSUPP
        return 0, "Landlock is built into the kernel but not enabled at boot (lsm=...)"
    return 0, f"Landlock ABI query failed: {os.strerror(err)}"


class Applied:
    """What ``restrict`` did (a plain class: dataclasses would cost the child 15 ms)."""

    def __init__(self) -> None:
        self.fs = self.net = self.scoped = False
        self.rules: list[str] = []
        self.skipped: list[str] = []  # allow-list paths that do not exist


def restrict(read_paths: list[str], abi: int) -> Applied:
    """Confine this thread (the process must still be single-threaded) to reading
    ``read_paths``; raises OSError if the kernel refuses. Needs no_new_privs first."""
    handled = fs_rights(abi)
    attr = _RulesetAttr(handled, net_rights(abi), scopes(abi))
    ruleset, err = _syscall(ctypes.c_long(NR_CREATE_RULESET), ctypes.byref(attr),
                            ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(err, f"landlock_create_ruleset: {os.strerror(err)}")
    applied = Applied()
    try:
        for path in dict.fromkeys(read_paths):
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                applied.skipped.append(path)
                continue
            try:
                is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
                access = (FS_READ_FILE | FS_READ_DIR) if is_dir else FS_READ_FILE
                rule = _PathBeneathAttr(access & handled, fd)
                result, err = _syscall(ctypes.c_long(NR_ADD_RULE), ctypes.c_int(ruleset),
                                       ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule),
                                       ctypes.c_uint32(0))
                if result != 0:
                    raise OSError(err, f"landlock_add_rule({path}): {os.strerror(err)}")
                applied.rules.append(path)
            finally:
                os.close(fd)
        result, err = _syscall(ctypes.c_long(NR_RESTRICT_SELF), ctypes.c_int(ruleset),
                               ctypes.c_uint32(0))
        if result != 0:
            raise OSError(err, f"landlock_restrict_self: {os.strerror(err)}")
    finally:
        os.close(ruleset)
    applied.fs, applied.net, applied.scoped = True, abi >= 4, abi >= 6
    return applied
