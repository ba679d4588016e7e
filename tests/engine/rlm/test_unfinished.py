"""A run that ends without FINAL says the model did not finish and shows what it had found:
the REPL's variables and the helper model's answers, never its last prose as an answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.events import StopReason
from engine.rlm.unfinished import Findings, Variable, describe, parse_variables
from tests.support.fake_openai import FakeOpenAI, Reply, by_model, sequence
from tests.support.harness import ask, repl

WORK = (
    repl("found = context.count('7319')\nnote = 'the code sits in clause 9'\n"
         "pages = [3, 4]\ndef helper(x):\n    return x\nimport re\nprint(found)"),
    repl("a = llm_query('What is the secret code? Text: clause 9 ...')\nprint(a)"),
)


def run_to_the_limit(tmp_path: Path, capsys: Any, last: str) -> Any:
    script = by_model({"fake-root": sequence(*WORK, last), "fake-sub": "The code is 7319."})
    with FakeOpenAI(script) as server:
        return ask(server, tmp_path, capsys, "What is the code?", "--max-iterations", "2")


def test_a_run_at_the_step_limit_says_it_did_not_finish_and_what_it_found(
        tmp_path: Path, capsys: Any) -> None:
    out = run_to_the_limit(tmp_path, capsys, "I have looked at clause 9 and I think it is 73.")
    assert out.result["stop_reason"] == StopReason.MAX_ITERATIONS and out.result["partial"]
    answer = out.result["answer"]
    assert answer.startswith("The model did not finish: it gave no final answer.")
    assert "- `found` (number): 1" in answer
    assert "- `note` (text, 25 characters): the code sits in clause 9" in answer
    assert "- `pages` (list of 2 items): [3, 4]" in answer
    assert "- `a` (text, 17 characters): The code is 7319." in answer
    for hidden in ("`context`", "`documents`", "`helper`", "`re`", "`llm_query`"):
        assert hidden not in answer
    assert ("Answers from the helper model:\n- Asked: What is the secret code? Text: clause 9 "
            "...\n  Answered: The code is 7319.") in answer
    # The last-chance reply is shown as what it is, never as the answer.
    assert ("Its last reply, which it did not give as its answer:\n\nI have looked at clause 9"
            in answer)
    # The look at the variables is the engine's own: no cell of it in the record.
    assert len(out.of_type("cell_started")) == 2


def test_a_final_at_the_last_chance_is_still_the_partial_answer(tmp_path: Path,
                                                                capsys: Any) -> None:
    out = run_to_the_limit(tmp_path, capsys, "FINAL(The code is 7319, from clause 9.)")
    assert out.result["partial"] and out.result["answer"] == "The code is 7319, from clause 9."


def test_without_helper_questions_only_variables_are_listed(tmp_path: Path,
                                                            capsys: Any) -> None:
    script = by_model({"fake-root": sequence(repl("x = 1"), ""), "fake-sub": "unused"})
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "q?", "--max-iterations", "1")
    assert out.result["partial"]
    assert out.result["answer"].startswith("The model did not finish")
    assert "- `x` (number): 1" in out.result["answer"]
    assert "helper model" not in out.result["answer"]


def test_nothing_found_gives_no_answer(tmp_path: Path, capsys: Any) -> None:
    script = by_model({"fake-root": sequence(repl("print(1)"), ""), "fake-sub": "unused"})
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "q?", "--max-iterations", "1")
    assert out.result["partial"] and out.result["answer"] == ""
    assert not out.of_type("answer")
    assert Findings().report() == ""


def test_a_provider_failure_shows_what_was_found(tmp_path: Path, capsys: Any) -> None:
    calls = {"root": 0}

    def root(request: Any) -> Any:
        calls["root"] += 1
        if calls["root"] == 1:
            return repl("kept = 'a finding'")
        return Reply(fault="401")

    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": "x"})) as server:
        out = ask(server, tmp_path, capsys, "q?")
    assert out.result["stop_reason"] == StopReason.PROVIDER_ERROR
    assert "- `kept` (text, 9 characters): a finding" in out.result["answer"]


def test_describe_and_parse_keep_to_what_the_read_cell_prints() -> None:
    assert describe(Variable("d", "dict", 1, "{}")) == "table of 1 entry"
    assert describe(Variable("s", "set", 3, "{1}")) == "set, 3 items"
    assert describe(Variable("n", "NoneType", None, "None")) == "nothing"
    assert parse_variables("noise") == []
    assert parse_variables('<<rlm-findings>>[["a", "int", null, "1"], ["bad"]]'
                           "<<rlm-findings-end>>") == [Variable("a", "int", None, "1")]
    assert parse_variables("<<rlm-findings>>[cut<<rlm-findings-end>>") == []
