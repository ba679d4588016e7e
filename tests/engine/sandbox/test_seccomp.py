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
    assert decide(arch, seccomp.FIRST_UNKNOWN_NR) == ENOSYS
    assert decide(arch, 0x3FFFFFFF) == ENOSYS


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
    defined = {m[1]: int(m[2]) for m in re.finditer(r"#define __NR_(\w+)\s+(\d+)\b",
                                                     header.read_text())}
    if arch == "aarch64":
        defined["truncate"] = 45  # asm-generic spells it __NR3264_truncate
    table = seccomp.SYSCALLS[arch]
    checked = {name: nr for name, nr in table.items() if name in defined}
    assert len(checked) > 100  # names newer than the installed headers are skipped
    assert checked == {name: defined[name] for name in checked}


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
    sys.stdout.flush()
    libc = ctypes.CDLL(None, use_errno=True)
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
                                        "kill-parent EPERM", "kill-self ok", "chmod EPERM"]
    assert done.returncode == -31  # SIGSYS: a foreign-ABI syscall kills the process
