"""``rlm models check`` and ``list``, and the warning ``rlm ask`` gives for a failed model."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from engine.cli.common import EXIT_CHECK_FAILED, EXIT_OK, EXIT_PROVIDER, EXIT_USAGE
from engine.cli.main import main
from engine.config import Settings, save_settings
from engine.rlm import model_checks
from tests.support import probe_models
from tests.support.fake_openai import FakeOpenAI, sequence
from tests.support.harness import ask


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check(capsys: Any, *args: str) -> tuple[int, str, str]:
    code = main(["models", "check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_driving_model_passes_in_plain_words(capsys: Any) -> None:
    with FakeOpenAI(probe_models.driving()) as server:
        code, out, err = check(capsys, "--model", "fake-root", "--base-url", server.base_url)
    assert code == EXIT_OK
    assert "Testing fake-root" in err
    assert f"fake-root at {server.base_url}: Drives the analysis" in out
    assert "The test took" in out and "no charge (a server on this computer)" in out
    for engine_word in ("REPL", "iteration", "root model", "sub-model"):
        assert engine_word not in out


def test_a_failing_model_exits_1_and_later_runs_warn(capsys: Any, tmp_path: Path) -> None:
    with FakeOpenAI(probe_models.chatting()) as server:
        code, out, _ = check(capsys, "--model", "fake-root", "--base-url", server.base_url)
        assert code == EXIT_CHECK_FAILED
        assert "Answers without looking at the documents" in out
        assert "will warn before they start" in out
        assert "Its first reply began: The code word is probably 'banana'" in out
        server.set_script(sequence('```repl\nFINAL("7319")\n```'))
        outcome = ask(server, tmp_path, capsys)
    assert outcome.code == EXIT_OK
    warning = [line for line in outcome.stderr.splitlines() if "warning" in line]
    assert len(warning) == 1
    assert "The main model fake-root did not drive the analysis in a test on" in warning[0]
    assert f"Test again: rlm models check --model fake-root --base-url {server.base_url}" \
        in warning[0]


def test_no_warning_for_a_model_never_tested_or_that_passed(capsys: Any, tmp_path: Path) -> None:
    with FakeOpenAI(probe_models.driving()) as server:
        assert check(capsys, "--model", "fake-root", "--base-url", server.base_url)[0] == 0
        server.set_script(sequence('```repl\nFINAL("7319")\n```'))
        outcome = ask(server, tmp_path, capsys)
    assert outcome.code == EXIT_OK and "did not drive" not in outcome.stderr


def test_json_output(capsys: Any) -> None:
    with FakeOpenAI(probe_models.looping()) as server:
        code, out, err = check(capsys, "--model", "fake-root", "--base-url", server.base_url,
                               "--json")
    assert code == EXIT_CHECK_FAILED and err == ""
    data = json.loads(out)
    assert data["outcome"] == "ignores_format" and data["passed"] is False
    assert data["saved"] is True and data["steps"] == 3 and data["duration_s"] > 0
    assert data["model"] == "fake-root" and data["headline"] == "Ignores the format"


def test_could_not_connect_exits_4_and_keeps_nothing(capsys: Any) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    code, out, _ = check(capsys, "--model", "m", "--base-url", url, "--json")
    assert code == EXIT_PROVIDER
    data = json.loads(out)
    assert data["outcome"] == "unreachable" and data["saved"] is False
    assert model_checks.all_checks() == []


def test_the_model_defaults_to_the_settings_main_model(capsys: Any) -> None:
    code, _, err = check(capsys)
    assert code == EXIT_USAGE and "which model? pass --model NAME" in err
    with FakeOpenAI(probe_models.driving()) as server:
        chosen = Settings()
        chosen.root.model, chosen.root.base_url = "fake-root", server.base_url
        save_settings(chosen)
        code, out, _ = check(capsys)
    assert code == EXIT_OK and "fake-root" in out


def test_list_shows_each_model_with_its_last_test(capsys: Any) -> None:
    with FakeOpenAI(probe_models.chatting(), models=["fake-root", "other"]) as server:
        check(capsys, "--model", "fake-root", "--base-url", server.base_url)
        assert main(["models", "list", "--base-url", server.base_url]) == EXIT_OK
        lines = capsys.readouterr().out.splitlines()
        assert main(["models", "list", "--base-url", server.base_url, "--json"]) == EXIT_OK
        data = json.loads(capsys.readouterr().out)
    assert lines[0].startswith("fake-root  answers without looking at the documents (tested ")
    assert lines[1] == "other  not tested"
    assert [m["model"] for m in data["models"]] == ["fake-root", "other"]
    assert data["models"][0]["check"]["outcome"] == "no_code"
    assert data["models"][1]["check"] is None


def test_models_without_an_action_is_a_usage_error(capsys: Any) -> None:
    assert main(["models"]) == EXIT_USAGE
    assert "check or list" in capsys.readouterr().err


def test_the_help_shows_the_engines_time_limit() -> None:
    from engine.cli import models as models_cli
    from engine.rlm import probe

    assert models_cli.PROBE_TIMEOUT_S == probe.PROBE_TIMEOUT_S
