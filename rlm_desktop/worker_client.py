"""The GUI's bridge to the engine worker: one QProcess speaking the JSON-lines protocol."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

import engine
from engine import bundle
from rlm_desktop.replies import Hello

Callback = Callable[[dict[str, Any]], None]

# Requests that keep the engine working for a while (shown as "busy" in the window).
LONG_COMMANDS = frozenset({"ask", "ingest", "rescan", "review_run"})
STDERR_KEEP = 200            # lines of the worker's log kept for error reports
DRAIN_BUDGET_S = 0.015       # longest slice of GUI time spent delivering queued lines
START_TIMEOUT_MS = 60_000    # a worker that has not said "ready" by then is killed
STOP_GRACE_MS = 3_000        # polite shutdown, then kill
CRASH_WINDOW_S = 60.0        # more than MAX_CRASHES deaths in this window: stop restarting
MAX_CRASHES = 3
_ERROR_MARKS = ("Error", "error:", "Traceback", "Exception", "Fatal", "Killed", "Segmentation")


@dataclass
class _Pending:
    cmd: str
    on_event: Callback | None
    on_done: Callback | None


def default_command() -> list[str]:
    """How the worker is started: this interpreter running ``engine.worker`` (or the bundle's
    executable in its worker mode)."""
    return bundle.worker_command()


class WorkerClient(QObject):
    """Starts the engine worker, sends requests, routes events and replies to callbacks.

    Callbacks run on the GUI thread. Lines are parsed in slices of at most ~15 ms so a burst
    of events never stalls the window; the rest is delivered on the next turn of the loop.
    """

    ready = Signal(object)        # the Hello, after every (re)start
    died = Signal(str)            # why the worker stopped unexpectedly; it is restarted at once
    busy_changed = Signal(bool)   # an ask, ingest or rescan is running (or no longer)
    state_changed = Signal(str)   # "starting", "ready", "restarting", "stopped", "failed"

    def __init__(self, parent: QObject | None = None, *, command: list[str] | None = None,
                 env: dict[str, str] | None = None) -> None:
        super().__init__(parent)
        self._command = list(command or default_command())
        self._extra_env = dict(env or {})
        self._proc: QProcess | None = None
        self._state = "stopped"
        self._next_id = 0
        self._pending: dict[int, _Pending] = {}
        self._outbox: list[bytes] = []       # lines written once the worker says "ready"
        self._handshaken = False
        self._buffer = b""
        self._lines: deque[bytes] = deque()
        self._stderr_buffer = b""
        self._log: deque[str] = deque(maxlen=STDERR_KEEP)
        self._crashes: deque[float] = deque()
        self._busy = False
        self.hello = Hello()
        self._drain_timer = QTimer(self)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(0)
        self._drain_timer.timeout.connect(self._drain)
        self._start_timer = QTimer(self)
        self._start_timer.setSingleShot(True)
        self._start_timer.setInterval(START_TIMEOUT_MS)
        self._start_timer.timeout.connect(self._start_timed_out)
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.setInterval(STOP_GRACE_MS)
        self._kill_timer.timeout.connect(self._kill)

    # --- public interface ---------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def pid(self) -> int:
        """The worker's process id (0 when none is running)."""
        return int(self._proc.processId()) if self._proc is not None else 0

    @property
    def busy(self) -> bool:
        return self._busy

    def log_tail(self) -> list[str]:
        """The last lines the worker wrote to stderr (for error reports)."""
        return list(self._log)

    def start(self) -> None:
        """Start the worker (again); requests made meanwhile are sent once it is ready."""
        if self._proc is not None and self._proc.state() != QProcess.ProcessState.NotRunning:
            return
        self._spawn("starting")

    def stop(self) -> None:
        """Ask the worker to shut down; it is killed if still running after 3 s."""
        proc = self._proc
        self._fail_pending("stopped", "The engine was shut down before this finished. "
                                      "Start the app again to continue.")
        if proc is None or proc.state() == QProcess.ProcessState.NotRunning:
            self._set_state("stopped")
            return
        self._set_state("stopping")
        self._start_timer.stop()
        if self._handshaken:
            self._write({"id": self._new_id(), "cmd": "shutdown", "args": {}})
        proc.closeWriteChannel()          # EOF on stdin also ends the worker
        self._kill_timer.start()

    def wait_stopped(self, msecs: int = STOP_GRACE_MS) -> bool:
        """Block until the worker has exited (only for use after the event loop ended)."""
        proc = self._proc
        if proc is None or proc.state() == QProcess.ProcessState.NotRunning:
            return True
        if not proc.waitForFinished(msecs):
            proc.kill()
            return proc.waitForFinished(1000)
        return True

    def request(self, cmd: str, args: dict[str, Any] | None = None, *,
                on_event: Callback | None = None, on_done: Callback | None = None) -> int:
        """Send one request; returns its id. ``on_done`` gets exactly one reply dict."""
        request_id = self._new_id()
        line = {"id": request_id, "cmd": cmd, "args": args or {}}
        encoded = json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n"
        self._pending[request_id] = _Pending(cmd, on_event, on_done)
        if self._state in ("stopped", "stopping", "failed"):
            # Answered on the next turn of the loop: callers get the id before the reply.
            QTimer.singleShot(0, self, lambda: self._finish(request_id, {
                "ok": False, "kind": "stopped",
                "error": "The engine is not running. Use Help > Restart engine, or restart "
                         "the app."}))
            return request_id
        if self._handshaken:
            self._write_bytes(encoded)
        else:
            self._outbox.append(encoded)
        self._update_busy()
        return request_id

    def cancel(self, request_id: int) -> None:
        """Ask the worker to stop a running ask or ingest (it ends within 2 s)."""
        if request_id not in self._pending:
            return
        self.request("cancel", {"target": request_id})

    # --- process lifecycle ----------------------------------------------------------

    def _spawn(self, state: str) -> None:
        self._discard_process()
        proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        env.insert("PYTHONIOENCODING", "utf-8")
        # Make `-m engine.worker` find the very engine this GUI imported, even uninstalled.
        engine_root = str(Path(engine.__file__).resolve().parent.parent)
        current = env.value("PYTHONPATH", "")
        parts = [p for p in current.split(os.pathsep) if p]
        if engine_root not in parts:
            env.insert("PYTHONPATH", os.pathsep.join([engine_root, *parts]))
        for name, value in self._extra_env.items():
            env.insert(name, value)
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._read_stdout)
        proc.readyReadStandardError.connect(self._read_stderr)
        proc.finished.connect(self._finished)
        proc.errorOccurred.connect(self._error)
        self._proc = proc
        self._handshaken = False
        self._buffer = b""
        self._stderr_buffer = b""
        self._set_state(state)
        self._start_timer.start()
        proc.start(self._command[0], self._command[1:])

    def _discard_process(self) -> None:
        old = self._proc
        if old is None:
            return
        self._proc = None
        for sig in (old.readyReadStandardOutput, old.readyReadStandardError,
                    old.finished, old.errorOccurred):
            sig.disconnect()
        if old.state() != QProcess.ProcessState.NotRunning:
            old.kill()
            old.waitForFinished(1000)
        old.deleteLater()

    def _error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._died(f"it could not be started: {self._proc.errorString() if self._proc else ''}"
                       .strip())

    def _finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        self._read_stderr()
        self._drain_timer.stop()
        self._drain(everything=True)    # what the worker said before it went comes first
        self._kill_timer.stop()
        self._start_timer.stop()
        if self._state == "stopping":
            self._set_state("stopped")
            return
        if status == QProcess.ExitStatus.CrashExit:
            reason = "it crashed"
            if os.name == "posix" and exit_code > 0:
                try:
                    reason = f"it was killed by {signal.Signals(exit_code).name}"
                except ValueError:
                    reason = f"it was killed by signal {exit_code}"
        else:
            reason = f"it exited with code {exit_code}"
        self._died(reason)

    def _start_timed_out(self) -> None:
        if self._proc is not None and not self._handshaken:
            self._log.append("[gui] the engine did not report ready in time; killing it")
            self._proc.kill()

    def _kill(self) -> None:
        if self._proc is not None and self._proc.state() != QProcess.ProcessState.NotRunning:
            self._proc.kill()

    def _last_error_line(self) -> str:
        """The worker's last log line that reads like an error (not routine HTTP logging)."""
        for line in list(self._log)[-30:][::-1]:
            if any(mark in line for mark in _ERROR_MARKS):
                return line.strip()[:200]
        return ""

    def _died(self, reason: str) -> None:
        if self._state in ("stopped", "failed"):
            return
        last = self._last_error_line()
        detail = reason + (f"; it said: {last}" if last else "")
        self._fail_pending("worker_died",
                           f"The engine stopped unexpectedly ({detail}). It has been restarted; "
                           "your library is safe. Ask again to continue.")
        now = time.monotonic()
        self._crashes.append(now)
        while self._crashes and now - self._crashes[0] > CRASH_WINDOW_S:
            self._crashes.popleft()
        if len(self._crashes) > MAX_CRASHES:
            self._discard_process()
            self._set_state("failed")
            self.died.emit(f"The engine stopped {len(self._crashes)} times in a minute "
                           f"({detail}), so it was not restarted again. Use Help > Restart "
                           "engine, and see Help > Engine log for the cause.")
            return
        self.died.emit(detail)
        self._spawn("restarting")

    # --- reading -------------------------------------------------------------------

    def _read_stdout(self) -> None:
        if self._proc is None:
            return
        data = bytes(self._proc.readAllStandardOutput().data())
        if not data:
            return
        self._buffer += data
        *complete, self._buffer = self._buffer.split(b"\n")
        self._lines.extend(line for line in complete if line.strip())
        if self._lines and not self._drain_timer.isActive():
            self._drain()

    def _read_stderr(self) -> None:
        if self._proc is None:
            return
        self._stderr_buffer += bytes(self._proc.readAllStandardError().data())
        *complete, self._stderr_buffer = self._stderr_buffer.split(b"\n")
        for line in complete:
            self._log.append(line.decode("utf-8", "replace"))
        if len(self._stderr_buffer) > 64_000:      # a line without end: keep its start
            self._log.append(self._stderr_buffer[:2000].decode("utf-8", "replace"))
            self._stderr_buffer = b""

    def _drain(self, *, everything: bool = False) -> None:
        deadline = time.perf_counter() + DRAIN_BUDGET_S
        while self._lines:
            self._handle_line(self._lines.popleft())
            if not everything and time.perf_counter() > deadline:
                break
        if self._lines:
            self._drain_timer.start()

    def _handle_line(self, raw: bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            self._log.append("[stdout] " + raw.decode("utf-8", "replace")[:2000])
            return
        if not isinstance(message, dict):
            self._log.append("[stdout] " + raw.decode("utf-8", "replace")[:2000])
            return
        if "ready" in message:
            self._handshake()
            return
        request_id = message.get("id")
        pending = self._pending.get(request_id) if isinstance(request_id, int) else None
        if pending is None or not isinstance(request_id, int):
            if message.get("ok") is False:
                self._log.append(f"[engine] {message.get('error')}")
            return
        if "event" in message:
            if pending.on_event is not None and isinstance(message["event"], dict):
                self._call(pending.on_event, message["event"])
            return
        reply = {k: v for k, v in message.items() if k != "id"}
        if reply.get("ok") is not True:
            reply.setdefault("error", "The engine gave no reason; see Help > Engine log.")
            reply.setdefault("kind", "internal")
        self._finish(request_id, reply)

    def _handshake(self) -> None:
        self._handshaken = True
        self._start_timer.stop()
        self._write({"id": self._new_id_for("hello"), "cmd": "hello", "args": {}})
        outbox, self._outbox = self._outbox, []
        for line in outbox:
            self._write_bytes(line)

    def _new_id_for(self, cmd: str) -> int:
        request_id = self._new_id()
        self._pending[request_id] = _Pending(cmd, None, self._hello_done)
        return request_id

    def _hello_done(self, reply: dict[str, Any]) -> None:
        if reply.get("ok") and isinstance(reply.get("result"), dict):
            self.hello = Hello.from_json(reply["result"])
            self._set_state("ready")
            self.ready.emit(self.hello)
        else:
            self._log.append(f"[gui] hello failed: {reply.get('error')}")
            self._set_state("ready")
            self.ready.emit(Hello())

    # --- helpers -------------------------------------------------------------------

    def _finish(self, request_id: int, reply: dict[str, Any]) -> None:
        pending = self._pending.pop(request_id, None)
        self._update_busy()
        if pending is not None and pending.on_done is not None:
            self._call(pending.on_done, reply)

    def _fail_pending(self, kind: str, error: str) -> None:
        self._lines.clear()
        self._outbox.clear()
        pending, self._pending = self._pending, {}
        self._update_busy()
        for item in pending.values():
            if item.on_done is not None:
                self._call(item.on_done, {"ok": False, "kind": kind, "error": error})

    def _call(self, callback: Callback, payload: dict[str, Any]) -> None:
        try:
            callback(payload)
        except Exception:
            # One faulty view must not stop delivery to the others; report it as Qt would.
            sys.excepthook(*sys.exc_info())

    def _update_busy(self) -> None:
        busy = any(p.cmd in LONG_COMMANDS for p in self._pending.values())
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _write(self, message: dict[str, Any]) -> None:
        self._write_bytes(json.dumps(message).encode("utf-8") + b"\n")

    def _write_bytes(self, line: bytes) -> None:
        if self._proc is not None and self._proc.state() == QProcess.ProcessState.Running:
            self._proc.write(line)

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)
