"""A worker killed mid-run: the window says so, restarts it, fails the run, keeps the library."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.rlm_desktop.ask.test_flow import add_lease
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS, call
from tests.support.fake_openai import FakeOpenAI, Reply, by_model, sequence
from tests.support.harness import repl


def wait_stored(qtbot: Any, client: Any, run_id: str, event_type: str) -> None:
    """Poll run_events (one request at a time) until the store holds ``event_type``."""
    state: dict[str, Any] = {"pending": False, "found": False}

    def done(reply: dict[str, Any]) -> None:
        state["pending"] = False
        events = (reply.get("result") or {}).get("events") or []
        state["found"] = any(e.get("type") == event_type for e in events)

    def check() -> bool:
        if not state["pending"] and not state["found"]:
            state["pending"] = True
            client.request("run_events", {"run_id": run_id}, on_done=done)
        return bool(state["found"])

    qtbot.waitUntil(check, timeout=REPLY_TIMEOUT_MS)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_killed_worker_is_restarted_and_the_run_marked_failed(
        qtbot: Any, window: Any, configured: FakeOpenAI, tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    configured.set_script(by_model({"fake-root": sequence(
        repl("notes = 'looking at clause 9'\nprint(notes)"),
        Reply(content=repl("FINAL(notes)"), latency=60))}))
    panel, runs, client = window.ask_panel, window.run_panel, window.client
    panel.question.setPlainText("What is the secret code?")
    panel.ask_button.click()
    qtbot.waitUntil(lambda: any(e["type"] == "cell_finished" for e in runs.events()),
                    timeout=REPLY_TIMEOUT_MS)
    run_id = runs.events()[0]["run_id"]
    # The worker commits events in ~100 ms batches; kill it once the cell is on disk.
    wait_stored(qtbot, client, run_id, "cell_finished")
    old_pid = client.pid
    refreshed: list[int] = []
    window.library.documents_changed.connect(lambda: refreshed.append(client.pid))
    os.kill(old_pid, signal.SIGKILL)

    qtbot.waitUntil(lambda: not panel.running, timeout=REPLY_TIMEOUT_MS)
    # The run is failed in the run panel, with what it had shown so far left in place.
    _, result, error = runs.finishes()[-1]
    assert result is None and "The engine stopped unexpectedly" in error
    assert [c[0] for c in runs.calls].count("event") >= 5
    assert panel.turns[-1].status == "failed"
    assert "Not answered. The engine stopped unexpectedly" in panel.answer_text()
    # The window says what happened.
    assert window.banner.isVisible()
    banner = window.banner.text.text()
    assert banner.startswith("The engine stopped and was restarted (it was killed by SIGKILL).")
    assert "The question that was running was marked failed" in banner
    assert "Your library is safe." in banner
    # A new worker serves the same library.
    qtbot.waitUntil(lambda: client.state == "ready" and client.pid not in (0, old_pid),
                    timeout=REPLY_TIMEOUT_MS)
    assert window.engine_label.text() == "Engine ready"
    qtbot.waitUntil(lambda: client.pid in refreshed, timeout=REPLY_TIMEOUT_MS)
    assert window.library.document_count() == 1
    # The interrupted run stays in the history, its trajectory kept.
    qtbot.waitUntil(lambda: any(r.run_id == run_id and r.status == "interrupted"
                                for r in window.history_panel.runs or []),
                    timeout=REPLY_TIMEOUT_MS)
    stored = call(qtbot, client, "run_events", {"run_id": run_id})
    assert stored["ok"], stored
    assert stored["result"]["run"]["stop_reason"] == "worker_died"
    assert "cell_finished" in [e["type"] for e in stored["result"]["events"]]
    # The next question works, in a new conversation.
    configured.set_script(by_model({"fake-root": repl("FINAL('back again')")}))
    panel.question.setPlainText("Are you back?")
    panel.ask_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=REPLY_TIMEOUT_MS)
    assert panel.turns[-1].answer == "back again"
    assert "The engine was restarted, so this is a new conversation." in panel.answer_text()
