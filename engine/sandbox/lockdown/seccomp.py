"""A seccomp-BPF filter for the REPL child, hand-assembled in classic BPF (stdlib only).

Why hand-assembled: the child runs ``python -I -S`` and cannot import ``pyseccomp`` (or
load libseccomp) from site-packages, and the filter is small enough to read and test
instruction by instruction (``tests/engine/sandbox/bpf.py`` runs it in a BPF interpreter).

The filter allows only the syscalls named in its table and denies, among those, what could
reach outside the process: creating sockets, starting programs or processes (``clone``
without ``CLONE_THREAD``), tracing, signalling or reading other processes (``kill`` and
also SIGIO owners set through ``fcntl``/``ioctl``), namespaces, mounts and the mount table,
kernel interfaces (bpf, perf, io_uring, keyrings, modules, LSM attributes), System V /
POSIX IPC, changing file modes or owners, truncating files. Files themselves are
Landlock's job. Syscalls of a foreign architecture (i386 or x32 on x86_64, arm32 on
aarch64) kill the process; numbers the table does not name (newer syscalls, gaps) answer
ENOSYS so libraries fall back as they do on older kernels.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

# --- constants -------------------------------------------------------------------------

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000

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
# Who gets SIGIO (or the F_SETSIG signal) when a descriptor is ready: the kernel signals that
# owner itself, so kill()'s pid check never sees it. Only Landlock ABI 6 (Linux 6.12) scopes
# these signals; below it the filter is what stops them. Leases and dnotify signal too.
F_SETLEASE, F_NOTIFY, F_SETOWN, F_SETSIG, F_SETOWN_EX = 1024, 1026, 8, 10, 15
FCNTL_SIGNALLING = (F_SETOWN, F_SETOWN_EX, F_SETSIG, F_SETLEASE, F_NOTIFY)
FIOSETOWN, SIOCSPGRP = 0x8901, 0x8902
IOCTL_DENIED = (TIOCSTI, TIOCLINUX, FIOSETOWN, SIOCSPGRP)

# Every syscall of each architecture as of Linux 6.18, in number order ("-": no syscall has
# that number). Sources: arch/x86/entry/syscalls/syscall_64.tbl (x86_64) and
# include/uapi/asm-generic/unistd.h (aarch64); from 424 on the numbers are shared. The filter
# allows only numbers named here, so a syscall added by a newer kernel answers ENOSYS until
# someone reads what it does and files it here. tests/engine/sandbox/test_seccomp.py checks
# every name and number against the installed kernel headers. aarch64 has nothing at
# 244-259 (kept for architecture-specific calls; arm64 defines none).
_X86_64 = """
    read write open close stat fstat lstat poll lseek mmap mprotect munmap brk
    rt_sigaction rt_sigprocmask rt_sigreturn ioctl pread64 pwrite64 readv writev access
    pipe select sched_yield mremap msync mincore madvise shmget shmat shmctl dup dup2
    pause nanosleep getitimer alarm setitimer getpid sendfile socket connect accept
    sendto recvfrom sendmsg recvmsg shutdown bind listen getsockname getpeername
    socketpair setsockopt getsockopt clone fork vfork execve exit wait4 kill uname
    semget semop semctl shmdt msgget msgsnd msgrcv msgctl fcntl flock fsync fdatasync
    truncate ftruncate getdents getcwd chdir fchdir rename mkdir rmdir creat link unlink
    symlink readlink chmod fchmod chown fchown lchown umask gettimeofday getrlimit
    getrusage sysinfo times ptrace getuid syslog getgid setuid setgid geteuid getegid
    setpgid getppid getpgrp setsid setreuid setregid getgroups setgroups setresuid
    getresuid setresgid getresgid getpgid setfsuid setfsgid getsid capget capset
    rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack utime mknod
    uselib personality ustat statfs fstatfs sysfs getpriority setpriority sched_setparam
    sched_getparam sched_setscheduler sched_getscheduler sched_get_priority_max
    sched_get_priority_min sched_rr_get_interval mlock munlock mlockall munlockall
    vhangup modify_ldt pivot_root _sysctl prctl arch_prctl adjtimex setrlimit chroot
    sync acct settimeofday mount umount2 swapon swapoff reboot sethostname setdomainname
    iopl ioperm create_module init_module delete_module get_kernel_syms query_module
    quotactl nfsservctl getpmsg putpmsg afs_syscall tuxcall security gettid readahead
    setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr llistxattr
    flistxattr removexattr lremovexattr fremovexattr tkill time futex sched_setaffinity
    sched_getaffinity set_thread_area io_setup io_destroy io_getevents io_submit
    io_cancel get_thread_area lookup_dcookie epoll_create epoll_ctl_old epoll_wait_old
    remap_file_pages getdents64 set_tid_address restart_syscall semtimedop fadvise64
    timer_create timer_settime timer_gettime timer_getoverrun timer_delete clock_settime
    clock_gettime clock_getres clock_nanosleep exit_group epoll_wait epoll_ctl tgkill
    utimes vserver mbind set_mempolicy get_mempolicy mq_open mq_unlink mq_timedsend
    mq_timedreceive mq_notify mq_getsetattr kexec_load waitid add_key request_key keyctl
    ioprio_set ioprio_get inotify_init inotify_add_watch inotify_rm_watch migrate_pages
    openat mkdirat mknodat fchownat futimesat newfstatat unlinkat renameat linkat
    symlinkat readlinkat fchmodat faccessat pselect6 ppoll unshare set_robust_list
    get_robust_list splice tee sync_file_range vmsplice move_pages utimensat epoll_pwait
    signalfd timerfd_create eventfd fallocate timerfd_settime timerfd_gettime accept4
    signalfd4 eventfd2 epoll_create1 dup3 pipe2 inotify_init1 preadv pwritev
    rt_tgsigqueueinfo perf_event_open recvmmsg fanotify_init fanotify_mark prlimit64
    name_to_handle_at open_by_handle_at clock_adjtime syncfs sendmmsg setns getcpu
    process_vm_readv process_vm_writev kcmp finit_module sched_setattr sched_getattr
    renameat2 seccomp getrandom memfd_create kexec_file_load bpf execveat userfaultfd
    membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc
    pkey_free statx io_pgetevents rseq uretprobe uprobe
"""
_AARCH64 = """
    io_setup io_destroy io_submit io_cancel io_getevents setxattr lsetxattr fsetxattr
    getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr
    lremovexattr fremovexattr getcwd lookup_dcookie eventfd2 epoll_create1 epoll_ctl
    epoll_pwait dup dup3 fcntl inotify_init1 inotify_add_watch inotify_rm_watch ioctl
    ioprio_set ioprio_get flock mknodat mkdirat unlinkat symlinkat linkat renameat
    umount2 mount pivot_root nfsservctl statfs fstatfs truncate ftruncate fallocate
    faccessat chdir fchdir chroot fchmod fchmodat fchownat fchown openat close vhangup
    pipe2 quotactl getdents64 lseek read write readv writev pread64 pwrite64 preadv
    pwritev sendfile pselect6 ppoll signalfd4 vmsplice splice tee readlinkat newfstatat
    fstat sync fsync fdatasync sync_file_range timerfd_create timerfd_settime
    timerfd_gettime utimensat acct capget capset personality exit exit_group waitid
    set_tid_address unshare futex set_robust_list get_robust_list nanosleep getitimer
    setitimer kexec_load init_module delete_module timer_create timer_gettime
    timer_getoverrun timer_settime timer_delete clock_settime clock_gettime clock_getres
    clock_nanosleep syslog ptrace sched_setparam sched_setscheduler sched_getscheduler
    sched_getparam sched_setaffinity sched_getaffinity sched_yield
    sched_get_priority_max sched_get_priority_min sched_rr_get_interval restart_syscall
    kill tkill tgkill sigaltstack rt_sigsuspend rt_sigaction rt_sigprocmask
    rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigreturn setpriority getpriority
    reboot setregid setgid setreuid setuid setresuid getresuid setresgid getresgid
    setfsuid setfsgid times setpgid getpgid getsid setsid getgroups setgroups uname
    sethostname setdomainname getrlimit setrlimit getrusage umask prctl getcpu
    gettimeofday settimeofday adjtimex getpid getppid getuid geteuid getgid getegid
    gettid sysinfo mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify
    mq_getsetattr msgget msgctl msgrcv msgsnd semget semctl semtimedop semop shmget
    shmctl shmat shmdt socket socketpair bind listen accept connect getsockname
    getpeername sendto recvfrom setsockopt getsockopt shutdown sendmsg recvmsg readahead
    brk munmap mremap add_key request_key keyctl clone execve mmap fadvise64 swapon
    swapoff mprotect msync mlock munlock mlockall munlockall mincore madvise
    remap_file_pages mbind get_mempolicy set_mempolicy migrate_pages move_pages
    rt_tgsigqueueinfo perf_event_open accept4 recvmmsg - - - - - - - - - - - - - - - -
    wait4 prlimit64 fanotify_init fanotify_mark name_to_handle_at open_by_handle_at
    clock_adjtime syncfs setns sendmmsg process_vm_readv process_vm_writev kcmp
    finit_module sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create
    bpf execveat userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2
    pkey_mprotect pkey_alloc pkey_free statx io_pgetevents rseq kexec_file_load
"""
FIRST_SHARED_NR = 424
_SHARED = """
    pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree
    move_mount fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2
    pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd
    landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret
    process_mrelease futex_waitv set_mempolicy_home_node cachestat fchmodat2
    map_shadow_stack futex_wake futex_wait futex_requeue statmount listmount
    lsm_get_self_attr lsm_set_self_attr lsm_list_modules mseal setxattrat getxattrat
    listxattrat removexattrat open_tree_attr file_getattr file_setattr
"""


def _table(low: str) -> dict[str, int]:
    numbered = [*enumerate(low.split()), *enumerate(_SHARED.split(), FIRST_SHARED_NR)]
    return {name: nr for nr, name in numbered if name != "-"}


SYSCALLS: dict[str, dict[str, int]] = {"x86_64": _table(_X86_64), "aarch64": _table(_AARCH64)}
# Names in the tables that the kernel no longer implements (sys_ni_syscall): ENOSYS, as there.
RETIRED = ("_sysctl", "create_module", "get_kernel_syms", "query_module", "nfsservctl",
           "getpmsg", "putpmsg", "afs_syscall", "tuxcall", "security", "set_thread_area",
           "get_thread_area", "epoll_ctl_old", "epoll_wait_old", "vserver")

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
                              "fsmount", "fspick", "mount_setattr", "statmount", "listmount"),
    "kernel interfaces": ("bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key",
                          "request_key", "io_uring_setup", "io_uring_enter",
                          "io_uring_register", "personality", "init_module", "finit_module",
                          "delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon",
                          "swapoff", "acct", "quotactl", "quotactl_fd", "syslog", "iopl",
                          "ioperm", "modify_ldt", "uselib", "vhangup", "sethostname",
                          "setdomainname", "settimeofday", "clock_settime", "clock_adjtime",
                          "adjtimex", "lookup_dcookie", "memfd_create", "memfd_secret",
                          "inotify_init", "inotify_init1", "fanotify_init", "fanotify_mark",
                          "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules",
                          "cachestat"),  # cachestat: page-cache state, a side channel
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
    prog += _arg_in(table["ioctl"], arg_low(1), list(IOCTL_DENIED), deny, allow)
    prog += _arg_in(table["fcntl"], arg_low(1), list(FCNTL_SIGNALLING), deny, allow)
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
    return prog + _known_or_enosys(known_runs(arch), allow, missing)


def known_runs(arch: str) -> list[tuple[int, int]]:
    """The numbers the table names and the kernel implements, as ascending inclusive runs."""
    retired = set(RETIRED)
    numbers = sorted(nr for name, nr in SYSCALLS[arch].items() if name not in retired)
    runs: list[tuple[int, int]] = []
    low = previous = numbers[0]
    for nr in numbers[1:]:
        if nr != previous + 1:
            runs.append((low, previous))
            low = nr
        previous = nr
    return [*runs, (low, previous)]


def _known_or_enosys(runs: list[tuple[int, int]], allow: int, missing: int
                     ) -> list[Instruction]:
    """``allow`` for a number inside a run, ``missing`` for any other. Denied and checked
    syscalls have returned before this point, so the runs may include them (fewer runs).
    Two instructions a run: past its end, try the next; else inside it or in the gap before."""
    if 2 * len(runs) > 255:
        raise ValueError("too many runs for a BPF jump")
    body: list[Instruction] = []
    for i, (low, high) in enumerate(runs):
        after = 2 * (len(runs) - i - 1)  # instructions of the runs after this one
        body += [(JGE_K, 1, 0, high + 1), (JGE_K, after + 1, after, low)]
    return [*body, _ret(missing), _ret(allow)]


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
