"""WorkerClient against a stand-in worker: replies, event bursts, bad lines, cancel, crash, stop."""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

from PySide6.QtCore import QElapsedTimer, QTimer

from rlm_desktop.worker_client import WorkerClient
from tests.rlm_desktop.conftest import STAND_IN, call, stop_client, wait_ready


def test_hello_then_a_reply(qtbot: Any, stand_in: WorkerClient) -> None:
    assert stand_in.hello.version == "stand-in"
    assert stand_in.pid == stand_in.hello.pid > 0
    reply = call(qtbot, stand_in, "echo", {"x": [1, "ü"]})
    assert reply == {"ok": True, "result": {"x": [1, "ü"]}}


def test_requests_made_before_ready_are_sent_after_the_handshake(qtbot: Any) -> None:
    client = WorkerClient(command=STAND_IN)
    client.start()
    replies: list[dict[str, Any]] = []
    client.request("echo", {"n": 1}, on_done=replies.append)   # the worker is not up yet
    assert client.state == "starting"
    qtbot.waitUntil(lambda: bool(replies), timeout=60_000)
    assert replies == [{"ok": True, "result": {"n": 1}}]
    stop_client(qtbot, client)


def test_a_burst_arrives_in_order_without_stalling_the_loop(qtbot: Any,
                                                            stand_in: WorkerClient) -> None:
    got: list[int] = []
    replies: list[dict[str, Any]] = []
    # Watch the event loop: a 5 ms timer records the longest gap between its ticks.
    clock = QElapsedTimer()
    clock.start()
    gaps = [0]
    last = [clock.elapsed()]

    def tick() -> None:
        now = clock.elapsed()
        gaps[0] = max(gaps[0], now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    stand_in.request("burst", {"n": 3000, "size": 300},
                     on_event=lambda e: got.append(e["i"]), on_done=replies.append)
    qtbot.waitUntil(lambda: bool(replies), timeout=60_000)
    timer.stop()
    assert got == list(range(3000))
    assert replies[0] == {"ok": True, "result": {"sent": 3000}}
    # The client hands over lines in ~15 ms slices; 250 ms leaves room for a loaded machine.
    assert gaps[0] < 250, f"the event loop stalled for {gaps[0]} ms"


def test_a_reply_cut_into_pieces_and_multibyte_characters(qtbot: Any,
                                                          stand_in: WorkerClient) -> None:
    reply = call(qtbot, stand_in, "split")
    assert reply["result"]["text"] == "é" * 50


def test_lines_that_are_not_replies_are_logged_and_ignored(qtbot: Any,
                                                           stand_in: WorkerClient) -> None:
    assert call(qtbot, stand_in, "garbage")["ok"] is True
    assert any("this is not json" in line for line in stand_in.log_tail())
    assert call(qtbot, stand_in, "echo", {"still": "alive"})["result"] == {"still": "alive"}


def test_an_error_reply_reaches_on_done(qtbot: Any, stand_in: WorkerClient) -> None:
    reply = call(qtbot, stand_in, "no_such_command")
    assert reply["ok"] is False and reply["kind"] == "usage"
    assert "no_such_command" in reply["error"]


def test_cancel_ends_a_running_request(qtbot: Any, stand_in: WorkerClient) -> None:
    replies: list[dict[str, Any]] = []
    request_id = stand_in.request("sleep", {"seconds": 30}, on_done=replies.append)
    started = time.monotonic()
    stand_in.cancel(request_id)
    qtbot.waitUntil(lambda: bool(replies), timeout=10_000)
    assert replies[0]["result"] == {"cancelled": True}
    assert time.monotonic() - started < 5


def test_busy_follows_long_requests(qtbot: Any, stand_in: WorkerClient) -> None:
    changes: list[bool] = []
    stand_in.busy_changed.connect(changes.append)
    reply = call(qtbot, stand_in, "ask", {})        # the stand-in refuses it, quickly
    assert reply["ok"] is False
    assert changes == [True, False] and not stand_in.busy


def test_a_crash_fails_pending_requests_and_restarts_the_worker(qtbot: Any,
                                                                stand_in: WorkerClient) -> None:
    first_pid = stand_in.pid
    deaths: list[str] = []
    stand_in.died.connect(deaths.append)
    pending: list[dict[str, Any]] = []
    stand_in.request("sleep", {"seconds": 60}, on_done=pending.append)
    with qtbot.waitSignal(stand_in.ready, timeout=60_000):
        stand_in.request("crash", {})
    assert pending and pending[0]["ok"] is False and pending[0]["kind"] == "worker_died"
    assert "It has been restarted; your library is safe." in pending[0]["error"]
    assert deaths[0] == "it exited with code 3; it said: RuntimeError: crashing on purpose"
    assert stand_in.pid != first_pid
    assert call(qtbot, stand_in, "echo", {"after": 1})["result"] == {"after": 1}


def test_a_killed_worker_is_reported_with_its_signal(qtbot: Any,
                                                     stand_in: WorkerClient) -> None:
    if sys.platform == "win32":
        return
    deaths: list[str] = []
    stand_in.died.connect(deaths.append)
    with qtbot.waitSignal(stand_in.ready, timeout=60_000):
        os.kill(stand_in.pid, signal.SIGKILL)
    assert deaths[0] == "it was killed by SIGKILL"      # routine log lines are left out


def test_a_worker_that_keeps_dying_is_not_restarted_forever(qtbot: Any) -> None:
    client = WorkerClient(command=[sys.executable, "-c", "import sys; sys.exit(1)"])
    deaths: list[str] = []
    client.died.connect(deaths.append)
    client.start()
    qtbot.waitUntil(lambda: client.state == "failed", timeout=60_000)
    assert "was not restarted again" in deaths[-1]
    reply: list[dict[str, Any]] = []
    client.request("echo", {}, on_done=reply.append)
    assert not reply                    # never before request() has returned its id
    qtbot.waitUntil(lambda: bool(reply), timeout=5000)
    assert reply[0]["kind"] == "stopped" and "Restart engine" in reply[0]["error"]


def test_stop_is_polite_and_later_requests_are_refused(qtbot: Any) -> None:
    client = WorkerClient(command=STAND_IN)
    client.start()
    wait_ready(qtbot, client)
    deaths: list[str] = []
    client.died.connect(deaths.append)
    pending: list[dict[str, Any]] = []
    client.request("sleep", {"seconds": 60}, on_done=pending.append)
    stop_client(qtbot, client)
    assert client.state == "stopped" and not deaths
    assert pending[0]["kind"] == "stopped"
    assert client.wait_stopped()
