"""``rlm key`` stores keys in the (in-memory, in tests) keyring, and ``rlm ask`` finds them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import null

from engine.cli.main import main
from tests.support.fake_openai import FakeOpenAI, sequence
from tests.support.harness import ask, repl


def test_set_status_delete(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-stored\n"))
    assert main(["key", "set", "openai"]) == 0
    assert "stored" in capsys.readouterr().out
    assert main(["key", "status"]) == 0
    assert "MemoryKeyring" in capsys.readouterr().out
    assert main(["key", "delete", "openai"]) == 0
    assert "deleted" in capsys.readouterr().out


def test_key_set_needs_a_provider_and_a_key(monkeypatch: pytest.MonkeyPatch,
                                            capsys: Any) -> None:
    assert main(["key", "set"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["key", "set", "openai"]) == 2
    assert "nothing was stored" in capsys.readouterr().err


def test_a_stored_key_is_used_for_its_endpoint(tmp_path: Path, capsys: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeOpenAI(sequence(repl("FINAL('ok')"))) as server:
        provider = server.base_url.split("//")[1].split("/")[0]
        monkeypatch.setattr("sys.stdin", io.StringIO("sk-from-keyring\n"))
        assert main(["key", "set", provider]) == 0
        capsys.readouterr()
        out = ask(server, tmp_path, capsys)
        assert server.requests[0].headers["authorization"] == "Bearer sk-from-keyring"
    assert out.code == 0


def test_key_status_is_readable_at_a_terminal_and_json_on_request(
        monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert main(["key", "status"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("OS keyring: usable (MemoryKeyring)") and "{" not in text
    assert main(["key", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["usable"] is True


def test_key_set_fails_when_the_keyring_keeps_nothing(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: Any) -> None:
    keyring.set_keyring(null.Keyring())
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-lost\n"))
    assert main(["key", "set", "openai"]) == 2
    captured = capsys.readouterr()
    assert "stored" not in captured.out and "OPENAI_API_KEY" in captured.err
