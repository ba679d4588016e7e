"""Host side of the REPL child: spawn it, run cells, answer its calls, time it out, restart it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.config import SandboxSettings
from engine.errors import FrameError, SandboxError
from engine.sandbox import policy as policy_mod
from engine.sandbox import watchdog
from engine.sandbox.calls import CURRENT_HOLD, CallBytes, SubCallRefused
from engine.sandbox.frames import (
    MAX_FRAME_BYTES,
    PipeClosedError,
    check_call,
    encode_frame,
    read_frame,
    read_sized_frame,
)
from engine.sandbox.process import StderrTail, child_env, describe_exit, wait_exit
from engine.sandbox.watchdog import WatchdogBreach

CHILD_PATH = Path(__file__).resolve().with_name("child.py")
START_TIMEOUT = 60.0
STDERR_FLOOD_BYTES = 8 * 1024 * 1024  # more than this on the child's stderr: stop it
SHUTDOWN_WAIT = 1.0
REAP_WAIT = 5.0
MAX_INFLIGHT_CALLS = 64  # call frames handled at once; further frames wait (backpressure)
WATCH_INTERVAL = 0.25    # seconds between memory readings while a cell runs
LOST = "all variables were lost; re-create what you need"


@dataclass
class CellResult:
    """What one cell did, ready to show the model."""

    output: str            # head + (if cut) a note + tail; stdout and stderr interleaved
    error: str | None      # traceback or explanation when the cell failed (model-visible)
    cut_chars: int
    duration_s: float
    final: str | None
    final_set: bool
    timed_out: bool = False
    restarted: bool = False  # the child was killed or died and was restarted; variables were lost
    printed_before_final: int = 0  # characters the cell printed before its (last) FINAL call


CallHandler = Callable[[str, dict[str, Any]], Awaitable[Any]]


def join_output(head: str, tail: str, total: int) -> tuple[str, int]:
    """The model-visible output and how many characters were cut from its middle."""
    cut = total - len(head) - len(tail)
    if cut > 0:
        return f"{head}\n... [{cut:,} characters cut] ...\n{tail}", cut
    return head + tail, 0


class ReplProcess:
    """One REPL child process for a run (or child RLM), restarted when it dies or hangs."""

    def __init__(self, context_path: Path, documents_path: Path, *, call_handler: CallHandler,
                 cell_timeout: float = 120.0, output_limit: int = 20_000,
                 max_frame_bytes: int = MAX_FRAME_BYTES, python: str = sys.executable,
                 interrupt_grace: float = 2.0, start_timeout: float = START_TIMEOUT,
                 sandbox: SandboxSettings | None = None,
                 simulate_missing: Sequence[str] | None = None,
                 stderr_limit: int = STDERR_FLOOD_BYTES,
                 call_bytes: CallBytes | None = None) -> None:
        self.context_path = Path(context_path)
        self.documents_path = Path(documents_path)
        self.cell_timeout = cell_timeout
        self.output_limit = output_limit
        self.max_frame_bytes = max_frame_bytes
        self.python = python
        self.interrupt_grace = interrupt_grace
        self.start_timeout = start_timeout
        self.sandbox = sandbox or SandboxSettings()
        # Test switch: layers the child pretends to lack (only ever less isolation).
        self.simulate_missing = policy_mod.simulated_missing(simulate_missing)
        self.stderr_limit = stderr_limit
        # Shared with the other REPLs of the run tree when given; a run hands over a REPL it
        # reuses (a conversation's) by setting this between cells.
        self.call_bytes = call_bytes or CallBytes()
        # Memory cap the host enforces by watching RSS, where the kernel does not (macOS,
        # or limits switched off); None while the child's own limit applies.
        self.rss_limit: int | None = None
        self.send_timeout = max(cell_timeout, 5.0)
        self.ready: dict[str, Any] | None = None
        self.status: dict[str, Any] | None = None  # the accepted lockdown status
        self.pid: int | None = None
        self.restarts = 0
        self._handler = call_handler
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr = StderrTail()
        self._stderr_task: asyncio.Task[None] | None = None
        self._breach: str | None = None  # why the host stopped the child, for the model
        self._watch: asyncio.Future[None] | None = None  # leftover-thread check of a cell
        self._leftover_note: str | None = None
        self._workdir: str | None = None
        self._cell_id = 0
        self._broken = False  # killed after an engine failure or cancellation mid-cell
        self._closed = False

    async def __aenter__(self) -> ReplProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # --- life cycle ----------------------------------------------------------------------

    async def start(self) -> dict[str, Any]:
        """Spawn the child and return its ready frame (idempotent while it runs)."""
        if self._closed:
            raise SandboxError("this REPL process was closed")
        if self._proc is not None and self._proc.returncode is None and self.ready:
            return self.ready
        await self._discard_process()  # a child that died since: reap it first
        return await self._spawn()

    async def close(self) -> None:
        """Ask the child to exit, kill it if it does not, reap it, remove its folder."""
        self._closed = True
        proc = self._proc
        try:
            if proc is not None and proc.returncode is None and not self._broken:
                try:
                    await self._shutdown(proc)
                except FrameError:
                    pass
        finally:
            await self._discard_process()

    async def _shutdown(self, proc: asyncio.subprocess.Process) -> None:
        await self._send({"type": "shutdown"})
        await wait_exit(proc, SHUTDOWN_WAIT)

    def _command(self) -> tuple[list[str], str]:
        """The child's command line and working folder, in a fresh private folder."""
        self._workdir = tempfile.mkdtemp(prefix="rlm-repl-")
        command, cwd, policy = policy_mod.child_command(
            self.python, CHILD_PATH, self.context_path, self.documents_path,
            Path(self._workdir), self.sandbox, self.simulate_missing)
        # Where the kernel will not cap memory, the host watches resident memory instead.
        self.rss_limit = policy["memory_bytes"]
        return command, str(cwd)

    async def _spawn(self) -> dict[str, Any]:
        self._stderr = StderrTail()
        self._breach = None
        try:
            command, cwd = self._command()
            proc = await asyncio.create_subprocess_exec(
                *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, cwd=cwd, env=child_env(),
                start_new_session=True, limit=1 << 20)
        except OSError as exc:
            self._remove_workdir()
            raise SandboxError(f"could not start the REPL process ({self.python}): {exc}") from exc
        self._proc, self.pid, self.ready = proc, proc.pid, None
        assert proc.stderr is not None and proc.stdout is not None
        self._stderr_task = asyncio.create_task(
            self._drain_stderr(proc, proc.stderr, self._stderr))
        try:
            frame = await asyncio.wait_for(read_frame(proc.stdout, self.max_frame_bytes),
                                           self.start_timeout)
            if frame.get("type") != "ready":
                raise FrameError(f"expected a ready frame, got {frame.get('type')!r}")
        except (TimeoutError, FrameError) as exc:
            why = str(exc) or f"no ready frame within {self.start_timeout:g}s"
            await self._discard_process()
            raise SandboxError(f"the REPL process failed to start: {why} "
                               f"({describe_exit(proc.returncode)}); its stderr ended with:\n"
                               f"{self._stderr.text()[-4000:]}") from None
        except BaseException:
            self._kill_now()
            raise
        try:
            self.status = policy_mod.check_status(frame.get("lockdown"), self.sandbox)
        except policy_mod.SandboxRefusedError as exc:
            self.status = exc.status
            await self._discard_process()
            raise
        if self.status.get("memory_limit_bytes"):
            self.rss_limit = None  # the kernel enforces the child's address-space cap
        frame["lockdown"] = self.status
        self.ready = frame
        return frame

    async def _restart(self) -> None:
        await self._discard_process()
        self.restarts += 1
        self._broken = False
        await self._spawn()

    async def _drain_stderr(self, proc: asyncio.subprocess.Process,
                            stream: asyncio.StreamReader, tail: StderrTail) -> None:
        """Keep the tail of the child's stderr; a flood stops the child (the cap on what a
        cell prints is the child's, but code can write to the file descriptor directly)."""
        while chunk := await stream.read(65536):
            tail.feed(chunk)
            if tail.total > self.stderr_limit and proc is self._proc and self._breach is None:
                self._breach = (f"the REPL process wrote more than "
                                f"{self.stderr_limit / (1024 * 1024):g} MB to its error stream "
                                "and was stopped")
                self._kill_now()

    def _kill_now(self) -> None:
        """Kill the child and anything it started (synchronous: safe during cancellation)."""
        proc = self._proc
        if proc is None:
            return
        if os.name != "posix":
            if proc.returncode is None:
                proc.kill()
            return
        # Its own session: the group also holds whatever model code spawned, even after
        # the child itself exited. Not proc.kill(): Popen polls (waitpid) first and would
        # steal the exit status from asyncio's child watcher, which then reports 255.
        kills = [os.killpg] + ([os.kill] if proc.returncode is None else [])
        for kill in kills:
            try:
                kill(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    async def _await_watch(self) -> None:
        """Let a pending leftover-thread check reach its verdict before the next cell."""
        watch, self._watch = self._watch, None
        if watch is not None:
            await asyncio.gather(watch, return_exceptions=True)

    async def _discard_process(self) -> None:
        """Kill, reap and forget the current child; always removes its working folder."""
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        self._leftover_note = None
        proc, stderr_task = self._proc, self._stderr_task
        try:
            if proc is not None:
                self._kill_now()
                await self._reap(proc, stderr_task)
        finally:
            self._proc, self._stderr_task = None, None
            self._remove_workdir()

    @staticmethod
    async def _reap(proc: asyncio.subprocess.Process,
                    stderr_task: asyncio.Task[None] | None) -> None:
        await wait_exit(proc, REAP_WAIT)
        if stderr_task is not None:
            # A grandchild may hold stderr open: do not wait for its EOF for long.
            try:
                await asyncio.wait_for(stderr_task, 0.5)
            except Exception:
                pass
        # Close the pipes even if an escaped grandchild still holds one open; otherwise the
        # transport outlives its event loop. (Process has no public close.)
        transport = getattr(proc, "_transport", None)
        if transport is not None:
            transport.close()

    def _remove_workdir(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    # --- cells ---------------------------------------------------------------------------

    async def run_cell(self, code: str) -> CellResult:
        """Run one cell; the model's failures come back in the result, the engine's raise."""
        if self._closed:
            raise SandboxError("this REPL process was closed")
        note = ""
        await self._await_watch()
        if self._proc is None and self.ready is None:
            await self.start()
        elif (self._proc is None or self._broken or self._leftover_note is not None
              or self._proc.returncode is not None):
            why = self._leftover_note or ("the REPL was restarted before this cell; earlier "
                                          "variables were lost")
            await self._restart()
            note = f"[{why}]\n"
        self._cell_id += 1
        try:
            exec_frame = encode_frame({"type": "exec", "id": self._cell_id, "code": code,
                                       "output_limit": self.output_limit,
                                       "max_frame_bytes": self.max_frame_bytes},
                                      self.max_frame_bytes)
        except FrameError as exc:
            return CellResult(output="", error=f"the cell was not run: its code is too large "
                              f"({exc})", cut_chars=0, duration_s=0.0, final=None,
                              final_set=False)
        try:
            result = await self._run(exec_frame, self._cell_id)
        except BaseException:
            # An engine failure or cancellation mid-cell: the child's state is unknown.
            self._broken = True
            self._kill_now()
            raise
        if note:
            result.output, result.restarted = note + result.output, True
        return result

    async def _run(self, exec_frame: bytes, cell_id: int) -> CellResult:
        started = time.monotonic()
        stderr_mark = self._stderr.total
        try:
            await self._send_bytes(exec_frame)
            frame, timed_out = await self._drive(cell_id)
            if frame is not None:
                result = self._cell_result(frame, timed_out)
                threads = frame.get("threads")
                if isinstance(threads, int) and threads > 0 and self._proc is not None:
                    self._watch = asyncio.ensure_future(
                        self._watch_leftovers(self._proc, threads))
                return result
        except FrameError as exc:
            return await self._recover(exc, started, stderr_mark)
        await self._restart()  # it did not stop when interrupted
        error = (f"cell timed out after {self.cell_timeout:g}s and did not stop when "
                 f"interrupted; the REPL was restarted and {LOST}")
        return CellResult(output="", error=error, cut_chars=0,
                          duration_s=time.monotonic() - started, final=None, final_set=False,
                          timed_out=True, restarted=True)

    async def _watch_leftovers(self, proc: asyncio.subprocess.Process, threads: int) -> None:
        """After a cell that left threads running: an interrupt only reaches the main thread,
        so a leftover thread that keeps computing gets the child stopped (and restarted,
        with a note to the model, before the next cell). Runs beside the engine, which
        goes on at once; the next cell waits for its verdict."""
        if not await watchdog.busy(proc.pid):
            return
        if proc is self._proc and proc.returncode is None:
            self._leftover_note = (
                f"code kept running in {threads} background thread(s) after the previous cell "
                "ended (an interrupt cannot stop a thread), so the REPL was restarted and "
                f"{LOST}. Wait for threads to finish inside the cell")
            self._kill_now()

    def _cell_result(self, frame: dict[str, Any], timed_out: bool) -> CellResult:
        """Turn a result frame into a CellResult; FrameError if its fields are malformed."""
        head, tail, total = frame.get("head"), frame.get("tail"), frame.get("total_chars")
        error, final, duration = frame.get("error"), frame.get("final"), frame.get("duration_s")
        if not (isinstance(head, str) and isinstance(tail, str) and isinstance(total, int)
                and isinstance(error, str | None) and isinstance(final, str | None)
                and isinstance(duration, int | float)):
            raise FrameError("malformed result frame")
        output, cut = join_output(head, tail, total)
        if error and "MemoryError" in error:
            error += f"\n{self._memory_note()}"
        timed_out = timed_out and bool(frame.get("interrupted"))
        if timed_out:
            message = (f"cell timed out after {self.cell_timeout:g}s and was interrupted; "
                       "variables are kept")
            error = message if not error else f"{message}\n{error}"
        printed = frame.get("printed")
        return CellResult(output=output, error=error, cut_chars=cut, duration_s=float(duration),
                          final=final, final_set=bool(frame.get("final_set")),
                          timed_out=timed_out,
                          printed_before_final=printed if isinstance(printed, int) else 0)

    def _memory_note(self) -> str:
        limit = (self.status or {}).get("memory_limit_bytes") or self.rss_limit
        size = f"{limit / (1024 * 1024):,.0f} MB" if limit else "capped"
        return (f"(the REPL's memory is {size}, sized from the context: work on slices, "
                "and delete large variables you no longer need)")

    async def _recover(self, exc: FrameError, started: float, stderr_mark: int) -> CellResult:
        """The child died or broke the protocol mid-cell: explain, restart, carry on."""
        if self._breach is not None:
            what = self._breach
        elif isinstance(exc, WatchdogBreach):
            what = str(exc)
        elif isinstance(exc, PipeClosedError):
            code = await self._exit_code()
            what = ("the REPL process closed its pipe" if code is None
                    else f"the REPL process exited ({describe_exit(code)})")
        else:
            what = f"the REPL process sent a bad frame ({exc})"
        stderr = self._stderr.text(stderr_mark).strip()
        await self._restart()
        error = f"{what} while running this cell; it was restarted and {LOST}"
        if stderr:
            error += f"\nits stderr ended with:\n{stderr[-2000:]}"
        return CellResult(output="", error=error, cut_chars=0,
                          duration_s=time.monotonic() - started, final=None, final_set=False,
                          restarted=True)

    async def _exit_code(self) -> int | None:
        """Wait briefly for the child to finish exiting (it closed its pipe)."""
        return None if self._proc is None else await wait_exit(self._proc, 1.0)

    async def _drive(self, cell_id: int) -> tuple[dict[str, Any] | None, bool]:
        """Read frames until the cell's result; answer calls concurrently meanwhile.

        Returns (result frame, timed out); the frame is None when an interrupted cell
        did not answer within the grace period. The timeout clock stops while any call
        is being handled: sub-calls are bounded elsewhere. At most MAX_INFLIGHT_CALLS
        calls are handled at once: the next frame is read when one finishes.
        """
        loop = asyncio.get_running_loop()
        budget = self.cell_timeout
        calls: dict[asyncio.Task[Any], Any] = {}
        read_task: asyncio.Future[tuple[dict[str, Any], int]] | None = asyncio.ensure_future(
            self._read_sized())
        try:
            while True:
                handling = bool(calls)
                timeout = None if handling else max(budget, 0.0)
                if self.rss_limit is not None:
                    timeout = WATCH_INTERVAL if timeout is None else min(timeout, WATCH_INTERVAL)
                waiting: set[asyncio.Future[Any]] = set(calls)
                if read_task is not None:
                    waiting.add(read_task)
                before = loop.time()
                done, _ = await asyncio.wait(waiting, timeout=timeout,
                                             return_when=asyncio.FIRST_COMPLETED)
                if not handling:
                    budget -= loop.time() - before
                self._check_memory()
                for task in [t for t in done if t in calls]:
                    await self._reply(calls.pop(task), task)
                if read_task is not None and read_task in done:
                    frame, size = read_task.result()
                    read_task = None
                    if frame.get("type") == "call":
                        calls[asyncio.ensure_future(self._handle(frame, size))] = frame.get("id")
                    elif frame.get("type") == "result" and frame.get("id") == cell_id:
                        return frame, False
                    else:
                        raise FrameError(f"unexpected {frame.get('type')!r} frame during a cell")
                if read_task is None and len(calls) < MAX_INFLIGHT_CALLS:
                    read_task = asyncio.ensure_future(self._read_sized())
                if not done and not handling and budget <= 0 and read_task is not None:
                    return await self._interrupt(read_task, cell_id), True
        finally:
            for task in calls:
                task.cancel()
            if read_task is not None and not read_task.done():
                read_task.cancel()

    def _check_memory(self) -> None:
        """Where the kernel does not cap the child's memory, stop it past the cap."""
        if self.rss_limit is not None and self._proc is not None:
            problem = watchdog.over_memory(self._proc.pid, self.rss_limit)
            if problem:
                self._kill_now()
                raise WatchdogBreach(problem)

    async def _interrupt(self, read_task: asyncio.Future[tuple[dict[str, Any], int]],
                         cell_id: int) -> dict[str, Any] | None:
        """SIGINT the child and wait up to the grace period for the cell's result."""
        if os.name != "posix" or self._proc is None:
            return None
        try:
            os.kill(self._proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.interrupt_grace
        try:
            while (remaining := deadline - loop.time()) > 0:
                done, _ = await asyncio.wait({read_task}, timeout=remaining)
                if not done:
                    return None
                frame, _ = read_task.result()
                if frame.get("type") == "result" and frame.get("id") == cell_id:
                    return frame
                if frame.get("type") != "call":
                    raise FrameError(f"unexpected {frame.get('type')!r} frame during a cell")
                await self._send({"type": "reply", "id": frame.get("id"), "ok": False,
                                  "error": "cell timed out"})
                read_task = asyncio.ensure_future(self._read_sized())
            return None
        finally:
            if not read_task.done():
                read_task.cancel()

    async def _handle(self, frame: dict[str, Any], size: int) -> Any:
        """Check a call from the child (model code can forge frames), hold its ``size``
        bytes against the run tree's limit while it is pending, and hand it on."""
        op, args = frame.get("op"), frame.get("args")
        problem = check_call(op, args)
        if problem:
            raise SubCallRefused(f"malformed {op!r} call: {problem}")
        assert isinstance(op, str) and isinstance(args, dict)
        del frame  # the handler may drop its arguments early (see release_call_args)
        hold = self.call_bytes.take(op, size)
        CURRENT_HOLD.set(hold)  # this task's own context: see CURRENT_HOLD
        try:
            return await self._handler(op, args)
        finally:
            hold.release()

    async def _reply(self, call_id: Any, task: asyncio.Task[Any]) -> None:
        """Send a finished call's answer; exceptions other than SubCallRefused propagate."""
        try:
            reply = {"type": "reply", "id": call_id, "ok": True, "value": task.result()}
        except SubCallRefused as exc:
            reply = {"type": "reply", "id": call_id, "ok": False, "error": str(exc)}
        try:
            data = encode_frame(reply, self.max_frame_bytes)
        except FrameError as exc:
            data = encode_frame({"type": "reply", "id": call_id, "ok": False,
                                 "error": f"the answer was too large to pass to the REPL ({exc})"})
        await self._send_bytes(data)

    # --- pipes ---------------------------------------------------------------------------

    async def _read_sized(self) -> tuple[dict[str, Any], int]:
        assert self._proc is not None and self._proc.stdout is not None
        return await read_sized_frame(self._proc.stdout, self.max_frame_bytes)

    async def _send(self, obj: dict[str, Any]) -> None:
        await self._send_bytes(encode_frame(obj, self.max_frame_bytes))

    async def _send_bytes(self, data: bytes) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise PipeClosedError("the REPL process is not running")
        try:
            proc.stdin.write(data)
            # A child that stops reading (its reader thread starved or its pipe duplicated
            # away) must not hang the host: past the timeout it counts as broken.
            await asyncio.wait_for(proc.stdin.drain(), self.send_timeout)
        except TimeoutError:  # before OSError, of which it is a subclass
            self._kill_now()
            raise WatchdogBreach(f"the REPL process stopped reading its input for "
                                 f"{self.send_timeout:g} s and was stopped") from None
        except (ConnectionError, OSError) as exc:
            raise PipeClosedError(f"the REPL process closed its pipe ({exc})") from None
