"""Drive a real ``python -m engine.worker`` subprocess over its pipes, as the GUI does."""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.harness import PRICES

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Reply:
    """A request's final line and the events sent before it, in order."""

    line: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.line.get("ok"))

    @property
    def result(self) -> Any:
        assert self.line.get("ok"), self.line
        return self.line["result"]

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]


class WorkerProcess:
    """One worker; lines are read by a thread and sorted by request id."""

    def __init__(self, env: dict[str, str] | None = None, *,
                 command: list[str] | None = None, cwd: Path = ROOT) -> None:
        self.stderr_file = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            command or [sys.executable, "-m", "engine.worker"], cwd=cwd,
            env=env or os.environ.copy(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr_file)
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.raw: list[bytes] = []
        self._ids = itertools.count(1)
        self._pending: dict[int | None, list[dict[str, Any]]] = {}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.ready = self.next_line(timeout=30)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.raw.append(raw)
            self.lines.put(json.loads(raw))
        self.lines.put(None)

    def next_line(self, timeout: float = 30) -> dict[str, Any]:
        line = self.lines.get(timeout=timeout)
        assert line is not None, f"the worker closed stdout; stderr:\n{self.stderr()}"
        return line

    def stderr(self) -> str:
        self.stderr_file.seek(0)
        return self.stderr_file.read().decode("utf-8", "replace")

    def send_raw(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def send(self, cmd: str, args: dict[str, Any] | None = None) -> int:
        request_id = next(self._ids)
        self.send_raw(json.dumps({"id": request_id, "cmd": cmd, "args": args or {}}))
        return request_id

    def wait(self, request_id: int | None, timeout: float = 60,
             on_event: Any = None) -> Reply:
        """Events and the final line of one request; lines of others are kept for later."""
        deadline = time.monotonic() + timeout
        events = self._pending.setdefault(request_id, [])
        while True:
            for i, line in enumerate(events):
                if "event" not in line:
                    del events[i]
                    got = [e["event"] for e in events]
                    self._pending.pop(request_id, None)
                    return Reply(line, got)
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no reply to {request_id} in {timeout} s; " \
                                  f"stderr:\n{self.stderr()[-3000:]}"
            try:
                line = self.next_line(timeout=remaining)
            except queue.Empty:
                continue
            bucket = self._pending.setdefault(line.get("id"), [])
            bucket.append(line)
            if on_event is not None and line.get("id") == request_id and "event" in line:
                on_event(line["event"])

    def wait_event(self, request_id: int, event_type: str, timeout: float = 60) -> None:
        """Read until ``request_id`` has sent an event of ``event_type`` (lines are kept)."""
        deadline = time.monotonic() + timeout
        bucket = self._pending.setdefault(request_id, [])
        while not any(line.get("event", {}).get("type") == event_type for line in bucket):
            line = self.next_line(timeout=max(0.01, deadline - time.monotonic()))
            self._pending.setdefault(line.get("id"), []).append(line)

    def call(self, cmd: str, args: dict[str, Any] | None = None, timeout: float = 60) -> Reply:
        return self.wait(self.send(cmd, args), timeout)

    def close(self, timeout: float = 15) -> int:
        """Close stdin (end of input) and wait for the exit code."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.stderr_file.close()


def write_settings(config_home: Path, base_url: str, **extra: Any) -> Path:
    """config.json and prices.json for asks against the fake server."""
    folder = config_home / "rlm-desktop"
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"root": {"model": "fake-root", "base_url": base_url},
                "sub": {"model": "fake-sub"}, **extra}
    (folder / "prices.json").write_text(json.dumps(PRICES), encoding="utf-8")
    path = folder / "config.json"
    path.write_text(json.dumps(settings), encoding="utf-8")
    return path
