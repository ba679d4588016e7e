"""``rlm ask`` as its own process ends as soon as its answer is out, and loses nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.store.trajectory import read_lines
from tests.support.fake_openai import FakeOpenAI, sequence
from tests.support.harness import ROOT, ask_args, ask_subprocess, repl

# Far more than a pipe's buffer: an exit that skipped the flush would cut the answer short.
BIG = 300_000


@pytest.fixture(autouse=True)
def buffered_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output buffered as it is for people (a developer's PYTHONUNBUFFERED would hide a lost
    flush)."""
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)


def test_a_long_answer_and_the_whole_log_survive_the_prompt_exit(tmp_path: Path) -> None:
    script = sequence(repl("x = 1"),
                      repl(f"big = 'ab' * {BIG // 2} + 'END'\nFINAL_VAR('big')"))
    with FakeOpenAI(script) as server:
        proc = ask_subprocess(server, tmp_path, "q")
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    result = json.loads(out)
    assert result["answer"] == "ab" * (BIG // 2) + "END"
    events, damaged = read_lines(tmp_path / "run.jsonl")
    assert damaged == 0
    assert events[0].type == "run_started" and events[-1].type == "run_finished"
    assert [e.type for e in events].count("cell_finished") == 2


def test_without_json_the_answer_reaches_the_pipe_whole(tmp_path: Path) -> None:
    script = sequence(repl(f"big = 'cd' * {BIG // 2} + 'END'\nFINAL_VAR('big')"))
    with FakeOpenAI(script) as server:
        args = [a for a in ask_args(server, tmp_path, "q") if a != "--json"]
        done = subprocess.run([sys.executable, "-m", "engine.cli", *args, "--quiet"],
                              cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "cd" * (BIG // 2) + "END\n"
