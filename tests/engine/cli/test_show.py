"""``rlm show`` renders a trajectory readable by a person; progress lines go to stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.cli.main import main
from engine.config import runs_dir
from tests.support.fake_openai import FakeOpenAI, by_model, sequence
from tests.support.harness import ROOT, ask, ask_args, repl


def run_once(tmp_path: Path, capsys: Any) -> Any:
    root = sequence(repl("hits = context.count('secret')\nprint('hits:', hits)"),
                    repl("v = llm_query('confirm the code')\nFINAL('The code is ' + v)"))
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": "7319"})) as server:
        return ask(server, tmp_path, capsys)


def test_show_prints_steps_code_outputs_helper_questions_and_cost(tmp_path: Path,
                                                                  capsys: Any) -> None:
    out = run_once(tmp_path, capsys)
    assert main(["show", str(out.log)]) == 0
    text = capsys.readouterr().out
    for expected in ("Question: What is the code?", "Models: main fake-root, helper fake-sub",
                     "Documents: 3 selected", "## Step 1 of 30", "## Step 2",
                     "▶ code 1", "◀ code 1: ok", "hits = context.count('secret')", "hits: 1",
                     "→ helper question #1 to fake-sub", "llm_query is a helper question",
                     "confirm the code", "7319", "Answer:", "The code is 7319", "Answered",
                     "Total: 2 steps, 1 helper question; 3 model calls", "$"):
        assert expected in text, expected


def test_show_by_run_id_and_the_list_of_runs(tmp_path: Path, capsys: Any) -> None:
    out = run_once(tmp_path, capsys)
    run_id = out.result["run_id"]
    assert main(["show"]) == 0
    listing = capsys.readouterr().out
    assert run_id in listing and "Answered" in listing
    assert main(["show", run_id]) == 0
    assert "The code is 7319" in capsys.readouterr().out


def test_show_unknown_log_is_a_usage_error(capsys: Any) -> None:
    assert main(["show", "no-such-run"]) == 2
    assert "no saved analysis 'no-such-run'" in capsys.readouterr().err


def test_progress_lines_on_stderr_and_answer_alone_on_stdout(tmp_path: Path) -> None:
    root = sequence(repl("r = llm_query('x')"), repl("FINAL('the answer')"))
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": "sub"})) as server:
        args = [a for a in ask_args(server, tmp_path, "q") if a != "--json"]
        done = subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "the answer\n"
    for expected in ("step 1/30", "code: r = llm_query('x')",
                     "helper question to fake-sub (1 character) → ",
                     "total: 2 steps, 1 helper question, $", "Answered after"):
        assert expected in done.stderr, expected


def test_version(capsys: Any) -> None:
    done = subprocess.run([sys.executable, "-m", "engine.cli", "--version"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("rlm 0.")


def test_damaged_log_lines_are_skipped(tmp_path: Path, capsys: Any) -> None:
    out = run_once(tmp_path, capsys)
    with out.log.open("a") as log:
        log.write("[]\n{not json\n42\n")
    assert main(["show", str(out.log)]) == 0
    assert "The code is 7319" in capsys.readouterr().out


def test_a_log_path_that_cannot_be_written_is_a_usage_error(tmp_path: Path,
                                                            capsys: Any) -> None:
    from tests.support.harness import write_docs

    docs = write_docs(tmp_path / "docs")
    code = main(["ask", "q", "--docs", str(docs), "--base-url", "http://127.0.0.1:9/v1",
                 "--model", "m", "--log", str(tmp_path)])
    assert code == 2
    assert "cannot write the record of the analysis to" in capsys.readouterr().err


def test_json_mode_keeps_progress_on_stderr(tmp_path: Path) -> None:
    with FakeOpenAI(sequence(repl("FINAL('x')"))) as server:
        done = subprocess.run([sys.executable, "-m", "engine.cli",
                               *ask_args(server, tmp_path, "q")], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "step 1/30" in done.stderr
    assert done.stdout.count("\n") == 1 and '"answer": "x"' in done.stdout


def test_show_lists_the_answers_citations(tmp_path: Path, capsys: Any) -> None:
    cell = ("doc = next(d for d in documents if 'secret' in context[d['start']:d['end']])\n"
            "FINAL('The code is 7319 ' + cite(doc['id'], 2, 'the secret code is 7319') + "
            "' (see ' + cite(doc['id'], 1) + ').')")
    with FakeOpenAI(by_model({"fake-root": sequence(repl(cell))})) as server:
        out = ask(server, tmp_path, capsys)
    assert out.code == 0, out.stderr
    assert main(["show", str(out.log)]) == 0
    text = capsys.readouterr().out
    answer, listed = text.split("Citations:\n")
    assert "The code is 7319 [[cite doc=" in answer        # the answer itself is unchanged
    lines = listed.splitlines()
    assert lines[0].endswith(', page 2: "the secret code is 7319"')
    assert lines[1].endswith(", page 1") and lines[0].split(",")[0] == lines[1].split(",")[0]


def test_citation_lines_escape_control_characters_and_clip_quotes() -> None:
    from engine import events as ev
    from engine.cli.show import render

    answer = ("A [[cite doc=3 page=12 quote=\"red \x1b[31m\u202e\\\"x\\\"\"]] B "
              f"[[cite doc=4 page=1 quote=\"{'long ' * 40}\"]] [[cite doc=5 page=x]]")
    text = render([ev.AnswerReady(run_id="r", text=answer)])
    listed = text.split("Citations:\n")[1].splitlines()
    assert listed[0] == '  document 3, page 12: "red \\x1b[31m\\u202e"x""'
    assert listed[1].startswith('  document 4, page 1: "long long') and listed[1].endswith('…"')
    assert len(listed[1]) < 120 and len(listed) == 2
    assert "Citations" not in render([ev.AnswerReady(run_id="r", text="no markers [[cite]]")])


def test_run_list_has_dates_and_marks_a_cut_question(tmp_path: Path, capsys: Any) -> None:
    folder = runs_dir()
    folder.mkdir(parents=True)
    question = "Which clauses of the lease limit liability, and to what amount, in each year?"
    (folder / "20261120-231800-4f2a9c.jsonl").write_text(json.dumps(ev.RunStarted(
        run_id="20261120-231800-4f2a9c", question=question, root_model="m", sub_model="m",
        context_chars=1, documents=1, limits={}).to_json()) + "\n", encoding="utf-8")
    assert main(["show"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    local = datetime(2026, 11, 20, 23, 18, tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    assert line.startswith(f"{local}  20261120-231800-4f2a9c  Unfinished")
    assert line.endswith("…") and question[:40] in line


def test_show_says_which_answers_were_reused_and_each_change_of_pace() -> None:
    from engine.cli.show import render

    events = [
        ev.SubCallStarted(run_id="r", call_id="r:1", kind="llm_query", model="mini",
                          prompt_preview="read page 1", prompt_chars=11),
        ev.SubCallFinished(run_id="r", call_id="r:1", kind="llm_query", model="mini",
                           response_preview="it says yes", cost_usd=0.0, cached=True),
        ev.ConcurrencyChanged(run_id="r", previous=32, limit=16, reason="rate_limited",
                              ceiling=32, pause_s=1.0),
        ev.ConcurrencyChanged(run_id="r", previous=16, limit=17, reason="recovered",
                              ceiling=32),
    ]
    text = render(events)
    assert "← #1 asked before: same answer reused, at no cost: it says yes" in text
    assert "helper questions at a time: 32 → 16 (the AI service asked us to slow down; " \
           "waiting 1 s as it asked)" in text
    assert "helper questions at a time: 16 → 17 (answers are coming through again)" in text
