"""Typed worker replies: what the worker sends, and missing or wrong-typed fields as defaults."""

from __future__ import annotations

import math
from typing import Any

import pytest

from engine.config import ModelSettings, Settings
from engine.ingest.report import Failure, IngestReport, describe
from rlm_desktop.replies import (
    AskResult,
    Collection,
    ConnectionTest,
    Document,
    Hello,
    IngestFailure,
    IngestResult,
    KeyringStatus,
    KeyStatus,
    LocalServer,
    ModelList,
    PageText,
    PriceTables,
    RunEvents,
    RunRecord,
    SavedSettings,
    list_of,
)

PARSERS = [AskResult.from_json, Collection.from_json, ConnectionTest.from_json,
           Document.from_json, Hello.from_json, IngestFailure.from_json, IngestResult.from_json,
           KeyringStatus.from_json, KeyStatus.from_json, ModelList.from_json,
           PriceTables.from_json, RunEvents.from_json, RunRecord.from_json,
           SavedSettings.from_json, PageText.from_json]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("data", [None, {}, [], "text", 3])
def test_an_empty_or_absent_result_gives_the_defaults(parse: Any, data: object) -> None:
    parsed = parse(data)
    assert parsed == type(parsed)()


def test_a_reply_of_another_shape_never_raises() -> None:
    junk: dict[str, Any] = {"id": [1], "title": {"a": 1}, "pages": "many", "tokens": None,
                            "status": 7, "warnings": "not a list", "error": False}
    assert Document.from_json(junk) == Document(status="7")
    assert LocalServer.from_json({"models": "llama", "reachable": 1}) == \
        LocalServer(name="", base_url="", reachable=True, models=())


def test_numbers() -> None:
    assert Document.from_json({"pages": 12.0, "tokens": "3456"}).pages == 12
    assert Document.from_json({"tokens": "3456"}).tokens == 3456
    for bad in ("12 pages", "1.5", True, None, [3], math.nan, math.inf):
        assert Document.from_json({"pages": bad}).pages == 0, bad
    assert RunRecord.from_json({"duration_s": 4}).duration_s == 4.0
    assert RunRecord.from_json({"duration_s": "2.5"}).duration_s == 2.5
    for bad in ("soon", True, {}, None):
        assert RunRecord.from_json({"duration_s": bad}).duration_s is None, bad
    # An unknown cost stays unknown: never a made-up $0.
    assert RunRecord.from_json({"cost_usd": None}).cost_usd is None
    assert RunRecord.from_json({"cost_usd": 0}).cost_usd == 0.0


def test_text_and_lists() -> None:
    assert Collection.from_json({"name": 2024}).name == "2024"
    assert Collection.from_json({"name": None}).name == ""
    assert Document.from_json({"warnings": ["a", 3, None, "b"]}).warnings == ("a", "b")
    assert ModelList.from_json({"models": ["m1", {"id": "m2"}, "m3"]}).models == ("m1", "m3")
    assert list_of(Collection.from_json, [{"name": "a"}, "b", None, {"name": "c"}]) == \
        [Collection(name="a"), Collection(name="c")]
    assert list_of(Collection.from_json, {"name": "a"}) == []
    assert list_of(Collection.from_json, None) == []


def test_hello_and_the_keyring() -> None:
    hello = Hello.from_json({"version": "1.2", "pid": 4242, "protocol": 1,
                             "data_dir": "/d", "config_dir": "/c", "store": "/d/library.db",
                             "keyring": {"backend": "X", "usable": True, "detail": "ok"}})
    assert hello == Hello(version="1.2", pid=4242, data_dir="/d", config_dir="/c",
                          keyring=KeyringStatus(usable=True, detail="ok"))
    # Not said, or said in a way that is not yes or no: the reader decides (the key box
    # assumes a keyring, the data page does not).
    assert Hello.from_json({}).keyring.usable is None
    assert KeyringStatus.from_json({"usable": "yes"}).usable is None
    assert KeyringStatus.from_json({"usable": False}).usable is False


def test_key_status() -> None:
    status = KeyStatus.from_json({"provider": "openai", "stored": True, "source": "keyring",
                                  "env_var": "OPENAI_API_KEY",
                                  "keyring": {"usable": False, "detail": "none"}})
    assert status.stored and status.source == "keyring"
    assert status.env_var == "OPENAI_API_KEY" and status.keyring.usable is False
    assert KeyStatus.from_json({"source": None}).source is None
    assert KeyStatus.from_json({"source": ""}).source is None


def test_ingest_result_from_the_engine() -> None:
    report = IngestReport(collection="acme", missing=["/gone.pdf"], pages=7, cancelled=True,
                          failed=[Failure("/x.pdf", "password", "locked")])
    result = IngestResult.from_json(describe(report))
    assert result == IngestResult(collection="acme", failed=(IngestFailure(
        "/x.pdf", "password", "locked"),), missing=("/gone.pdf",), pages=7, cancelled=True)
    # A count where the paths belong is not a list of paths.
    assert IngestResult.from_json({"missing": 3, "failed": [None, "x"]}) == IngestResult()


def test_ask_result() -> None:
    usage = {"calls": 3, "cost_usd": None, "known_cost_usd": 0.2}
    result = AskResult.from_json({
        "run_id": "r1", "conversation": "c-1", "answer": "Yes.", "stop_reason": "answered",
        "partial": False, "usage": usage, "duration_s": 1.5, "error": None,
        "sandbox": {"enforced": True}})
    assert (result.run_id, result.conversation, result.answer) == ("r1", "c-1", "Yes.")
    assert result.stop_reason == "answered" and not result.partial
    assert result.usage == usage and result.sandbox == {"enforced": True}
    assert result.duration_s == 1.5 and result.error == ""
    bad = AskResult.from_json({"usage": [1], "sandbox": "on", "partial": 1})
    assert bad.usage == {} and bad.sandbox == {} and bad.partial is True


def test_run_records_and_their_events() -> None:
    stored = RunEvents.from_json({
        "run": {"run_id": "r1", "question": "q", "answer": "a", "status": "interrupted",
                "stop_reason": None, "partial": True, "usage": {"calls": 1}},
        "events": [{"type": "run_started"}, "junk", {"type": "run_finished"}]})
    assert stored.run.run_id == "r1" and stored.run.status == "interrupted"
    assert stored.run.stop_reason == "" and stored.run.partial
    assert stored.run.usage == {"calls": 1}
    assert [e["type"] for e in stored.events] == ["run_started", "run_finished"]
    # A history row has no usage.
    assert RunRecord.from_json({"run_id": "r2"}).usage == {}


def test_saved_settings_and_the_main_model() -> None:
    chosen = Settings(root=ModelSettings(model="gpt-x"))
    saved = SavedSettings.from_json({"settings": chosen.to_json(), "path": "/c/config.json"})
    assert saved.root_model == "gpt-x" and saved.path == "/c/config.json"
    assert SavedSettings.from_json({"settings": Settings().to_json()}).root_model == ""
    assert SavedSettings.from_json({"settings": {"root": "gpt-x"}}).root_model == ""
    assert SavedSettings.from_json({"settings": []}).settings == {}


def test_prices_servers_and_connection_tests() -> None:
    prices = PriceTables.from_json({"builtin": {"m": {"input": 1.0}}, "overrides": None,
                                    "path": "/c/prices.json"})
    assert prices.builtin == {"m": {"input": 1.0}} and prices.overrides == {}
    server = LocalServer.from_json({"name": "Ollama", "base_url": "http://127.0.0.1:11434/v1",
                                    "reachable": True, "models": ["a", "b"], "error": None})
    assert server.describe() == "Ollama — 2 models" and server.error is None
    assert ConnectionTest.from_json({"ok": True, "latency_s": 0.25, "kind": None,
                                     "message": "Connected"}) == \
        ConnectionTest(ok=True, latency_s=0.25, kind="", message="Connected")
    assert ConnectionTest.from_json({"ok": False, "kind": "auth"}).latency_s is None


def test_every_reply_reads_nothing_and_garbage_as_its_defaults() -> None:
    """A field whose type has no reader fails here, not in a Qt slot."""
    from rlm_desktop import replies

    classes = [c for c in vars(replies).values()
               if isinstance(c, type) and issubclass(c, replies.Reply) and c is not replies.Reply]
    assert len(classes) >= 15
    for cls in classes:
        for data in ({}, None, [], "x", {"unknown": 1}):
            assert isinstance(cls.from_json(data), cls)


def test_page_text_and_the_recorded_file() -> None:
    page = PageText.from_json({"doc_id": 3, "page": 2, "pages": 9, "found": True,
                               "label": "236", "text": "<b>x</b>", "kind": 5})
    assert (page.doc_id, page.page, page.pages, page.found) == (3, 2, 9, True)
    assert page.label == "236" and page.text == "<b>x</b>" and page.kind == "5"
    doc = Document.from_json({"size": 1234, "mtime_ns": 1_700_000_000_123_456_789})
    assert doc.size == 1234 and doc.mtime_ns == 1_700_000_000_123_456_789
