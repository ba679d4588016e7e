"""The seccomp filter, instruction by instruction (both architectures, in a BPF interpreter),
its syscall tables against the kernel headers, and once loaded into a real kernel."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.sandbox.lockdown import seccomp
from tests.engine.sandbox.bpf import run, seccomp_data, verdict

ARCHES = sorted(seccomp.SYSCALLS)
PID = 4242
EPERM, ENOSYS = "errno 1", "errno 38"
# glibc's pthread_create flags: VM FS FILES SIGHAND THREAD SYSVSEM SETTLS PARENT_SETTID
# CHILD_CLEARTID
THREAD_FLAGS = 0x003D0F00
SIGCHLD = 17
CLONE_VM, CLONE_VFORK, CLONE_NEWNET, CLONE_NEWUSER = 0x100, 0x4000, 0x40000000, 0x10000000
# read, write, mmap, futex, exit_group: what any process needs
HARMLESS = {"x86_64": [0, 1, 9, 202, 231], "aarch64": [63, 64, 222, 98, 94]}


def decide(arch: str, name_or_nr: str | int, *args: int, audit_arch: int | None = None) -> str:
    nr = seccomp.SYSCALLS[arch][name_or_nr] if isinstance(name_or_nr, str) else name_or_nr
    program = seccomp.build_filter(arch, PID)
    data = seccomp_data(nr, seccomp.AUDIT_ARCH[arch] if audit_arch is None else audit_arch, args)
    return verdict(run(program, data))


@pytest.mark.parametrize("arch", ARCHES)
def test_every_denied_syscall_gets_eperm(arch: str) -> None:
    table = seccomp.SYSCALLS[arch]
    present = [name for name in seccomp.DENIED if name in table]
    assert len(present) > 100
    assert {name: decide(arch, name) for name in present} == dict.fromkeys(present, EPERM)


@pytest.mark.parametrize("arch", ARCHES)
def test_everyday_syscalls_are_allowed(arch: str) -> None:
    assert [decide(arch, nr) for nr in HARMLESS[arch]] == ["allow"] * 5


@pytest.mark.parametrize("arch", ARCHES)
def test_foreign_architectures_are_killed(arch: str) -> None:
    i386, arm = 0x40000003, 0x40000028
    for foreign in (i386, arm, *[a for a in seccomp.AUDIT_ARCH.values()
                                 if a != seccomp.AUDIT_ARCH[arch]]):
        assert decide(arch, HARMLESS[arch][0], audit_arch=foreign) == "kill"


def test_x32_syscalls_are_killed_on_x86_64() -> None:
    assert decide("x86_64", 0 | seccomp.X32_SYSCALL_BIT) == "kill"
    assert decide("x86_64", 59 | seccomp.X32_SYSCALL_BIT) == "kill"


@pytest.mark.parametrize("arch", ARCHES)
def test_clone3_and_unknown_syscalls_answer_enosys(arch: str) -> None:
    assert decide(arch, "clone3") == ENOSYS and decide(arch, "openat2") == ENOSYS
    listns = 470  # Linux 6.19, newer than the table
    gaps = {"x86_64": [156, 183, 337, 400, 423, 512], "aarch64": [42, 244, 259, 295, 403]}
    for nr in (listns, 471, 1000, 0x3FFFFFFF, *gaps[arch]):
        assert decide(arch, nr) == ENOSYS, nr
    if arch == "aarch64":  # no x32 bit there: every 32-bit number is just unknown
        assert decide(arch, -1) == ENOSYS


@pytest.mark.parametrize("arch", ARCHES)
def test_only_numbers_the_table_names_are_allowed(arch: str) -> None:
    # Every number up to well past the table, against what the table says of it.
    table = seccomp.SYSCALLS[arch]
    named = {nr: name for name, nr in table.items()}
    checked = {"clone", "kill", "rt_sigqueueinfo", "tgkill", "rt_tgsigqueueinfo", "prlimit64",
               "prctl", "ioctl", "fcntl", "open", "openat"}
    allowed = []
    for nr in range(1024):
        name = named.get(nr)
        if name in checked:
            continue
        if name is None or name in seccomp.RETIRED + seccomp.NOT_IMPLEMENTED:
            expected = ENOSYS
        else:
            expected = EPERM if name in seccomp.DENIED else "allow"
        assert decide(arch, nr) == expected, (nr, name)
        if expected == "allow":
            allowed.append(name)
    assert len(allowed) > 180


@pytest.mark.parametrize("arch", ARCHES)
def test_the_mount_table_and_lsm_attributes_are_denied(arch: str) -> None:
    # Linux 6.8 syscalls the filter's default once let through; listmount lists every
    # mount of the machine, statmount describes each.
    for name in ("statmount", "listmount", "lsm_get_self_attr", "lsm_set_self_attr",
                 "lsm_list_modules", "cachestat"):
        assert decide(arch, name) == EPERM, name
    if arch == "x86_64":
        assert decide(arch, 457) == EPERM and decide(arch, 458) == EPERM


@pytest.mark.parametrize("arch", ARCHES)
def test_no_signal_owner_can_be_set_through_fcntl_or_ioctl(arch: str) -> None:
    # F_SETOWN + O_ASYNC makes the kernel send SIGIO (or the F_SETSIG signal) to any
    # process, around kill()'s pid check.
    f_dupfd, f_getfl, f_setfl, f_getown, f_setlk, f_dupfd_cloexec = 0, 3, 4, 9, 6, 1030
    o_async, fionread, fioasync = 0o20000, 0x541B, 0x5452
    for command in (f_dupfd, f_getfl, f_getown, f_setlk, f_dupfd_cloexec):
        assert decide(arch, "fcntl", 3, command) == "allow", command
    assert decide(arch, "fcntl", 3, f_setfl, o_async) == "allow"  # no owner: signals nobody
    for command in (seccomp.F_SETOWN, seccomp.F_SETOWN_EX, seccomp.F_SETSIG,
                    seccomp.F_SETLEASE, seccomp.F_NOTIFY):
        assert decide(arch, "fcntl", 3, command, PID) == EPERM, command
        assert decide(arch, "fcntl", 3, command | (1 << 32), PID) == EPERM  # cmd is 32 bits
    for request in (seccomp.FIOSETOWN, seccomp.SIOCSPGRP):
        assert decide(arch, "ioctl", 3, request, 0) == EPERM, request
    assert decide(arch, "ioctl", 3, fionread) == "allow"
    assert decide(arch, "ioctl", 3, fioasync) == "allow"


@pytest.mark.parametrize("arch", ARCHES)
def test_clone_allows_threads_only(arch: str) -> None:
    assert decide(arch, "clone", THREAD_FLAGS) == "allow"
    assert decide(arch, "clone", SIGCHLD) == EPERM                          # fork
    assert decide(arch, "clone", CLONE_VM | CLONE_VFORK | SIGCHLD) == EPERM  # posix_spawn
    assert decide(arch, "clone", THREAD_FLAGS | CLONE_NEWNET) == EPERM
    assert decide(arch, "clone", THREAD_FLAGS | CLONE_NEWUSER) == EPERM
    # The legacy clone syscall only reads the low 32 bits of its flags.
    assert decide(arch, "clone", (1 << 32) | SIGCHLD) == EPERM


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("name", ["kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"])
def test_signals_only_towards_itself(arch: str, name: str) -> None:
    assert decide(arch, name, PID, 9) == "allow"
    for other in (1, PID - 1, 0, -1, -PID):
        assert decide(arch, name, other, 9) == EPERM, other
    # pid_t is 32 bits: high garbage still names this process to the kernel
    assert decide(arch, name, PID | (7 << 32), 9) == "allow"


@pytest.mark.parametrize("arch", ARCHES)
def test_limits_only_of_itself(arch: str) -> None:
    assert decide(arch, "prlimit64", 0, 9) == "allow"
    assert decide(arch, "prlimit64", PID, 9) == "allow"
    assert decide(arch, "prlimit64", 1, 9) == EPERM


@pytest.mark.parametrize("arch", ARCHES)
def test_prctl_and_ioctl_options(arch: str) -> None:
    pr_set_name, fionread = 15, 0x541B
    assert decide(arch, "prctl", pr_set_name) == "allow"
    for option in (seccomp.PR_SET_DUMPABLE, seccomp.PR_SET_MM, seccomp.PR_SET_PTRACER):
        assert decide(arch, "prctl", option, 1) == EPERM
    assert decide(arch, "ioctl", 0, fionread) == "allow"
    assert decide(arch, "ioctl", 0, seccomp.TIOCSTI) == EPERM
    assert decide(arch, "ioctl", 0, seccomp.TIOCLINUX) == EPERM


@pytest.mark.parametrize("arch", ARCHES)
def test_opening_with_truncation_is_denied(arch: str) -> None:
    o_rdonly, o_wronly_creat_trunc = 0, 0o1101
    assert decide(arch, "openat", -100, 0, o_rdonly) == "allow"
    assert decide(arch, "openat", -100, 0, o_wronly_creat_trunc) == EPERM
    if arch == "x86_64":
        assert decide(arch, "open", 0, o_rdonly) == "allow"
        assert decide(arch, "open", 0, seccomp.O_TRUNC) == EPERM


@pytest.mark.parametrize("arch", ARCHES)
def test_program_is_well_formed(arch: str) -> None:
    program = seccomp.build_filter(arch, PID)
    assert len(program) < 4096 and program[-1] == (seccomp.RET_K, 0, 0, seccomp.SECCOMP_RET_ALLOW)
    assert program[-2] == (seccomp.RET_K, 0, 0, seccomp.SECCOMP_RET_ERRNO | seccomp.ENOSYS)
    for pc, (code, jt, jf, _) in enumerate(program):
        if code in (seccomp.JEQ_K, seccomp.JGE_K, seccomp.JSET_K):
            assert pc + 1 + max(jt, jf) < len(program) and max(jt, jf) <= 255


HEADERS = {"x86_64": Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
           "aarch64": Path("/usr/include/asm-generic/unistd.h")}


@pytest.mark.parametrize("arch", ARCHES)
def test_tables_match_the_kernel_headers(arch: str) -> None:
    header = HEADERS[arch]
    if not header.exists():
        pytest.skip(f"{header} is not installed (linux-libc-dev)")
    defined = {m[1]: int(m[2]) for m in re.finditer(r"#define __NR(?:3264)?_(\w+)\s+(\d+)\b",
                                                     header.read_text())}
    if arch == "aarch64":  # asm-generic: 64-bit names of its __NR3264_* numbers, and none of
        # the time64 calls of 32-bit machines (403-423) or sync_file_range2 (other arches)
        defined = {"newfstatat" if name == "fstatat" else name: nr
                   for name, nr in defined.items() if name not in (
                       "syscalls", "arch_specific_syscall", "sync_file_range2")
                   and not 403 <= nr <= 423}
    # Both ways, up to the newest number the installed headers know: the table names every
    # syscall there is, each by its number (uprobe syscalls came later than some headers).
    newest = max(defined.values())
    table = {name: nr for name, nr in seccomp.SYSCALLS[arch].items() if nr <= newest}
    assert len(table) > 300
    assert {name: nr for name, nr in table.items() if name in defined} == defined
    assert set(table) - set(defined) <= {"uretprobe", "uprobe"}


LOADED = textwrap.dedent("""
    import ctypes, errno, os, socket, sys, threading
    sys.path.insert(0, sys.argv[1])
    from lockdown import linux, seccomp
    arch = seccomp.machine()
    assert linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    seccomp.install(seccomp.build_filter(arch, os.getpid(), kill=seccomp.kill_action(arch)), arch)
    def attempt(fn):
        try:
            fn()
            return "ok"
        except OSError as exc:
            return errno.errorcode[exc.errno]
    box = []
    t = threading.Thread(target=box.append, args=(1,)); t.start(); t.join()
    print("thread", box)
    print("socket", attempt(lambda: socket.socket()))
    print("fork", attempt(os.fork))
    print("kill-parent", attempt(lambda: os.kill(os.getppid(), 0)))
    print("kill-self", attempt(lambda: os.kill(os.getpid(), 0)))
    print("chmod", attempt(lambda: os.chmod(sys.argv[1], 0o755)))
    import fcntl, struct
    # O_ASYNC goes on another pipe than the owner: even with the owner set, nothing is sent
    # (an owned O_ASYNC pipe would send SIGIO to pytest when this process exits).
    owned, plain = os.pipe(), os.pipe()
    print("F_SETOWN", attempt(lambda: fcntl.fcntl(owned[0], fcntl.F_SETOWN, os.getppid())))
    print("FIOSETOWN", attempt(lambda: fcntl.ioctl(owned[0], 0x8901,
                                                   struct.pack("i", os.getppid()))))
    print("O_ASYNC", attempt(lambda: fcntl.fcntl(plain[0], fcntl.F_SETFL, os.O_ASYNC)))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    def raw(nr):
        zero = ctypes.c_long(0)
        result = libc.syscall(ctypes.c_long(nr), zero, zero, zero, zero)
        return "ok" if result >= 0 else errno.errorcode[ctypes.get_errno()]
    for name, nr in (("statmount", 457), ("listmount", 458), ("_sysctl", 156),
                     ("after-the-table", 470), ("far-out", 100000)):
        print(name, raw(nr))
    sys.stdout.flush()
    libc.syscall(ctypes.c_long(39 | 0x40000000))  # getpid through the x32 ABI
    print("survived the x32 syscall")
""")


@pytest.mark.skipif(seccomp.machine() != "x86_64" or not sys.platform.startswith("linux"),
                    reason="loads the x86_64 filter into this kernel")
def test_filter_loaded_into_the_kernel() -> None:
    lockdown_dir = Path(seccomp.__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-I", "-S", "-c", LOADED, str(lockdown_dir)],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines() == ["thread [1]", "socket EPERM", "fork EPERM",
                                        "kill-parent EPERM", "kill-self ok", "chmod EPERM",
                                        "F_SETOWN EPERM", "FIOSETOWN EPERM", "O_ASYNC ok",
                                        "statmount EPERM", "listmount EPERM", "_sysctl ENOSYS",
                                        "after-the-table ENOSYS", "far-out ENOSYS"]
    assert done.returncode == -31  # SIGSYS: a foreign-ABI syscall kills the process
