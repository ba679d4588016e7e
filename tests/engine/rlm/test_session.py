"""run_question used directly, as the GUI worker will: prepared context files and cancel."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from engine import events as ev
from engine.config import Limits
from engine.context_format import PreparedContext
from engine.providers.prices import PriceTable
from engine.rlm.clients import Endpoint
from engine.rlm.session import RunSpec, run_question
from tests.support.fake_openai import FakeOpenAI, Reply, sequence


def spec(server: FakeOpenAI, **kw: object) -> RunSpec:
    base = {"question": "q", "context": "hello world", "documents": [],
            "root": Endpoint("fake-root", server.base_url),
            "sub": Endpoint("fake-sub", server.base_url), "limits": Limits(),
            "prices": PriceTable()}
    base.update(kw)
    return RunSpec(**base)  # type: ignore[arg-type]


def test_prepared_context_files_are_used_in_place(tmp_path: Path) -> None:
    context_path = tmp_path / "cached.txt"
    context_path.write_text("cached context text")
    documents_path = tmp_path / "cached.json"
    documents_path.write_text(json.dumps([]))
    prepared = PreparedContext(context_path, documents_path, 19, [])
    with FakeOpenAI(sequence("```repl\nFINAL(context)\n```")) as server:
        result = asyncio.run(run_question(spec(server, prepared=prepared), lambda e: None))
    assert result.answer == "cached context text"
    assert context_path.exists()  # a cache is not the run's to delete


def test_cancel_event_from_the_caller(tmp_path: Path) -> None:
    events: list[ev.Event] = []

    async def main() -> str:
        cancel = asyncio.Event()
        with FakeOpenAI(lambda r: Reply(content="late", latency=20)) as server:
            task = asyncio.ensure_future(run_question(spec(server), events.append, cancel))
            await asyncio.sleep(0.5)
            cancel.set()
            result = await asyncio.wait_for(task, timeout=2)
        return result.stop_reason

    assert asyncio.run(main()) == "cancelled"
    assert isinstance(events[-1], ev.RunFinished) and events[-1].stop_reason == "cancelled"
