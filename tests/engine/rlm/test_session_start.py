"""A run's REPL child starts while the model client loads, is used by the run, and is
closed when the run is stopped before it began."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest

from engine import events as ev
from engine.rlm.session import run_question
from engine.sandbox.host import ReplProcess
from tests.engine.rlm.test_session import spec
from tests.support.fake_openai import FakeOpenAI, sequence


@pytest.fixture
def spawns(monkeypatch: pytest.MonkeyPatch) -> list[ReplProcess]:
    """Every REPL child spawned, and every close, in order."""
    seen: list[Any] = []
    spawn, close = ReplProcess._spawn, ReplProcess.close

    async def counted_spawn(self: ReplProcess) -> dict[str, Any]:
        seen.append(("spawn", self))
        return await spawn(self)

    async def counted_close(self: ReplProcess) -> None:
        seen.append(("close", self))
        await close(self)

    monkeypatch.setattr(ReplProcess, "_spawn", counted_spawn)
    monkeypatch.setattr(ReplProcess, "close", counted_close)
    return seen


def test_the_session_module_does_not_load_the_model_client() -> None:
    code = "import sys, engine.rlm.session; print('openai' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "False"


def test_the_early_repl_is_the_one_the_run_uses(spawns: list[Any]) -> None:
    events: list[ev.Event] = []
    script = sequence("```repl\nx = 6 * 7\n```", "```repl\nFINAL(x)\n```")
    with FakeOpenAI(script) as server:
        result = asyncio.run(run_question(spec(server), events.append))
    assert result.answer == "42"
    assert [kind for kind, _ in spawns if kind == "spawn"] == ["spawn"]
    assert {repl for _, repl in spawns} == {spawns[0][1]}
    assert ("close", spawns[0][1]) in spawns
    status = next(e for e in events if isinstance(e, ev.SandboxStatus))
    assert status.status["pid"] == spawns[0][1].pid


def test_a_run_cancelled_before_it_begins_closes_the_early_repl(spawns: list[Any]) -> None:
    async def main() -> str:
        cancel = asyncio.Event()
        cancel.set()
        with FakeOpenAI(sequence("```repl\nFINAL(1)\n```")) as server:
            result = await asyncio.wait_for(
                run_question(spec(server), lambda e: None, cancel), timeout=30)
        return result.stop_reason

    assert asyncio.run(main()) == "cancelled"
    started = [repl for kind, repl in spawns if kind == "spawn"]
    assert started and all(("close", repl) in spawns for repl in started)
    assert all(repl._proc is None for repl in started)


def test_the_caller_cancelled_while_the_repl_starts_leaves_no_child(
        spawns: list[Any]) -> None:
    async def main() -> None:
        with FakeOpenAI(sequence("```repl\nFINAL(1)\n```")) as server:
            task = asyncio.ensure_future(run_question(spec(server), lambda e: None))
            while not spawns:
                await asyncio.sleep(0.001)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    started = [repl for kind, repl in spawns if kind == "spawn"]
    assert all(repl._proc is None for repl in started)
