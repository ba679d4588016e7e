"""Hostile code against the machine's resources: memory, CPU, threads, output, descriptors,
and code that never ends."""

from __future__ import annotations

import platform
from typing import Any

import pytest

from tests.engine.sandbox.hostile.conftest import kernel_pass_only
from tests.engine.sandbox.hostile.test_hostile_files import TRY


def test_memory_bomb_at_once_and_gradually(attack: Any) -> None:
    code = TRY + """
attempt('huge', lambda: bytearray(64 * 2**30))
attempt('string', lambda: ' ' * 10**11)
def grow():
    hoard = []
    while True:
        hoard.append(bytes(64 * 2**20))  # calloc: address space, not RAM
attempt('gradual', grow)
print('still here')
"""
    run = attack(code)
    assert "BLOCKED huge MemoryError" in run.shown and "BLOCKED string MemoryError" in run.shown
    assert "BLOCKED gradual MemoryError" in run.shown and "still here" in run.shown


def test_memory_error_tells_the_model_the_cap(attack: Any) -> None:
    run = attack("x = bytearray(64 * 2**30)")
    error = run.cell().error or ""
    assert "MemoryError" in error and "the REPL's memory is" in error and " MB" in error
    assert "work on slices" in run.requests[1].last_user


@kernel_pass_only
def test_infinite_loop_is_interrupted(attack: Any) -> None:
    run = attack("kept = 1\nwhile True:\n    pass", "--cell-timeout", "1")
    cell = run.cell()
    assert cell.timed_out and not cell.restarted
    assert "timed out after 1s and was interrupted" in (cell.error or "")


@kernel_pass_only
def test_loop_that_ignores_interrupts_is_killed_and_restarted(attack: Any) -> None:
    code = """
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
"""
    cell = attack(code, "--cell-timeout", "1").cell()
    assert cell.timed_out and cell.restarted
    assert "did not stop when interrupted" in (cell.error or "")


@kernel_pass_only
def test_interrupt_signal_blocked_in_the_main_thread(attack: Any) -> None:
    # The kernel hands the interrupt to the frame reader thread, and Python still raises
    # KeyboardInterrupt in the main thread.
    code = """
import signal
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
while True:
    pass
"""
    cell = attack(code, "--cell-timeout", "1").cell()
    assert cell.timed_out and "KeyboardInterrupt" in (cell.error or "")


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86_64 machine code")
@kernel_pass_only
def test_uninterruptible_loop_in_machine_code(attack: Any) -> None:
    # "jmp $" never returns to the interpreter, so no Python signal handler can run.
    code = """
import ctypes, mmap
page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
page.write(bytes([0xEB, 0xFE]))
ctypes.CFUNCTYPE(None)(ctypes.addressof(ctypes.c_char.from_buffer(page)))()
"""
    cell = attack(code, "--cell-timeout", "1").cell()
    assert cell.timed_out and cell.restarted


@kernel_pass_only
def test_blocking_forever(attack: Any) -> None:
    code = "import threading\nkept = 1\nthreading.Event().wait()"
    cell = attack(code, "--cell-timeout", "1").cell()
    assert cell.timed_out and not cell.restarted and "KeyboardInterrupt" in (cell.error or "")


def test_cpu_spin_in_a_background_thread(attack: Any) -> None:
    # An interrupt only reaches the main thread; the watchdog sees the leftover thread burn
    # CPU after the cell and restarts the REPL.
    code = """
import threading
def spin():
    while True:
        pass
threading.Thread(target=spin, daemon=True).start()
print('started')
"""
    final_cell = attack(code).cell(1)
    assert final_cell.restarted and "kept running in 1 background thread" in final_cell.output


@kernel_pass_only
def test_cpu_spin_in_a_joined_thread(attack: Any) -> None:
    code = """
import threading
def spin():
    while True:
        try:
            pass
        except BaseException:
            pass
worker = threading.Thread(target=spin)
worker.start()
worker.join()
"""
    run = attack(code, "--cell-timeout", "1")
    cell, final_cell = run.cell(0), run.cell(1)
    assert cell.timed_out and not cell.restarted  # the main thread was interrupted ...
    assert final_cell.restarted and "background thread" in final_cell.output  # ... not spin


@kernel_pass_only
def test_output_flood_is_capped(attack: Any) -> None:
    run = attack("while True:\n    print('flood ' * 100)", "--cell-timeout", "1")
    cell = run.cell()
    assert cell.timed_out and cell.cut_chars > 100_000
    assert len(cell.output) < 21_000 and len(run.requests[1].last_user) < 30_000


def test_flood_written_straight_to_the_error_stream(attack: Any) -> None:
    code = "import os\nwhile True:\n    os.write(2, b'x' * 65536)"
    cell = attack(code).cell()
    assert cell.restarted and "more than 8 MB to its error stream" in (cell.error or "")


def test_thread_bomb(attack: Any) -> None:
    code = """
import threading, time
started = 0
try:
    while True:
        threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
        started += 1
except (RuntimeError, MemoryError) as exc:
    print('stopped after', started, 'threads:', type(exc).__name__)
"""
    run = attack(code)
    assert "stopped after" in run.shown
    started = int(run.shown.split("stopped after ")[1].split()[0])
    assert 10 < started < 2000


def test_descriptor_exhaustion(attack: Any) -> None:
    code = """
import os
held = []
try:
    while True:
        held.extend(os.pipe())
except OSError as exc:
    print('stopped after', len(held), 'descriptors:', exc.strerror)
"""
    run = attack(code)
    assert "descriptors: Too many open files" in run.shown
    assert int(run.shown.split("stopped after ")[1].split()[0]) < 300
