"""Hostile code against processes: spawning programs, forking, raw syscalls, signalling,
tracing or reading other processes."""

from __future__ import annotations

import os
from typing import Any

import pytest

from engine.sandbox.lockdown import seccomp
from tests.engine.sandbox.hostile.conftest import Canaries, SignalTarget, needs_layer
from tests.engine.sandbox.hostile.test_hostile_files import TRY, blocked

ARCH = seccomp.machine() or "x86_64"
NR = seccomp.SYSCALLS[ARCH]
CTYPES = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sys_call(label, nr, *args):
    result = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a
                                               for a in args])
    err = ctypes.get_errno()
    print('BLOCKED' if result == -1 and err in (1, 13, 38) else 'ESCAPED', label, result, err)
"""


def touch(canaries: Canaries) -> str:
    return f"touch {canaries.marker}"


def test_subprocess_run(attack: Any, canaries: Canaries) -> None:
    code = TRY + f"""
import subprocess
attempt('run', lambda: subprocess.run(['/bin/sh', '-c', {touch(canaries)!r}]))
attempt('popen-shell', lambda: subprocess.Popen({touch(canaries)!r}, shell=True).wait())
attempt('check_output', lambda: subprocess.check_output(['id']))
"""
    blocked(attack(code).shown, "run", "popen-shell", "check_output")


def test_os_system_and_popen(attack: Any, canaries: Canaries) -> None:
    code = TRY + f"""
status = os.system({touch(canaries)!r})
print('system returned', status)
attempt('os.popen', lambda: os.popen({touch(canaries)!r}).read())
"""
    shown = attack(code).shown
    # glibc reports a shell that could not start as exit status 127 (127 << 8)
    assert "system returned 32512" in shown and "ESCAPED" not in shown


def test_os_fork_and_vfork_like_spawns(attack: Any, canaries: Canaries) -> None:
    code = TRY + f"""
attempt('fork', os.fork)
attempt('forkpty', lambda: __import__('pty').fork())
attempt('posix_spawn', lambda: os.posix_spawn('/bin/sh', ['sh', '-c', {touch(canaries)!r}],
                                              {{}}))
attempt('posix_spawnp', lambda: os.posix_spawnp('touch', ['touch', {str(canaries.marker)!r}],
                                                {{}}))
"""
    blocked(attack(code).shown, "fork", "forkpty", "posix_spawn", "posix_spawnp")


def test_exec_replaces_nothing(attack: Any, canaries: Canaries) -> None:
    code = TRY + f"""
attempt('execv', lambda: os.execv('/bin/sh', ['sh', '-c', {touch(canaries)!r}]))
attempt('execve-python', lambda: os.execve(sys.executable, [sys.executable, '-c', 'pass'], {{}}))
print('still the REPL', os.getpid() > 0)
"""
    shown = attack(code).shown
    blocked(shown, "execv", "execve-python")
    assert "still the REPL True" in shown


def test_fork_bomb(attack: Any, require_sandbox: dict[str, Any]) -> None:
    # Only ever run where seccomp's fork denial is verified (else this could hurt the machine).
    needs_layer(require_sandbox, "seccomp")
    assert require_sandbox["checks"]["denied_fork"] is True
    code = """
import os
while True:
    os.fork()
"""
    run = attack(code)
    assert "PermissionError" in (run.cell().error or "")


def test_private_spawn_helpers(attack: Any, canaries: Canaries) -> None:
    code = TRY + f"""
import _posixsubprocess, multiprocessing
def fork_exec():
    return _posixsubprocess.fork_exec(
        [b'/bin/sh'], [b'/bin/sh', b'-c', {touch(canaries).encode()!r}], True, (), None, None,
        -1, -1, -1, -1, -1, -1, *os.pipe(), False, False, None, None, None, -1, None, False)
attempt('fork_exec', fork_exec)
attempt('multiprocessing', lambda: multiprocessing.Process(target=print).start())
attempt('mp-pool', lambda: multiprocessing.Pool(2))
"""
    blocked(attack(code).shown, "fork_exec", "multiprocessing", "mp-pool")


def test_ctypes_system_call_of_libc(attack: Any, canaries: Canaries) -> None:
    code = f"""
import ctypes
print('libc system returned', ctypes.CDLL(None).system({touch(canaries).encode()!r}))
"""
    assert "libc system returned 32512" in attack(code).shown  # "could not run the shell"


def test_raw_syscalls_execve_ptrace_unshare(attack: Any, canaries: Canaries) -> None:
    argv = ["/bin/sh", "-c", touch(canaries)]
    code = CTYPES + f"""
import os
args = (ctypes.c_char_p * 4)(*[a.encode() for a in {argv!r}], None)
sys_call('execve', {NR['execve']}, ctypes.c_char_p(b'/bin/sh'), args, None)
sys_call('execveat', {NR['execveat']}, -100, ctypes.c_char_p(b'/bin/sh'), args, None, 0)
sys_call('ptrace-attach', {NR['ptrace']}, 16, os.getppid(), 0, 0)
sys_call('ptrace-traceme', {NR['ptrace']}, 0, 0, 0, 0)
sys_call('unshare-user', {NR['unshare']}, 0x10000000)
sys_call('unshare-net', {NR['unshare']}, 0x40000000)
sys_call('setns', {NR['setns']}, 0, 0)
sys_call('clone-fork', {NR['clone']}, 17, 0, 0, 0, 0)
sys_call('clone3', {NR['clone3']}, 0, 0)
"""
    shown = attack(code).shown
    assert "ESCAPED" not in shown
    for label in ("execve", "execveat", "ptrace-attach", "ptrace-traceme", "unshare-user",
                  "unshare-net", "setns", "clone-fork", "clone3"):
        assert f"BLOCKED {label} -1" in shown, shown


def test_read_or_write_the_parents_memory(attack: Any) -> None:
    code = CTYPES + f"""
import os
class IoVec(ctypes.Structure):
    _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]
buf = ctypes.create_string_buffer(64)
local = IoVec(ctypes.cast(buf, ctypes.c_void_p), 64)
remote = IoVec(0x400000, 64)
sys_call('process_vm_readv', {NR['process_vm_readv']}, os.getppid(), ctypes.byref(local), 1,
         ctypes.byref(remote), 1, 0)
sys_call('process_vm_writev', {NR['process_vm_writev']}, os.getppid(), ctypes.byref(local), 1,
         ctypes.byref(remote), 1, 0)
sys_call('pidfd_open', {NR['pidfd_open']}, os.getppid(), 0)
sys_call('pidfd_getfd', {NR['pidfd_getfd']}, 0, 0, 0)
sys_call('kcmp', {NR['kcmp']}, os.getpid(), os.getppid(), 0, 0, 0)
"""
    shown = attack(code).shown
    assert "ESCAPED" not in shown and shown.count("BLOCKED") == 5, shown


def test_kernel_interfaces(attack: Any) -> None:
    code = CTYPES + f"""
sys_call('bpf', {NR['bpf']}, 0, 0, 0)
sys_call('perf_event_open', {NR['perf_event_open']}, 0, 0, -1, -1, 0)
sys_call('userfaultfd', {NR['userfaultfd']}, 0)
sys_call('keyctl', {NR['keyctl']}, 0, 0)
sys_call('add_key', {NR['add_key']}, 0, 0, 0, 0, 0)
sys_call('io_uring_setup', {NR['io_uring_setup']}, 8, 0)
sys_call('memfd_create', {NR['memfd_create']}, ctypes.c_char_p(b'x'), 0)
sys_call('personality', {NR['personality']}, 0x0040000)
sys_call('mount', {NR['mount']}, 0, 0, 0, 0, 0)
sys_call('shmget', {NR['shmget']}, 0, 4096, 0o1666)
sys_call('mq_open', {NR['mq_open']}, ctypes.c_char_p(b'q'), 0o100, 0o600, 0)
sys_call('inotify_init1', {NR['inotify_init1']}, 0)
sys_call('prctl-dumpable', {NR['prctl']}, 4, 1)
"""
    shown = attack(code).shown
    assert "ESCAPED" not in shown and shown.count("BLOCKED") == 13, shown


def test_syscalls_newer_than_the_filter(attack: Any) -> None:
    # listmount (Linux 6.8) lists every mount of the machine, Landlock or not; numbers the
    # filter's table does not name (here 6.19's listns, and a far-out one) answer ENOSYS.
    code = CTYPES + f"""
import struct
LSMT_ROOT = 0xFFFFFFFFFFFFFFFF
request = ctypes.create_string_buffer(struct.pack('<IIQQ', 24, 0, LSMT_ROOT, 0))
ids = (ctypes.c_uint64 * 256)()
sys_call('listmount', {NR['listmount']}, request, ids, 256, 0)
sys_call('statmount', {NR['statmount']}, request, ctypes.create_string_buffer(4096), 4096, 0)
sys_call('lsm_list_modules', {NR['lsm_list_modules']}, ids, ctypes.byref(ctypes.c_uint32(8)), 0)
sys_call('listns', 470, 0, 0, 0, 0)
sys_call('far-out', 100000, 0)
"""
    shown = attack(code).shown
    assert "ESCAPED" not in shown and shown.count("BLOCKED") == 5, shown
    assert shown.count(" 38") >= 2  # the unknown numbers: ENOSYS, so libraries fall back


def test_signal_the_host(attack: Any) -> None:
    # SIGCONT and the null signal are harmless if they got through; the filter does not look
    # at the signal number, so their refusal stands for SIGKILL's.
    code = TRY + """
import signal
ppid = os.getppid()
attempt('kill-ppid', lambda: os.kill(ppid, signal.SIGCONT))
attempt('kill-ppid-0', lambda: os.kill(ppid, 0))
attempt('killpg', lambda: os.killpg(os.getpgid(ppid), 0))
attempt('pidfd', lambda: signal.pidfd_send_signal(os.pidfd_open(ppid), 0))
"""
    blocked(attack(code).shown, "kill-ppid", "kill-ppid-0", "killpg", "pidfd")


def test_signal_through_a_pipe_owner(attack: Any, signal_target: SignalTarget) -> None:
    # No kill(): the kernel itself sends SIGIO (or the F_SETSIG signal) to a descriptor's
    # owner when it becomes ready. Before Landlock ABI 6 (Linux 6.12) only seccomp's look at
    # the fcntl command stops this; the target process records any signal it gets.
    code = TRY + f"""
import fcntl, signal, struct
target = {signal_target.pid}
def owned_pipe(set_owner):
    read_end, write_end = os.pipe()
    set_owner(read_end)
    fcntl.fcntl(read_end, fcntl.F_SETFL, fcntl.fcntl(read_end, fcntl.F_GETFL) | os.O_ASYNC)
    os.write(write_end, b'x')
attempt('F_SETOWN', lambda: owned_pipe(lambda fd: fcntl.fcntl(fd, fcntl.F_SETOWN, target)))
attempt('F_SETOWN-group', lambda: owned_pipe(
    lambda fd: fcntl.fcntl(fd, fcntl.F_SETOWN, -os.getpgid(target))))
attempt('F_SETOWN_EX', lambda: owned_pipe(
    lambda fd: fcntl.fcntl(fd, {seccomp.F_SETOWN_EX}, struct.pack('ii', 1, target))))
attempt('F_SETSIG', lambda: owned_pipe(
    lambda fd: fcntl.fcntl(fd, {seccomp.F_SETSIG}, signal.SIGUSR1)))
attempt('FIOSETOWN', lambda: owned_pipe(
    lambda fd: fcntl.ioctl(fd, {seccomp.FIOSETOWN}, struct.pack('i', target))))
attempt('SIOCSPGRP', lambda: owned_pipe(
    lambda fd: fcntl.ioctl(fd, {seccomp.SIOCSPGRP}, struct.pack('i', target))))
here = os.open('.', os.O_RDONLY)
attempt('F_NOTIFY', lambda: fcntl.fcntl(here, {seccomp.F_NOTIFY}, 0x80000001))
attempt('F_SETLEASE', lambda: fcntl.fcntl(os.open(os.__file__, os.O_RDONLY),
                                           {seccomp.F_SETLEASE}, fcntl.F_RDLCK))
"""
    shown = attack(code).shown
    assert signal_target.received() == [], f"the target process was signalled:\n{shown}"
    blocked(shown, "F_SETOWN", "F_SETOWN-group", "F_SETOWN_EX", "F_SETSIG", "FIOSETOWN",
            "SIOCSPGRP", "F_NOTIFY", "F_SETLEASE")
    assert shown.count("PermissionError") == 8, shown  # refused by the filter, not by chance


def test_kill_everything(attack: Any, require_sandbox: dict[str, Any]) -> None:
    needs_layer(require_sandbox, "seccomp")
    assert require_sandbox["checks"]["denied_signal"] is True
    code = TRY + """
attempt('kill-all', lambda: os.kill(-1, 0))
attempt('kill-group-0', lambda: os.kill(0, 0))
attempt('kill-init', lambda: os.kill(1, 0))
print('self-signal works', os.kill(os.getpid(), 0) is None)
"""
    shown = attack(code).shown
    blocked(shown, "kill-all", "kill-group-0", "kill-init")
    assert "self-signal works True" in shown


def test_pthread_kill_with_a_foreign_thread_id(attack: Any) -> None:
    # A thread id from the host means nothing here: at worst the REPL crashes and restarts.
    code = TRY + f"""
import signal
attempt('pthread_kill', lambda: signal.pthread_kill({os.getpid()}, signal.SIGTERM))
"""
    run = attack(code)
    assert "ESCAPED" not in run.shown
    assert os.getpid() > 0  # and we are still here


@pytest.mark.skipif(ARCH != "x86_64", reason="x32 and i386 entry points exist on x86_64 only")
def test_foreign_abi_syscalls_kill_the_repl_and_the_run_goes_on(attack: Any) -> None:
    code = CTYPES + """
sys_call('x32-getpid', 39 | 0x40000000)
"""
    run = attack(code)
    cell = run.cell()
    assert cell.restarted and "SIGSYS" in (cell.error or ""), cell.error


@pytest.mark.skipif(ARCH != "x86_64", reason="x32 and i386 entry points exist on x86_64 only")
def test_int80_i386_syscall_from_machine_code(attack: Any) -> None:
    # mov eax, 20 (i386 getpid); int 0x80; ret — the i386 ABI is a classic filter bypass.
    code = """
import ctypes, mmap
page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(bytes([0xB8, 0x14, 0, 0, 0, 0xCD, 0x80, 0xC3]))
address = ctypes.addressof(ctypes.c_char.from_buffer(page))
print('i386 getpid returned', ctypes.CFUNCTYPE(ctypes.c_int)(address)())
"""
    run = attack(code)
    cell = run.cell()
    assert cell.restarted and "SIGSYS" in (cell.error or ""), (cell.output, cell.error)


def test_only_threads_may_be_created(attack: Any) -> None:
    code = """
import threading
from concurrent.futures import ThreadPoolExecutor
with ThreadPoolExecutor(8) as pool:
    print('threads work', sum(pool.map(lambda x: x, range(100))))
"""
    assert "threads work 4950" in attack(code).shown


def test_undo_the_lockdown(attack: Any) -> None:
    code = CTYPES + f"""
import os, resource
sys_call('prctl-dumpable', {NR['prctl']}, 4, 1)
def attempt(label, fn):
    try:
        fn()
        print('ESCAPED', label)
    except (ValueError, OSError) as exc:
        print('BLOCKED', label, type(exc).__name__)
attempt('raise-rlimit', lambda: resource.setrlimit(
    resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)))
attempt('prlimit-parent', lambda: resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (1, 1)))
"""
    shown = attack(code).shown
    assert "ESCAPED" not in shown
    for label in ("prctl-dumpable", "raise-rlimit", "prlimit-parent"):
        assert f"BLOCKED {label}" in shown, shown
