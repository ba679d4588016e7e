"""The model check: a real tiny run against scripted models, one per outcome, and its record."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest

from engine.endpoints import Endpoint
from engine.providers.prices import Price, PriceTable
from engine.rlm import model_checks
from engine.rlm.model_checks import CheckOutcome, CheckResult
from engine.rlm.probe import check_model, code_word, found_word
from tests.support import probe_models
from tests.support.fake_openai import FakeOpenAI, Reply, Script


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PRICED = PriceTable({"fake-root": Price(input=1.0, output=2.0)})


def run_check(script: Script, *, timeout_s: float = 30.0,
              prices: PriceTable = PRICED) -> tuple[CheckResult, FakeOpenAI]:
    with FakeOpenAI(script) as server:
        result = asyncio.run(check_model(Endpoint("fake-root", server.base_url), prices,
                                         timeout_s=timeout_s))
    return result, server


def test_a_model_that_looks_and_answers_drives_the_analysis() -> None:
    result, server = run_check(probe_models.driving())
    assert result.outcome == CheckOutcome.DRIVES and result.passed
    assert result.steps == 2 and result.code_runs == 2
    assert result.headline == "Drives the analysis"
    # The run was a real one: the system prompt and the test note went to the model.
    first_turn = server.requests[1]
    assert "persistent Python REPL" in first_turn.system
    assert "Test note" in first_turn.last_user
    assert result.cost_usd is not None and result.cost_usd > 0
    assert f"${result.cost_usd:.4f}" in result.summary()
    assert result.duration_s < 30


def test_a_model_that_only_chats_answers_without_looking() -> None:
    result, _ = run_check(probe_models.chatting())
    assert result.outcome == CheckOutcome.NO_CODE and not result.passed
    assert result.code_runs == 0 and result.steps == 3
    assert "banana" in result.first_reply
    assert "without writing code" in result.message


def test_unrelated_loops_ignore_the_format() -> None:
    result, _ = run_check(probe_models.looping())
    assert result.outcome == CheckOutcome.IGNORES_FORMAT
    assert result.code_runs >= 3 and result.stop_reason == "max_iterations"
    assert "pieces of code in 3 steps but never ended with FINAL" in result.message


def test_code_then_a_wrong_answer_ignores_the_format() -> None:
    result, _ = run_check(probe_models.guessing())
    assert result.outcome == CheckOutcome.IGNORES_FORMAT
    assert result.stop_reason == "answered"
    assert "did not contain the code word" in result.message


def test_empty_replies_ignore_the_format() -> None:
    result, _ = run_check(probe_models.silent())
    assert result.outcome == CheckOutcome.IGNORES_FORMAT
    assert "empty replies" in result.message


def test_a_model_slower_than_the_limit_is_too_slow() -> None:
    result, _ = run_check(probe_models.slow(5.0), timeout_s=1.5)
    assert result.outcome == CheckOutcome.TOO_SLOW
    assert result.stop_reason == "timeout"
    assert 1.4 < result.duration_s < 5
    assert "1.5 s" in result.message


def test_no_server_is_could_not_connect_and_nothing_is_kept() -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    result = asyncio.run(check_model(Endpoint("m", url), PRICED, timeout_s=5))
    assert result.outcome == CheckOutcome.UNREACHABLE
    assert result.headline == "Could not connect"
    assert "Is the server running?" in result.message
    assert model_checks.record(result) is False
    assert model_checks.last_check(url, "m") is None


def test_a_service_failing_mid_test_is_named_as_such() -> None:
    script = probe_models.driving()
    calls = []

    def failing(request):  # type: ignore[no-untyped-def]
        calls.append(request)
        if len(calls) > 1:
            return Reply(fault="401")
        return script(request)

    result, _ = run_check(failing)
    assert result.outcome == CheckOutcome.SERVICE_ERROR
    assert "failed during the test" in result.message


def test_unpriced_local_models_cost_nothing_in_words() -> None:
    result, _ = run_check(probe_models.driving(), prices=PriceTable({}))
    assert result.cost_usd is None and result.local
    assert "no charge" in result.cost_words()


def test_the_code_word_cannot_be_guessed_and_is_found_in_any_case() -> None:
    words = {code_word() for _ in range(20)}
    assert len(words) > 15
    assert found_word('The code word is "HERON-5273".', "heron-5273")
    assert not found_word("heron-5274", "heron-5273")


# --- the record -------------------------------------------------------------------------


def failed(url: str = "http://127.0.0.1:9/v1", model: str = "tiny") -> CheckResult:
    return CheckResult(base_url=url, model=model, outcome=CheckOutcome.NO_CODE,
                       message="m", checked_at="2026-12-03T08:00:00+00:00", duration_s=1.0,
                       cost_usd=None, local=True)


def test_a_failed_check_is_kept_and_warns_until_a_passing_one() -> None:
    assert model_checks.warning_for("http://127.0.0.1:9/v1", "tiny") is None
    assert model_checks.record(failed())
    warning = model_checks.warning_for("http://127.0.0.1:9/v1/", "tiny")
    assert warning is not None
    assert "did not drive the analysis in a test on 3 December 2026" in warning
    assert "answers without looking at the documents" in warning
    assert "Test it again, or choose another main model" in warning
    # Another model, or the same name at another address, has no record.
    assert model_checks.warning_for("http://127.0.0.1:9/v1", "other") is None
    assert model_checks.warning_for("http://127.0.0.1:8/v1", "tiny") is None
    passed = failed()
    passed.outcome = CheckOutcome.DRIVES
    model_checks.record(passed)
    assert model_checks.warning_for("http://127.0.0.1:9/v1", "tiny") is None
    stored = json.loads(model_checks.checks_path().read_text())
    assert stored["version"] == 1 and len(stored["checks"]) == 1


@pytest.mark.parametrize("content", ["{not json", '["a list"]', '{"checks": {"x": {"a": 1}}}'])
def test_a_damaged_record_file_is_read_as_no_checks(content: str) -> None:
    path = model_checks.checks_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    assert model_checks.all_checks() == []
    assert model_checks.warning_for("http://127.0.0.1:9/v1", "tiny") is None
    assert model_checks.record(failed())     # and the next check rewrites it
    assert len(model_checks.all_checks()) == 1


def test_the_record_is_in_the_data_folder(isolated_environment: Path) -> None:
    assert model_checks.checks_path().is_relative_to(isolated_environment)
