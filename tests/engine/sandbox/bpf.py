"""A classic-BPF interpreter for the few instructions the seccomp filter uses, so the filter
can be tested for every architecture without loading it into a kernel."""

from __future__ import annotations

import struct

from engine.sandbox.lockdown import seccomp

Instruction = tuple[int, int, int, int]


def seccomp_data(nr: int, arch: int, args: tuple[int, ...] = ()) -> bytes:
    """struct seccomp_data, little-endian: nr, arch, instruction pointer, six arguments."""
    padded = [a & 0xFFFFFFFFFFFFFFFF for a in (*args, *[0] * (6 - len(args)))]
    return struct.pack("<iIQ6Q", nr, arch, 0, *padded)


def run(program: list[Instruction], data: bytes) -> int:
    """The filter's return value for ``data``; AssertionError on a malformed program."""
    assert 0 < len(program) <= 4096
    acc = 0
    pc = 0
    while True:
        assert 0 <= pc < len(program), f"jump out of the program at {pc}"
        code, jt, jf, k = program[pc]
        if code == seccomp.LD_W_ABS:
            assert k % 4 == 0 and k + 4 <= len(data)
            acc = struct.unpack_from("<I", data, k)[0]
            pc += 1
        elif code == seccomp.RET_K:
            return k
        elif code in (seccomp.JEQ_K, seccomp.JGE_K, seccomp.JSET_K):
            taken = {seccomp.JEQ_K: acc == k, seccomp.JGE_K: acc >= k,
                     seccomp.JSET_K: bool(acc & k)}[code]
            pc += 1 + (jt if taken else jf)
        else:
            raise AssertionError(f"unexpected opcode {code:#x} at {pc}")


def verdict(result: int) -> str:
    """'allow', 'kill', or 'errno N'."""
    if result == seccomp.SECCOMP_RET_ALLOW:
        return "allow"
    if result in (seccomp.SECCOMP_RET_KILL_PROCESS, seccomp.SECCOMP_RET_KILL_THREAD):
        return "kill"
    if result & 0xFFFF0000 == seccomp.SECCOMP_RET_ERRNO:
        return f"errno {result & 0xFFFF}"
    raise AssertionError(f"unexpected action {result:#x}")
