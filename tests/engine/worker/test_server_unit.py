"""The worker's pieces in-process: error kinds, a handler that crashes, the line writer."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from typing import Any

import pytest

from engine.errors import ConfigError, MissingKeyError, ProviderError, SandboxError
from engine.rlm.conversation import ConversationBusy
from engine.worker.jsonio import LineWriter
from engine.worker.server import Worker, error_kind
from engine.worker.state import Request, RequestError, Services


class Sink(io.RawIOBase):
    """A stream that records each write (one write per batch of lines)."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        with self.lock:
            self.writes.append(bytes(data))
        return len(data)

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in b"".join(self.writes).splitlines()]


@pytest.mark.parametrize(("exc", "kind"), [
    (RequestError("x", "busy"), "busy"), (ConversationBusy("x"), "busy"),
    (MissingKeyError("x"), "config"), (ConfigError("x"), "config"),
    (ProviderError("x"), "provider"), (SandboxError("x"), "sandbox"),
    (KeyError("x"), "internal"),
])
def test_error_kinds(exc: Exception, kind: str) -> None:
    assert error_kind(exc) == kind


def test_a_crashing_handler_gets_an_internal_error_and_the_worker_goes_on() -> None:
    sink = Sink()
    out = LineWriter(sink)  # type: ignore[arg-type]

    async def crash(svc: Services, req: Request) -> Any:
        raise ZeroDivisionError("division by zero")

    async def not_json(svc: Services, req: Request) -> Any:
        return {"x": object()}

    async def main() -> None:
        worker = Worker(out)
        worker.handlers.update(crash=crash, not_json=not_json)
        for number, cmd in enumerate(["crash", "not_json", "hello"], start=1):
            worker.accept(json.dumps({"id": number, "cmd": cmd}).encode())
        while worker.active:
            await asyncio.sleep(0.01)
        worker.svc.recorder.close()
        worker.svc.store.close()

    asyncio.run(main())
    out.close()
    replies = {line["id"]: line for line in sink.lines()}
    assert replies[1]["kind"] == "internal"
    assert "ZeroDivisionError: division by zero" in replies[1]["error"]
    assert "see the log" in replies[1]["error"]
    assert replies[2]["ok"] is True       # default=str: an odd value is sent as text
    assert replies[3]["ok"] is True


def test_a_burst_of_lines_is_written_in_few_writes_and_in_order() -> None:
    sink = Sink()
    out = LineWriter(sink)  # type: ignore[arg-type]
    threads = [threading.Thread(target=lambda n=n: [out.send({"t": n, "i": i})
                                                    for i in range(2000)]) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.close()
    lines = sink.lines()
    assert len(lines) == 6000
    for n in range(3):
        assert [line["i"] for line in lines if line["t"] == n] == list(range(2000))
    assert len(sink.writes) < 6000 / 4


def test_a_broken_stdout_stops_the_worker() -> None:
    class Broken(Sink):
        def write(self, data: Any) -> int:
            raise BrokenPipeError("gone")

    stopped = threading.Event()
    out = LineWriter(Broken(), on_broken=stopped.set)  # type: ignore[arg-type]
    out.send({"x": 1})
    assert stopped.wait(5)
    out.send({"x": 2})                   # later lines are dropped quietly
    out.close()
    assert out.broken


def test_every_command_group_names_its_own_commands() -> None:
    from engine.worker.server import COMMAND_GROUPS

    names = [name for group in COMMAND_GROUPS for name in group.HANDLERS]
    assert len(names) == len(set(names))
    assert not {"hello", "shutdown", "cancel"} & set(names)
