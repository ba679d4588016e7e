"""A seccomp-BPF filter for the REPL child, hand-assembled in classic BPF (stdlib only).

Why hand-assembled: the child runs ``python -I -S`` and cannot import ``pyseccomp`` (or
load libseccomp) from site-packages, and the filter is small enough to read and test
instruction by instruction (``tests/engine/sandbox/bpf.py`` runs it in a BPF interpreter).

The filter allows by default and denies what could reach outside the process: creating
sockets, starting programs or processes (``clone`` without ``CLONE_THREAD``), tracing,
signalling or reading other processes, namespaces and mounts, kernel interfaces (bpf,
perf, io_uring, keyrings, modules), System V / POSIX IPC, changing file modes or owners,
truncating files. Files themselves are Landlock's job. Syscalls of a foreign
architecture (i386 or x32 on x86_64, arm32 on aarch64) kill the process; syscalls newer
than this table answer ENOSYS so libraries fall back as they do on older kernels.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

# --- constants -------------------------------------------------------------------------

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000
FIRST_UNKNOWN_NR = 470      # everything from here on is newer than this table: ENOSYS

SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_KILL_THREAD = 0x00000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
EPERM = 1
ENOSYS = 38

# classic BPF opcodes
LD_W_ABS = 0x20   # BPF_LD | BPF_W | BPF_ABS
JEQ_K = 0x15      # BPF_JMP | BPF_JEQ | BPF_K
JGE_K = 0x35      # BPF_JMP | BPF_JGE | BPF_K
JSET_K = 0x45     # BPF_JMP | BPF_JSET | BPF_K
RET_K = 0x06      # BPF_RET | BPF_K

# offsets in struct seccomp_data (both supported architectures are little-endian)
OFF_NR = 0
OFF_ARCH = 4


def arg_low(index: int) -> int:
    """Offset of the low 32 bits of syscall argument ``index``."""
    return 16 + 8 * index


CLONE_THREAD = 0x00010000
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET (NEWTIME only exists in
# clone3, which is not implemented here; in clone's low byte sits the exit signal)
CLONE_NEW_ANY = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x60000000
O_TRUNC = 0o1000  # same value on x86_64 and aarch64
PR_SET_DUMPABLE = 4
PR_SET_MM = 35
PR_SET_PTRACER = 0x59616D61
TIOCSTI = 0x5412
TIOCLINUX = 0x541C

# Syscall numbers: arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h
# (aarch64). Numbers from 403 up are the same on every architecture.
_COMMON = {
    "pidfd_send_signal": 424, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "pidfd_open": 434, "clone3": 435,
    "openat2": 437, "pidfd_getfd": 438, "process_madvise": 440, "mount_setattr": 442,
    "quotactl_fd": 443, "memfd_secret": 447, "process_mrelease": 448, "fchmodat2": 452,
    "setxattrat": 463, "removexattrat": 466, "open_tree_attr": 467, "file_setattr": 469,
}
SYSCALLS: dict[str, dict[str, int]] = {
    "x86_64": {
        "open": 2, "ioctl": 16, "shmget": 29, "shmat": 30, "shmctl": 31, "socket": 41,
        "connect": 42, "accept": 43, "bind": 49, "listen": 50, "socketpair": 53, "clone": 56,
        "fork": 57, "vfork": 58, "execve": 59, "kill": 62, "semget": 64, "semop": 65,
        "semctl": 66, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "truncate": 76,
        "creat": 85, "chmod": 90, "fchmod": 91, "chown": 92, "fchown": 93, "lchown": 94,
        "ptrace": 101, "syslog": 103, "capset": 126, "rt_sigqueueinfo": 129, "utime": 132,
        "uselib": 134, "personality": 135, "setpriority": 141, "sched_setparam": 142,
        "sched_setscheduler": 144, "vhangup": 153, "modify_ldt": 154, "pivot_root": 155,
        "prctl": 157, "adjtimex": 159, "chroot": 161, "acct": 163, "settimeofday": 164,
        "mount": 165, "umount2": 166, "swapon": 167, "swapoff": 168, "reboot": 169,
        "sethostname": 170, "setdomainname": 171, "iopl": 172, "ioperm": 173,
        "init_module": 175, "delete_module": 176, "quotactl": 179, "setxattr": 188,
        "lsetxattr": 189, "fsetxattr": 190, "removexattr": 197, "lremovexattr": 198,
        "fremovexattr": 199, "tkill": 200, "sched_setaffinity": 203, "lookup_dcookie": 212,
        "semtimedop": 220, "clock_settime": 227, "tgkill": 234, "utimes": 235, "mq_open": 240,
        "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244,
        "mq_getsetattr": 245, "kexec_load": 246, "add_key": 248, "request_key": 249,
        "keyctl": 250, "ioprio_set": 251, "inotify_init": 253, "migrate_pages": 256,
        "openat": 257, "fchownat": 260, "futimesat": 261, "fchmodat": 268, "unshare": 272,
        "move_pages": 279, "utimensat": 280, "accept4": 288, "inotify_init1": 294,
        "rt_tgsigqueueinfo": 297, "perf_event_open": 298, "fanotify_init": 300,
        "fanotify_mark": 301, "prlimit64": 302, "name_to_handle_at": 303,
        "open_by_handle_at": 304, "clock_adjtime": 305, "setns": 308, "process_vm_readv": 310,
        "process_vm_writev": 311, "kcmp": 312, "finit_module": 313, "sched_setattr": 314,
        "seccomp": 317, "memfd_create": 319, "kexec_file_load": 320, "bpf": 321,
        "execveat": 322, "userfaultfd": 323, **_COMMON,
    },
    "aarch64": {
        "setxattr": 5, "lsetxattr": 6, "fsetxattr": 7, "removexattr": 14, "lremovexattr": 15,
        "fremovexattr": 16, "lookup_dcookie": 18, "inotify_init1": 26, "ioctl": 29,
        "ioprio_set": 30, "umount2": 39, "mount": 40, "pivot_root": 41, "truncate": 45,
        "chroot": 51, "fchmod": 52, "fchmodat": 53, "fchownat": 54, "fchown": 55, "openat": 56,
        "vhangup": 58, "quotactl": 60, "utimensat": 88, "acct": 89, "capset": 91,
        "personality": 92, "unshare": 97, "kexec_load": 104, "init_module": 105,
        "delete_module": 106, "clock_settime": 112, "syslog": 116, "ptrace": 117,
        "sched_setparam": 118, "sched_setscheduler": 119, "sched_setaffinity": 122,
        "kill": 129, "tkill": 130, "tgkill": 131, "rt_sigqueueinfo": 138, "setpriority": 140,
        "reboot": 142, "sethostname": 161, "setdomainname": 162, "prctl": 167,
        "settimeofday": 170, "adjtimex": 171, "mq_open": 180, "mq_unlink": 181,
        "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184, "mq_getsetattr": 185,
        "msgget": 186, "msgctl": 187, "msgrcv": 188, "msgsnd": 189, "semget": 190,
        "semctl": 191, "semtimedop": 192, "semop": 193, "shmget": 194, "shmctl": 195,
        "shmat": 196, "socket": 198, "socketpair": 199, "bind": 200, "listen": 201,
        "accept": 202, "connect": 203, "add_key": 217, "request_key": 218, "keyctl": 219,
        "clone": 220, "execve": 221, "swapon": 224, "swapoff": 225, "migrate_pages": 238,
        "move_pages": 239, "rt_tgsigqueueinfo": 240, "perf_event_open": 241, "accept4": 242,
        "prlimit64": 261, "fanotify_init": 262, "fanotify_mark": 263,
        "name_to_handle_at": 264, "open_by_handle_at": 265, "clock_adjtime": 266,
        "setns": 268, "process_vm_readv": 270, "process_vm_writev": 271, "kcmp": 272,
        "finit_module": 273, "sched_setattr": 274, "seccomp": 277, "memfd_create": 279,
        "bpf": 280, "execveat": 281, "userfaultfd": 282, "kexec_file_load": 294, **_COMMON,
    },
}

# What is denied outright, by purpose. Names missing on an architecture (fork on aarch64)
# simply do not exist there.
DENIED_GROUPS: dict[str, tuple[str, ...]] = {
    "network": ("socket", "socketpair", "connect", "bind", "listen", "accept", "accept4"),
    "processes": ("fork", "vfork", "execve", "execveat", "tkill", "pidfd_send_signal",
                  "pidfd_open", "pidfd_getfd"),
    "other processes": ("ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
                        "process_madvise", "process_mrelease", "move_pages", "migrate_pages",
                        "setpriority", "sched_setaffinity", "sched_setscheduler",
                        "sched_setparam", "sched_setattr", "ioprio_set"),
    "namespaces and mounts": ("unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
                              "open_tree", "open_tree_attr", "move_mount", "fsopen", "fsconfig",
                              "fsmount", "fspick", "mount_setattr"),
    "kernel interfaces": ("bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key",
                          "request_key", "io_uring_setup", "io_uring_enter",
                          "io_uring_register", "personality", "init_module", "finit_module",
                          "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon",
                          "swapoff", "acct", "quotactl", "quotactl_fd", "syslog", "iopl",
                          "ioperm", "modify_ldt", "uselib", "vhangup", "sethostname",
                          "setdomainname", "settimeofday", "clock_settime", "clock_adjtime",
                          "adjtimex", "lookup_dcookie", "memfd_create", "memfd_secret",
                          "inotify_init", "inotify_init1", "fanotify_init", "fanotify_mark"),
    "files by handle, modes, owners": ("open_by_handle_at", "name_to_handle_at", "chmod",
                                       "fchmod", "fchmodat", "fchmodat2", "chown", "fchown",
                                       "lchown", "fchownat", "utime", "utimes", "utimensat",
                                       "futimesat", "setxattr", "lsetxattr", "fsetxattr",
                                       "setxattrat", "removexattr", "lremovexattr",
                                       "fremovexattr", "removexattrat", "file_setattr",
                                       "truncate", "creat"),
    "shared memory and message queues": ("shmget", "shmat", "shmctl", "semget", "semop",
                                         "semctl", "semtimedop", "msgget", "msgsnd", "msgrcv",
                                         "msgctl", "mq_open", "mq_unlink", "mq_timedsend",
                                         "mq_timedreceive", "mq_notify", "mq_getsetattr"),
}
DENIED = tuple(name for group in DENIED_GROUPS.values() for name in group)
# "Not implemented": glibc falls back (clone3 -> clone, which is then checked by its flags).
NOT_IMPLEMENTED = ("clone3", "openat2")

Instruction = tuple[int, int, int, int]  # (code, jt, jf, k)


def machine() -> str | None:
    """The architecture name used by the tables, or None when this filter does not know it."""
    name = os.uname().machine
    name = {"amd64": "x86_64", "arm64": "aarch64"}.get(name, name)
    return name if name in SYSCALLS else None


def _ret(value: int) -> Instruction:
    return (RET_K, 0, 0, value)


def _load(offset: int) -> Instruction:
    return (LD_W_ABS, 0, 0, offset)


def _only_if(nr: int, body: list[Instruction]) -> list[Instruction]:
    """Run ``body`` (which must end in returns on every path) only for syscall ``nr``."""
    if len(body) > 255:
        raise ValueError("rule too long for a BPF jump")
    return [(JEQ_K, 0, len(body), nr), *body]


def _arg_in(nr: int, offset: int, values: list[int], match: int, other: int) -> list[Instruction]:
    """Return ``match`` when the 32-bit argument at ``offset`` is one of ``values``."""
    body: list[Instruction] = [_load(offset)]
    for i, value in enumerate(values):
        remaining = len(values) - i - 1
        body.append((JEQ_K, remaining + 1, 0, value))  # jump to the "match" return
    body += [_ret(other), _ret(match)]
    return _only_if(nr, body)


def _flag_set(nr: int, offset: int, flag: int, when_set: int, otherwise: int) -> list[Instruction]:
    return _only_if(nr, [_load(offset), (JSET_K, 0, 1, flag), _ret(when_set), _ret(otherwise)])


def build_filter(arch: str, own_pid: int, *, kill: int = SECCOMP_RET_KILL_PROCESS
                 ) -> list[Instruction]:
    """The filter program for ``arch``; signals are allowed only towards ``own_pid``."""
    table = SYSCALLS[arch]
    allow = SECCOMP_RET_ALLOW
    deny = SECCOMP_RET_ERRNO | EPERM
    missing = SECCOMP_RET_ERRNO | ENOSYS
    prog: list[Instruction] = [
        _load(OFF_ARCH), (JEQ_K, 1, 0, AUDIT_ARCH[arch]), _ret(kill),
        _load(OFF_NR),
    ]
    if arch == "x86_64":  # x32 syscalls share the x86_64 audit arch: kill them too
        prog += [(JGE_K, 0, 1, X32_SYSCALL_BIT), _ret(kill)]
    prog += [(JGE_K, 0, 1, FIRST_UNKNOWN_NR), _ret(missing)]
    # clone: threads only (CLONE_THREAD set, no new namespaces); fork-style clones are denied.
    prog += _only_if(table["clone"], [
        _load(arg_low(0)), (JSET_K, 0, 2, CLONE_THREAD), (JSET_K, 1, 0, CLONE_NEW_ANY),
        _ret(allow), _ret(deny)])
    # signals and limits: towards this process only
    for name in ("kill", "rt_sigqueueinfo", "tgkill", "rt_tgsigqueueinfo"):
        prog += _arg_in(table[name], arg_low(0), [own_pid], allow, deny)
    prog += _arg_in(table["prlimit64"], arg_low(0), [0, own_pid], allow, deny)
    prog += _arg_in(table["prctl"], arg_low(0), [PR_SET_DUMPABLE, PR_SET_MM, PR_SET_PTRACER],
                    deny, allow)
    prog += _arg_in(table["ioctl"], arg_low(1), [TIOCSTI, TIOCLINUX], deny, allow)
    # opening with O_TRUNC would empty a readable file on kernels whose Landlock predates
    # the truncate right (ABI < 3)
    if "open" in table:
        prog += _flag_set(table["open"], arg_low(1), O_TRUNC, deny, allow)
    prog += _flag_set(table["openat"], arg_low(2), O_TRUNC, deny, allow)
    for name in NOT_IMPLEMENTED:
        prog += [(JEQ_K, 0, 1, table[name]), _ret(missing)]
    for name in DENIED:
        if name in table:
            prog += [(JEQ_K, 0, 1, table[name]), _ret(deny)]
    prog.append(_ret(allow))
    return prog


# --- installing --------------------------------------------------------------------------

class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


SECCOMP_NR = {"x86_64": 317, "aarch64": 277}
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_GET_ACTION_AVAIL = 2
SECCOMP_FILTER_FLAG_TSYNC = 1


def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def kill_action(arch: str) -> int:
    """KILL_PROCESS where the kernel has it (4.14+), else KILL_THREAD."""
    action = ctypes.c_uint32(SECCOMP_RET_KILL_PROCESS)
    result = _libc().syscall(ctypes.c_long(SECCOMP_NR[arch]),
                             ctypes.c_long(SECCOMP_GET_ACTION_AVAIL), ctypes.c_long(0),
                             ctypes.byref(action))
    return SECCOMP_RET_KILL_PROCESS if result == 0 else SECCOMP_RET_KILL_THREAD


def install(program: list[Instruction], arch: str) -> None:
    """Load ``program`` for every thread of this process (no_new_privs must be set)."""
    array = (_SockFilter * len(program))(*[_SockFilter(*ins) for ins in program])
    fprog = _SockFprog(len(program), ctypes.cast(array, ctypes.POINTER(_SockFilter)))
    result = _libc().syscall(ctypes.c_long(SECCOMP_NR[arch]),
                             ctypes.c_long(SECCOMP_SET_MODE_FILTER),
                             ctypes.c_long(SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(fprog))
    if result != 0:
        err = ctypes.get_errno()
        if result > 0:
            raise OSError(0, f"thread {result} could not be synchronised")
        raise OSError(err, os.strerror(err))
