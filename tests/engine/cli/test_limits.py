"""Each limit of ``rlm ask`` ends the run with its stop reason, exit code and a partial answer."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from engine.cli.main import main
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply, by_model, sequence
from tests.support.harness import ask, ask_args, ask_subprocess, repl, write_prices


def last_chance_aware(code: str, answer: str = "best guess") -> Any:
    """A root that always writes ``code``, and answers in prose when told it hit a limit."""

    def script(request: ChatRequest) -> Reply | str:
        if "You have reached the limit" in request.last_user:
            return f"FINAL({answer})"
        return repl(code)

    return script


def test_max_iterations_asks_once_for_the_best_answer(tmp_path: Path, capsys: Any) -> None:
    with FakeOpenAI(last_chance_aware("x = 1")) as server:
        out = ask(server, tmp_path, capsys, "q", "--max-iterations", "3")
        calls = len(server.requests)
    assert out.code == 3
    assert out.result["stop_reason"] == "max_iterations"
    assert out.result["answer"] == "best guess" and out.result["partial"] is True
    assert calls == 4


def test_budget_stops_the_run(tmp_path: Path, capsys: Any) -> None:
    expensive = {"fake-root": {"input": 100_000.0, "output": 100_000.0},
                 "fake-sub": {"input": 1.0, "output": 1.0}}
    prices = write_prices(tmp_path, expensive)
    with FakeOpenAI(last_chance_aware("x = 1")) as server:
        out = ask(server, tmp_path, capsys, "q", "--budget", "0.5", "--prices", str(prices),
                  prices=False)
        calls = len(server.requests)
    assert out.code == 3 and out.result["stop_reason"] == "budget"
    assert calls == 1
    assert out.result["usage"]["cost_usd"] >= 0.5


def test_wall_time_limit(tmp_path: Path, capsys: Any) -> None:
    with FakeOpenAI(last_chance_aware("x = 1"), latency=0.4) as server:
        started = time.monotonic()
        out = ask(server, tmp_path, capsys, "q", "--timeout", "1.5")
        elapsed = time.monotonic() - started
    assert out.code == 3 and out.result["stop_reason"] == "timeout"
    assert elapsed < 4


def test_max_sub_calls(tmp_path: Path, capsys: Any) -> None:
    root = last_chance_aware("r = llm_query_batched(['a'] * 4)")
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": "sub answer"})) as server:
        out = ask(server, tmp_path, capsys, "q", "--max-sub-calls", "10")
    assert out.code == 3 and out.result["stop_reason"] == "max_sub_calls"
    assert out.result["answer"] == "best guess"
    assert len(out.of_type("subcall_finished")) == 8


def test_max_consecutive_errors(tmp_path: Path, capsys: Any) -> None:
    with FakeOpenAI(last_chance_aware("1 / 0")) as server:
        out = ask(server, tmp_path, capsys, "q", "--max-errors", "2")
    assert out.code == 3 and out.result["stop_reason"] == "max_errors"
    assert len(out.of_type("cell_finished")) == 2


def test_cell_timeout_interrupts_and_the_run_goes_on(tmp_path: Path, capsys: Any) -> None:
    script = sequence(repl("keep = 5\nwhile True:\n    pass"), repl("FINAL(keep)"))
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "q", "--cell-timeout", "0.5")
        requests = list(server.requests)
    assert out.code == 0 and out.result["answer"] == "5"
    assert "timed out" in requests[1].last_user
    assert out.of_type("cell_finished")[0].timed_out


def test_unknown_price_gives_null_cost_not_zero(tmp_path: Path, capsys: Any) -> None:
    with FakeOpenAI(sequence(repl("print(len(context))"), repl("FINAL('a')"))) as server:
        out = ask(server, tmp_path, capsys, "q", prices=False)
    assert out.code == 0
    assert out.result["usage"]["cost_usd"] is None
    assert out.result["usage"]["calls"] == 2 and out.result["usage"]["prompt_tokens"] > 0
    assert any("unknown" in e.message for e in out.of_type("notice"))


def test_openrouter_style_reported_cost_is_used(tmp_path: Path, capsys: Any) -> None:
    script = sequence(Reply(content=repl("print(len(context))"), cost=0.25),
                      Reply(content=repl("FINAL('a')"), cost=0.5))
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "q", prices=False)
    assert out.result["usage"]["cost_usd"] == 0.75


def test_cancel_stops_everything_within_two_seconds(tmp_path: Path) -> None:
    slow_sub = Reply(content="late", latency=30)
    root = sequence(repl("r = llm_query_batched(['a'] * 4)"))
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": slow_sub})) as server:
        proc = ask_subprocess(server, tmp_path, "q")
        deadline = time.monotonic() + 20
        log = tmp_path / "run.jsonl"
        while time.monotonic() < deadline:  # wait until the sub-calls are in flight
            if log.exists() and log.read_text().count("subcall_started") >= 4:
                break
            time.sleep(0.05)
        pids = [json.loads(line)["status"]["pid"] for line in log.read_text().splitlines()
                if '"sandbox_status"' in line]
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=10)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0, stderr
    assert proc.returncode == 130, stderr
    assert json.loads(stdout)["stop_reason"] == "cancelled"
    for pid in pids:
        assert not _alive(pid), f"REPL child {pid} survived the cancel"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_roles_alternate_even_when_a_limit_asks_for_the_answer(tmp_path: Path,
                                                               capsys: Any) -> None:
    with FakeOpenAI(last_chance_aware("1 / 0")) as server:
        out = ask(server, tmp_path, capsys, "q", "--max-errors", "1", "--max-iterations", "2")
        last = server.requests[-1]
    assert out.result["stop_reason"] == "max_errors"
    roles = [m["role"] for m in last.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert "ZeroDivisionError" in last.last_user and "reached the limit" in last.last_user


def test_last_iteration_turn_does_not_announce_another_iteration(tmp_path: Path,
                                                                 capsys: Any) -> None:
    with FakeOpenAI(last_chance_aware("x = 1")) as server:
        ask(server, tmp_path, capsys, "q", "--max-iterations", "2")
        last = server.requests[-1].last_user
    assert "Iteration 3 of 2" not in last and "reached the limit" in last


def test_a_reply_cut_off_at_the_output_limit_gets_told_so(tmp_path: Path, capsys: Any) -> None:
    cut = Reply(content="```repl\nx = [1, 2,", finish_reason="length")
    with FakeOpenAI(sequence(cut, repl("FINAL('ok')"))) as server:
        out = ask(server, tmp_path, capsys)
        second = server.requests[1].last_user
    assert out.result["answer"] == "ok" and "cut off" in second


def test_last_chance_answer_built_in_a_variable_is_kept(tmp_path: Path, capsys: Any) -> None:
    def script(request: ChatRequest) -> Reply | str:
        if "You have reached the limit" in request.last_user:
            return "FINAL_VAR(summary)"
        return repl("summary = 'built ' * 2")

    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "q", "--max-iterations", "1")
    assert out.code == 3 and out.result["answer"] == "built built "


def test_last_chance_final_inside_code_is_run(tmp_path: Path, capsys: Any) -> None:
    def script(request: ChatRequest) -> Reply | str:
        if "You have reached the limit" in request.last_user:
            return "Here it is:\n" + repl("FINAL('from code')")
        return repl("x = 1")

    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "q", "--max-iterations", "1")
    assert out.result["answer"] == "from code"


def test_no_code_reminder_never_announces_an_iteration_past_the_limit(tmp_path: Path,
                                                                     capsys: Any) -> None:
    def script(request: ChatRequest) -> Reply | str:
        if "You have reached the limit" in request.last_user:
            return "FINAL(done)"
        return "Just thinking."

    with FakeOpenAI(script) as server:
        ask(server, tmp_path, capsys, "q", "--max-iterations", "2")
        texts = [r.last_user for r in server.requests]
    assert not any("Iteration 3 of 2" in t for t in texts)


def test_max_sub_calls_counts_a_childs_own_model_calls(tmp_path: Path, capsys: Any) -> None:
    def script(request: ChatRequest) -> Reply | str:
        if request.model == "fake-root":
            return last_chance_aware('r = rlm_query("go")')(request)
        return repl("x = 1")  # a child that never finishes on its own

    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "q", "--max-sub-calls", "5", "--max-depth", "1")
    assert out.code == 3 and out.result["stop_reason"] == "max_sub_calls"
    assert out.result["usage"]["calls"] <= 8


def test_a_partial_answer_says_why_in_the_products_words(tmp_path: Path, capsys: Any) -> None:
    with FakeOpenAI(last_chance_aware("x = 1")) as server:
        args = [a for a in ask_args(server, tmp_path, "q", "--max-iterations", "1")
                if a != "--json"]
        assert main(args) == 3
    captured = capsys.readouterr()
    assert captured.out == "best guess\n"
    assert "Stopped at the step limit after " in captured.err
    assert "— here is what was found\n" in captured.err
    assert ("rlm: this answer is partial (stopped at the step limit); the record of the "
            "analysis: rlm show ") in captured.err
    assert "max_iterations" not in captured.err
