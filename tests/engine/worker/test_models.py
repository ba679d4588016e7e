"""The model check through the worker: its result, its record, and the warning before asking."""

from __future__ import annotations

import time

from engine.rlm import model_checks
from tests.engine.worker.harness import WorkerProcess
from tests.support import probe_models
from tests.support.fake_openai import FakeOpenAI


def test_check_model_keeps_the_outcome_and_the_warning_follows(worker: WorkerProcess) -> None:
    assert worker.call("model_check_warning").result["warning"] is None
    with FakeOpenAI(probe_models.chatting()) as server:
        settings = worker.call("settings_get").result["settings"]
        settings["root"] = {"model": "fake-root", "base_url": server.base_url,
                            "api_key_env": None}
        worker.call("settings_set", {"settings": settings})
        assert worker.call("model_check_warning").result == {
            "model": "fake-root", "base_url": server.base_url, "api_key_env": None,
            "warning": None}
        failed = worker.call("check_model", {"base_url": server.base_url,
                                             "model": "fake-root"}).result
        assert failed["outcome"] == "no_code" and failed["saved"] is True
        assert failed["summary"].startswith("Answers without looking at the documents.")
        assert "The test took" in failed["summary"]
        warning = worker.call("model_check_warning").result["warning"]
        assert "The main model fake-root did not drive the analysis" in warning
        server.set_script(probe_models.driving())
        passed = worker.call("check_model", {"base_url": server.base_url,
                                             "model": "fake-root"}).result
        assert passed["outcome"] == "drives" and passed["passed"] is True
        assert worker.call("model_check_warning").result["warning"] is None


def test_check_model_refuses_a_bad_time_limit(worker: WorkerProcess) -> None:
    for bad in (0, -1, "soon", True, 10_000):
        reply = worker.call("check_model", {"base_url": "http://127.0.0.1:9/v1", "model": "m",
                                            "timeout_s": bad})
        assert reply.line["kind"] == "usage" and "timeout_s" in reply.line["error"]


def test_cancel_stops_a_check_at_once_and_keeps_nothing(worker: WorkerProcess) -> None:
    with FakeOpenAI(probe_models.slow(30.0)) as server:
        check_id = worker.send("check_model", {"base_url": server.base_url,
                                               "model": "fake-root"})
        deadline = time.monotonic() + 20
        while len(server.requests) < 2 and time.monotonic() < deadline:  # the run's 1st step
            time.sleep(0.05)
        assert worker.call("cancel", {"target": check_id}).result == {"cancelled": True}
        cancelled_at = time.monotonic()
        reply = worker.wait(check_id)
    assert time.monotonic() - cancelled_at < 3.0
    assert reply.line["ok"] is False and reply.line["kind"] == "cancelled"
    assert model_checks.all_checks() == []
