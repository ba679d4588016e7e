"""The model check through the worker: its result, its record, and the warning before asking."""

from __future__ import annotations

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
