"""``rlm ask`` end to end: scripted models on the fake server, a real REPL child, real HTTP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from engine import events as ev
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply, by_model, sequence
from tests.support.harness import ask, repl


def needle_root() -> Any:
    return sequence(
        repl('import re\nhits = [m.start() for m in re.finditer("secret code", context)]\n'
             'print(hits)\nsnippet = context[hits[0] - 100:hits[0] + 100]'),
        repl('verdict = llm_query("What is the secret code? Text: " + snippet)\nprint(verdict)'),
        repl("FINAL(verdict)"),
    )


def code_from_prompt(request: ChatRequest) -> Reply:
    found = re.search(r"secret code is (\d+)", request.last_user)
    return Reply(content=found.group(1) if found else "not found")


def test_needle_found_by_regex_and_confirmed_by_a_sub_call(tmp_path: Path, capsys: Any) -> None:
    script = by_model({"fake-root": needle_root(), "fake-sub": code_from_prompt})
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "What is the secret code?")
        requests = list(server.requests)
    assert out.code == 0, out.stderr
    assert out.result["answer"] == "7319"
    assert out.result["stop_reason"] == "answered"
    root_calls = [r for r in requests if r.model == "fake-root"]
    sub_calls = [r for r in requests if r.model == "fake-sub"]
    assert len(root_calls) == 3 and len(sub_calls) == 1
    # The first turn describes the context but never contains it.
    first = root_calls[0].last_user
    assert "What is the secret code?" in first and "beta.txt" in first
    assert "7319" not in first and "7319" not in root_calls[0].system
    # The sub-model saw the slice the code chose; the root saw the printed output.
    assert "secret code is 7319" in sub_calls[0].last_user
    assert "7319" in root_calls[2].last_user
    usage = out.result["usage"]
    assert usage["calls"] == 4 and usage["prompt_tokens"] > 0
    assert usage["cost_usd"] is not None and usage["cost_usd"] > 0
    assert out.result["sandbox"]["pid"] > 0


def test_variables_persist_across_iterations(tmp_path: Path, capsys: Any) -> None:
    script = sequence(repl("x = 41"), repl("y = x + 1\nprint(y)"), repl("FINAL(y)"))
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys)
    assert out.code == 0 and out.result["answer"] == "42"


def test_each_turn_says_which_iteration_it_is(tmp_path: Path, capsys: Any) -> None:
    script = sequence(repl("a = 1"), repl("FINAL(a)"))
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "q", "--max-iterations", "7")
        requests = list(server.requests)
    assert out.code == 0
    assert "7 iterations" in requests[0].last_user
    assert "[Iteration 2 of 7" in requests[1].last_user


def test_llm_query_batched_keeps_order_and_isolates_a_failure(tmp_path: Path,
                                                              capsys: Any) -> None:
    def sub(request: ChatRequest) -> Reply:
        if request.last_user == "item 3":
            return Reply(fault="400_context")
        number = int(request.last_user.split()[1])
        return Reply(content=f"answer {number}", latency=0.05 * (8 - number))

    root = sequence(
        repl('results = llm_query_batched([f"item {i}" for i in range(8)])\nprint(results)'),
        repl("FINAL(' | '.join(results))"))
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": sub})) as server:
        out = ask(server, tmp_path, capsys)
    assert out.code == 0, out.stderr
    parts = out.result["answer"].split(" | ")
    assert [p for i, p in enumerate(parts) if i != 3] == [f"answer {i}" for i in range(8) if i != 3]
    assert parts[3].startswith("[llm_query error:") and "too long" in parts[3]
    finished = out.of_type("subcall_finished")
    assert len(finished) == 8 and sum(1 for e in finished if e.error) == 1


def test_llm_query_failure_is_an_exception_the_code_can_catch(tmp_path: Path,
                                                              capsys: Any) -> None:
    root = sequence(repl(
        "try:\n    llm_query('x' * 10)\nexcept SubCallError as e:\n    FINAL('caught: ' + str(e))"))
    sub = Reply(fault="400_context")
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": sub})) as server:
        out = ask(server, tmp_path, capsys)
    assert out.code == 0 and out.result["answer"].startswith("caught: ")


def recursive_script(request: ChatRequest) -> Reply | str:
    """fake-root asks a child; every child RLM asks a deeper child; plain calls answer 'leaf'."""
    if request.model == "fake-root":
        return sequence(repl('r = rlm_query("go deeper")\nFINAL("root:" + r)'))(request)
    if request.system:  # an RLM run whose root is the sub-model
        return repl('r = rlm_query("go deeper")\nFINAL("d:" + r)')
    return "leaf"


def run_depth(tmp_path: Path, capsys: Any, depth: int) -> Any:
    with FakeOpenAI(recursive_script) as server:
        return ask(server, tmp_path, capsys, "q", "--max-depth", str(depth),
                   "--accept-early-answers")


def test_rlm_query_depth_one(tmp_path: Path, capsys: Any) -> None:
    out = run_depth(tmp_path, capsys, 1)
    assert out.code == 0 and out.result["answer"] == "root:d:leaf"
    depths = sorted(e.depth for e in out.of_type("run_started"))
    assert depths == [0, 1]


def test_rlm_query_depth_two_reports_parent_links(tmp_path: Path, capsys: Any) -> None:
    out = run_depth(tmp_path, capsys, 2)
    assert out.code == 0 and out.result["answer"] == "root:d:d:leaf"
    starts = {e.depth: e for e in out.of_type("run_started")}
    assert sorted(starts) == [0, 1, 2]
    assert starts[1].parent_run_id == starts[0].run_id
    assert starts[2].parent_run_id == starts[1].run_id
    assert starts[2].parent_call_id and starts[2].parent_call_id.startswith(starts[1].run_id)
    # Each child had its own REPL process.
    pids = {e.status["pid"] for e in out.of_type("sandbox_status")}
    assert len(pids) == 3


def test_rlm_query_at_depth_limit_becomes_llm_query(tmp_path: Path, capsys: Any) -> None:
    out = run_depth(tmp_path, capsys, 0)
    assert out.code == 0 and out.result["answer"] == "root:leaf"
    assert [e.depth for e in out.of_type("run_started")] == [0]
    assert any("depth limit" in e.message for e in out.of_type("notice"))


def test_rlm_query_over_a_given_slice(tmp_path: Path, capsys: Any) -> None:
    def script(request: ChatRequest) -> Reply | str:
        if request.model == "fake-root":
            return sequence(repl('r = rlm_query("size?", context="abc" * 10)\nFINAL(r)'))(request)
        return repl("FINAL(str(len(context)))")

    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys)
    assert out.result["answer"] == "30"


def test_prose_final_without_code_is_accepted(tmp_path: Path, capsys: Any) -> None:
    script = sequence(repl("print(len(context))"), "I have checked.\nFINAL(The code is 7319.)")
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys)
    assert out.code == 0 and out.result["answer"] == "The code is 7319."


def test_prose_final_beside_code_is_not_accepted_with_early_answers_accepted(
        tmp_path: Path, capsys: Any) -> None:
    # With the hold on, the same reply is held back instead (tests/engine/rlm/test_confirm.py).
    script = sequence("FINAL(a guess)\n```repl\nz = 5\n```", repl("FINAL(z)"))
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "q", "--accept-early-answers")
        requests = list(server.requests)
    assert out.result["answer"] == "5"
    assert "outside a code block" in requests[1].last_user


def test_prose_final_var_is_resolved_in_the_repl(tmp_path: Path, capsys: Any) -> None:
    script = sequence(repl("summary = 'long ' * 3"), "Done.\nFINAL_VAR(summary)")
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys)
    assert out.result["answer"] == "long long long "


def test_reply_without_code_gets_a_reminder(tmp_path: Path, capsys: Any) -> None:
    script = sequence("I think the answer is in beta.", repl("FINAL('ok')"))
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys)
        requests = list(server.requests)
    assert out.result["answer"] == "ok"
    assert "no ```repl``` block" in requests[1].last_user


def test_cell_error_is_shown_to_the_model_and_the_run_goes_on(tmp_path: Path,
                                                              capsys: Any) -> None:
    script = sequence(repl("undefined_name + 1"), repl("FINAL('recovered')"))
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys)
        requests = list(server.requests)
    assert out.result["answer"] == "recovered"
    assert "NameError" in requests[1].last_user
    assert "child.py" not in requests[1].last_user


def test_long_output_is_cut_with_a_note(tmp_path: Path, capsys: Any) -> None:
    script = sequence(repl("print('x' * 50000)"), repl("FINAL('done')"))
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys)
        requests = list(server.requests)
    assert out.code == 0
    fed_back = requests[1].last_user
    assert "characters cut" in fed_back and len(fed_back) < 22_000
    cell = out.of_type("cell_finished")[0]
    assert isinstance(cell, ev.CellFinished) and cell.cut_chars == 30_001  # 50,000 x and a newline


def test_log_writes_each_event_once(tmp_path: Path, capsys: Any) -> None:
    marker = "UNIQUE-REPLY-MARKER"
    replies = [repl(f"v{i} = {i}  # <{marker}{i}>") for i in range(12)] + [repl("FINAL('end')")]
    with FakeOpenAI(sequence(*replies)) as server:
        out = ask(server, tmp_path, capsys)
    text = out.log.read_text(encoding="utf-8")
    for i in range(12):
        # Once in the model_response event, once in cell_started: never the history again.
        assert text.count(f"<{marker}{i}>") == 2
    assert len(out.of_type("model_response")) == 13
    assert out.of_type("run_finished")[0].stop_reason == "answered"


def test_root_and_sub_model_on_different_endpoints_with_different_keys(
        tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("ROOT_KEY", "sk-root")
    monkeypatch.setenv("SUB_KEY", "sk-sub")
    root = sequence(repl("a = llm_query('hello')"), repl("FINAL(a)"))
    with FakeOpenAI(root) as root_server, FakeOpenAI(lambda r: "from the sub server") as sub:
        out = ask(root_server, tmp_path, capsys, "q", "--api-key-env", "ROOT_KEY",
                  "--sub-base-url", sub.base_url, "--sub-api-key-env", "SUB_KEY")
        root_headers = {r.headers["authorization"] for r in root_server.requests}
        sub_requests = list(sub.requests)
    assert out.code == 0 and out.result["answer"] == "from the sub server"
    assert root_headers == {"Bearer sk-root"}
    assert [(r.model, r.headers["authorization"]) for r in sub_requests] == \
        [("fake-sub", "Bearer sk-sub")]


def test_output_limit_flag(tmp_path: Path, capsys: Any) -> None:
    script = sequence(repl("print('y' * 5000)"), repl("FINAL('done')"))
    with FakeOpenAI(script) as server:
        ask(server, tmp_path, capsys, "q", "--output-limit", "1000")
        fed_back = server.requests[1].last_user
    assert "[4,001 characters cut]" in fed_back


def test_unclosed_fence_runs_as_code(tmp_path: Path, capsys: Any) -> None:
    script = sequence("```repl\nresult = 6 * 7\nFINAL(result)")
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys)
    assert out.code == 0 and out.result["answer"] == "42"


def test_one_bad_prompt_in_a_batch_does_not_end_the_run(tmp_path: Path, capsys: Any) -> None:
    def sub(request: ChatRequest) -> Reply:
        if request.last_user == "filtered":
            return Reply(fault="400_context")
        return Reply(content="fine")

    root = sequence(repl("r = llm_query_batched(['a', 'filtered', 'b'])\nFINAL(' | '.join(r))"))
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": sub})) as server:
        out = ask(server, tmp_path, capsys)
    first, failed, last = out.result["answer"].split(" | ")
    assert out.code == 0 and (first, last) == ("fine", "fine")
    assert failed.startswith("[llm_query error:")


def test_unknown_model_named_in_code_is_the_codes_problem(tmp_path: Path, capsys: Any) -> None:
    root = sequence(repl("try:\n    llm_query('x', model='typo')\nexcept SubCallError as e:\n"
                         "    FINAL('handled')"))
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": "ok"})) as server:
        out = ask(server, tmp_path, capsys)
    assert out.code == 0 and out.result["answer"] == "handled"


def test_unknown_configured_sub_model_ends_the_run(tmp_path: Path, capsys: Any) -> None:
    root = sequence(repl("llm_query('x')"))
    with FakeOpenAI(by_model({"fake-root": root})) as server:
        out = ask(server, tmp_path, capsys)
    assert out.code == 4 and "fake-sub" in out.result["error"]


def test_a_failing_child_run_is_reported_to_the_parents_code(tmp_path: Path,
                                                           capsys: Any) -> None:
    root = sequence(repl("try:\n    rlm_query('help')\nexcept SubCallError as e:\n"
                         "    FINAL('child failed: ' + str(e)[:40])"))
    with FakeOpenAI(by_model({"fake-root": root,
                              "fake-sub": lambda r: Reply(fault="500")})) as server:
        out = ask(server, tmp_path, capsys, "q", "--max-retries", "0")
    assert out.code == 0 and out.result["answer"].startswith("child failed")


def test_child_run_usage_is_its_own(tmp_path: Path, capsys: Any) -> None:
    out = run_depth(tmp_path, capsys, 1)
    finished = [e for e in out.of_type("subcall_finished") if e.kind == "rlm_query"]
    assert len(finished) == 1
    # The child made two calls: its own root turn and its depth-limit llm_query.
    child_calls = [e for e in out.of_type("model_response") if e.depth == 1]
    assert len(child_calls) == 1
    assert finished[0].prompt_tokens > 0 and finished[0].cost_usd is not None


def test_retry_notices_belong_to_the_run_that_retried(tmp_path: Path, capsys: Any) -> None:
    calls = {"n": 0}

    def script(request: ChatRequest) -> Reply | str:
        if request.model == "fake-root":
            return sequence(repl('r = rlm_query("go")\nFINAL(r)'))(request)
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply(fault="500", retry_after=0.05)
        return repl("FINAL('child done')")

    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "q", "--max-depth", "1")
    assert out.result["answer"] == "child done"
    retries = [e for e in out.of_type("notice") if "retrying" in e.message]
    assert retries and all(e.depth == 1 and e.parent_run_id for e in retries)


def test_budget_refuses_an_unpriced_model_named_in_code(tmp_path: Path, capsys: Any) -> None:
    root = sequence(repl("try:\n    llm_query('x', model='mystery')\nexcept SubCallError as e:\n"
                         "    FINAL(str(e))"))
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": "ok", "mystery": "ok"})) as server:
        out = ask(server, tmp_path, capsys, "q", "--budget", "5")
        asked = {r.model for r in server.requests}
    assert "no known price" in out.result["answer"] and "mystery" not in asked


def test_child_runs_started_from_threads_are_bounded(tmp_path: Path, capsys: Any) -> None:
    from engine.rlm.budget import MAX_CONCURRENT_CHILD_RUNS

    def script(request: ChatRequest) -> Reply | str:
        if request.model == "fake-root":
            return sequence(repl(
                "from concurrent.futures import ThreadPoolExecutor\n"
                "with ThreadPoolExecutor(8) as pool:\n"
                "    r = list(pool.map(lambda i: rlm_query(f'part {i}'), range(8)))\n"
                "FINAL(','.join(r))"))(request)
        return Reply(content=repl("FINAL('ok')"), latency=0.3)

    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "q", "--max-depth", "1")
        busiest = server.max_concurrent
    assert out.code == 0 and out.result["answer"] == ",".join(["ok"] * 8)
    assert busiest <= MAX_CONCURRENT_CHILD_RUNS
