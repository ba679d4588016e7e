"""Settings, prices, keys and providers through the worker: round trips, refusals, no secrets."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from engine import secrets
from tests.engine.worker.harness import WorkerProcess
from tests.support.fake_openai import FakeOpenAI, Reply, by_model

SECRET = "sk-test-never-echo-1234567890"


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_settings_round_trip_and_a_bad_setting_is_refused(worker: WorkerProcess) -> None:
    got = worker.call("settings_get").result
    assert got["settings"]["limits"]["max_iterations"] == 30
    assert got["path"].startswith(os.environ["XDG_CONFIG_HOME"])
    settings = got["settings"]
    settings["root"] = {"model": "qwen3:8b", "base_url": "http://localhost:11434/v1",
                        "api_key_env": None}
    settings["limits"]["max_iterations"] = 12
    assert worker.call("settings_set", {"settings": settings}).result == {"path": got["path"]}
    again = worker.call("settings_get").result["settings"]
    assert again["root"]["model"] == "qwen3:8b" and again["limits"]["max_iterations"] == 12
    for bad, words in [({"limits": {"max_iterations": 0}}, "at least 1"),
                       ({"limits": {"max_iterations": "many"}}, "wrong type"),
                       ({"colour": "red"}, "unknown setting"),
                       ({"root": {"base_url": "ftp://x"}}, "not an http(s) URL")]:
        reply = worker.call("settings_set", {"settings": bad})
        assert reply.line["kind"] == "config" and words in reply.line["error"], reply.line
    assert worker.call("settings_get").result["settings"]["limits"]["max_iterations"] == 12
    assert worker.call("settings_set", {"settings": "x"}).line["kind"] == "usage"


def test_prices_round_trip_and_a_bad_price_is_refused(worker: WorkerProcess) -> None:
    got = worker.call("prices_get").result
    assert got["builtin"]["gpt-5"]["input"] > 0 and got["overrides"] == {}
    overrides = {"my-model": {"input": 0.5, "output": 1.5}}
    assert worker.call("prices_set", {"overrides": overrides}).result == {"path": got["path"]}
    again = worker.call("prices_get").result["overrides"]
    assert again == {"my-model": {"input": 0.5, "output": 1.5, "cached_input": None}}
    bad = worker.call("prices_set", {"overrides": {"m": {"input": -1, "output": 1}}})
    assert bad.line["kind"] == "config"
    assert worker.call("prices_get").result["overrides"] == again      # unchanged
    assert [p.name for p in Path(got["path"]).parent.iterdir()
            if p.name.startswith(".prices-")] == []


def test_keys_in_the_keyring_and_for_the_session_and_never_sent_back(
        worker: WorkerProcess) -> None:
    empty = worker.call("key_status", {"provider": "openai"}).result
    assert empty["stored"] is False and empty["source"] is None
    assert empty["env_var"] == "OPENAI_API_KEY" and empty["keyring"]["usable"] is True
    assert worker.call("key_set", {"provider": "openai", "secret": SECRET,
                                   "where": "session"}).result == {"where": "session"}
    session = worker.call("key_status", {"provider": "openai"}).result
    assert session["stored"] is True and session["source"] == "session"
    assert worker.call("key_set", {"provider": "https://openrouter.ai/api/v1", "secret": SECRET,
                                   "where": "keyring"}).result == {"where": "keyring"}
    stored = worker.call("key_status", {"provider": "openrouter"}).result
    assert stored["source"] == "keyring" and stored["env_var"] == "OPENROUTER_API_KEY"
    assert worker.call("key_set", {"provider": "openai", "secret": SECRET,
                                   "where": "disk"}).line["kind"] == "usage"
    assert worker.call("key_delete", {"provider": "openai"}).result == {"deleted": True}
    assert worker.call("key_status", {"provider": "openai"}).result["source"] is None
    assert worker.call("key_delete", {"provider": "openai"}).result == {"deleted": False}
    assert worker.call("key_delete", {"provider": "openrouter"}).result == {"deleted": True}
    assert all(SECRET.encode() not in raw for raw in worker.raw)


def test_session_keys_come_first_and_stay_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    url = "https://api.openai.com/v1"
    assert secrets.get_key(url) == "from-env" and secrets.key_source("openai") == "env"
    secrets.set_session_key("openai", " session-key ")
    try:
        assert secrets.get_key(url) == "session-key"
        assert secrets.key_source(url) == "session"
    finally:
        assert secrets.delete_session_key("openai")
    assert secrets.get_key(url) == "from-env"


def test_discover_local_list_models_and_test_connection(worker: WorkerProcess) -> None:
    script = by_model({"fake-root": "OK"}, default=Reply(fault="404"))
    with FakeOpenAI(script, models=["fake-root", "other"]) as server:
        nobody = f"http://127.0.0.1:{closed_port()}/v1"
        found = worker.call("discover_local", {"candidates": [
            {"name": "Fake", "base_url": server.base_url},
            {"name": "Nobody", "base_url": nobody}]}).result
        assert found[0] == {"name": "Fake", "base_url": server.base_url, "reachable": True,
                            "models": ["fake-root", "other"], "error": None}
        assert found[1]["reachable"] is False and "start the server" in found[1]["error"]
        models = worker.call("list_models", {"base_url": server.base_url,
                                             "api_key_env": None}).result
        assert models == {"models": ["fake-root", "other"]}
        good = worker.call("test_connection", {"base_url": server.base_url,
                                               "model": "fake-root"}).result
        assert good["ok"] is True and good["kind"] is None and good["latency_s"] >= 0
        assert server.requests[-1].body.get("max_tokens") == 8
        missing = worker.call("test_connection", {"base_url": server.base_url,
                                                  "model": "no-such-model"}).result
        assert missing["ok"] is False and missing["kind"] == "not_found"
        assert "no-such-model" in missing["message"]
        down = worker.call("test_connection", {"base_url": nobody, "model": "m"}).result
        assert down["kind"] == "unreachable" and "Is the server running?" in down["message"]
        bad = worker.call("discover_local", {"candidates": [{"name": "x"}]})
        assert bad.line["kind"] == "usage"
    for raw in worker.raw:
        json.loads(raw)
