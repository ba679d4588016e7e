"""Provider faults: retried when retrying can help, clear errors (exit 4) when it cannot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.cli.main import main
from tests.support.fake_openai import FakeOpenAI, Reply, sequence
from tests.support.harness import ask, repl

# A model that looks, then answers (an answer in the first reply would be held back).
FINAL_NOW = sequence(repl("print(len(context))"), repl("FINAL('fine')"))


@pytest.mark.parametrize("fault", [
    Reply(fault="429", retry_after=0.2),
    Reply(fault="500", retry_after=0.1),
    Reply(fault="malformed"),
    Reply(fault="drop"),
], ids=["429", "500", "malformed", "drop"])
def test_transient_faults_are_retried(fault: Reply, tmp_path: Path, capsys: Any) -> None:
    with FakeOpenAI(FINAL_NOW) as server:
        server.push_faults(fault)
        out = ask(server, tmp_path, capsys)
        calls = len(server.requests)
    assert out.code == 0, out.stderr
    assert out.result["answer"] == "fine"
    assert calls == 3  # the fault, its retry, the answer
    assert any("retrying" in e.message for e in out.of_type("notice"))


def test_hang_past_the_call_timeout_is_retried(tmp_path: Path, capsys: Any) -> None:
    with FakeOpenAI(FINAL_NOW) as server:
        server.push_faults(Reply(fault="hang"))
        out = ask(server, tmp_path, capsys, "q", "--call-timeout", "0.5")
    assert out.code == 0 and out.result["answer"] == "fine"


def test_dead_endpoint_never_hangs_the_run(tmp_path: Path, capsys: Any) -> None:
    with FakeOpenAI(lambda _: Reply(fault="hang")) as server:
        out = ask(server, tmp_path, capsys, "q", "--call-timeout", "0.3", "--max-retries", "1")
    assert out.code == 4
    assert out.result["stop_reason"] == "provider_error"
    assert "no response within 0.3 s" in out.result["error"]


def test_bad_key_stops_with_exit_4_and_says_why(tmp_path: Path, capsys: Any) -> None:
    with FakeOpenAI(lambda _: Reply(fault="401")) as server:
        out = ask(server, tmp_path, capsys)
        calls = len(server.requests)
    assert out.code == 4 and calls == 1
    assert "key" in out.result["error"] and "rejected" in out.result["error"]


def test_unknown_model_stops_with_exit_4(tmp_path: Path, capsys: Any) -> None:
    with FakeOpenAI(lambda _: Reply(fault="404")) as server:
        out = ask(server, tmp_path, capsys)
    assert out.code == 4 and "fake-root" in out.result["error"]


def test_context_too_long_for_the_root_stops_with_exit_4(tmp_path: Path, capsys: Any) -> None:
    with FakeOpenAI(lambda _: Reply(fault="400_context")) as server:
        out = ask(server, tmp_path, capsys)
    assert out.code == 4 and "too long" in out.result["error"]


def test_missing_key_for_a_remote_endpoint_is_a_usage_error(tmp_path: Path,
                                                           capsys: Any) -> None:
    docs = tmp_path / "d.txt"
    docs.write_text("hello")
    code = main(["ask", "q", "--docs", str(docs), "--model", "gpt-5",
                 "--base-url", "https://api.openai.com/v1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "rlm key set openai" in err and "OPENAI_API_KEY" in err


def test_key_from_the_named_environment_variable_is_sent(tmp_path: Path, capsys: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_TEST_KEY", "sk-test-123")
    with FakeOpenAI(FINAL_NOW) as server:
        out = ask(server, tmp_path, capsys, "q", "--api-key-env", "MY_TEST_KEY")
        headers = server.requests[0].headers
    assert out.code == 0
    assert headers["authorization"] == "Bearer sk-test-123"


@pytest.mark.parametrize("argv, message", [
    (["ask", "q"], "no documents"),
    (["ask", "q", "--docs", "/nonexistent/x"], "no such file"),
    (["ask", "q", "--collection", "acme"], "document store"),
    (["ask", "q", "--docs", ".", "--max-iterations", "zero"], "not a whole number"),
    (["ask", "q", "--docs", ".", "--budget", "-1"], "must be above 0"),
])
def test_usage_errors_exit_2(argv: list[str], message: str, capsys: Any) -> None:
    with pytest.raises(SystemExit) as raised:
        code = main(argv)
        raise SystemExit(code)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err
