"""``read_log``: a trajectory log written by ``rlm ask --log``, read back to replay it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import events as ev
from engine.worker import runs
from tests.engine.worker.harness import WorkerProcess
from tests.support.fake_openai import FakeOpenAI, by_model
from tests.support.harness import ask, repl


@pytest.fixture(scope="module")
def worker() -> Iterator[WorkerProcess]:
    process = WorkerProcess()
    try:
        yield process
    finally:
        process.close()


def write_log(tmp_path: Path, capsys: Any) -> Path:
    script = by_model({"fake-root": repl('FINAL("The code is 7319")')})
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path, capsys, "What is the code?")
    assert out.code == 0, out.stderr
    return out.log


def test_a_log_reads_back_as_a_run_and_its_events(worker: WorkerProcess, tmp_path: Path,
                                                  capsys: Any) -> None:
    log = write_log(tmp_path, capsys)
    reply = worker.call("read_log", {"path": str(log)})
    result, run = reply.result, reply.result["run"]
    assert run["question"] == "What is the code?"
    assert run["answer"] == "The code is 7319"
    assert run["status"] == "finished" and run["stop_reason"] == "answered"
    assert run["usage"]["calls"] >= 1
    types = reply.types()            # the events stream, one line each
    assert result["events_sent"] == len(types)
    assert types[0] == "run_started" and "answer" in types and types[-1] == "run_finished"
    assert types == [json.loads(line)["type"] for line in log.read_text().splitlines()]
    assert result["skipped"] == 0


def test_damaged_lines_are_skipped_and_counted(worker: WorkerProcess, tmp_path: Path,
                                               capsys: Any) -> None:
    log = write_log(tmp_path, capsys)
    lines = log.read_text().splitlines()
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join([lines[0], "{not json", '{"type": "no_such_event"}',
                              *lines[1:-1], lines[-1][:20]]) + "\n", encoding="utf-8")
    reply = worker.call("read_log", {"path": str(cut)})
    result = reply.result
    assert result["skipped"] == 3
    assert len(reply.events) == len(lines) - 1
    assert result["run"]["status"] == "interrupted"   # the run_finished line was cut
    assert result["run"]["answer"] == "The code is 7319"


@pytest.mark.parametrize(("content", "words"), [
    (None, "There is no file"),
    ("", "is empty"),
    ("\n\n", "is empty"),
    ("hello\nworld\n", "is not a record of an analysis"),
    (json.dumps(ev.Notice(run_id="r", level="info", message="hi").to_json()) + "\n",
     "is not a record of an analysis"),
])
def test_what_cannot_be_replayed_is_said_plainly(worker: WorkerProcess, tmp_path: Path,
                                                 content: str | None, words: str) -> None:
    path = tmp_path / "record.jsonl"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    reply = worker.call("read_log", {"path": str(path)})
    assert not reply.ok and words in reply.line["error"], reply.line
    assert reply.events == []


def test_a_folder_is_not_a_record(worker: WorkerProcess, tmp_path: Path) -> None:
    reply = worker.call("read_log", {"path": str(tmp_path)})
    assert not reply.ok and "is a folder" in reply.line["error"]


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:
        handle.truncate(runs.MAX_LOG_BYTES + 1)     # sparse: nothing is written
    with pytest.raises(runs.RequestError, match="MB are not opened"):
        runs._log_record(path, print)
