"""``export_run`` and the history's citation counts, through a real worker: a question asked
with scripted models, its answer written as Word, PDF and Markdown and each file read back."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pymupdf
import pytest

from engine.errors import ConfigError
from engine.worker.exports import why_not_written
from tests.engine.worker.harness import WorkerProcess, write_settings
from tests.support.fake_openai import FakeOpenAI, by_model
from tests.support.harness import repl, write_docs

QUESTION = "cite the code"
# One quote found on another page than cited, one quote that is nowhere in the documents.
ANSWER_CELL = ("d = next(d for d in documents if d['path'].endswith('beta.txt'))\n"
               "FINAL('The code is 7319 ' + cite(d['id'], 1, 'the secret code is 7319') + "
               "' and the rent is high ' + cite(d['id'], 2, 'the rent is one million'))")


@pytest.fixture(scope="module")
def asked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WorkerProcess, str]]:
    """One worker with one answered question (module-wide: asking costs a REPL start)."""
    home = tmp_path_factory.mktemp("export-home")
    env = dict(os.environ, XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), HOME=str(home))
    with FakeOpenAI(by_model({"fake-root": repl(ANSWER_CELL)})) as server:
        write_settings(home / "config", server.base_url)
        worker = WorkerProcess(env)
        try:
            docs = write_docs(home / "docs")
            assert worker.call("ingest", {"paths": [str(docs)], "collection": "c"}).ok
            reply = worker.call("ask", {"question": QUESTION, "collection": "c"})
            yield worker, reply.result["run_id"]
        finally:
            worker.close()


def text_of(path: Path) -> str:
    if path.suffix == ".docx":
        text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    elif path.suffix == ".pdf":
        with pymupdf.open(str(path)) as pdf:
            text = "\n".join(page.get_text() for page in pdf)
    else:
        text = path.read_text(encoding="utf-8").replace("\\", "")
    return " ".join(text.split())


@pytest.mark.parametrize("suffix", [".docx", ".pdf", ".md"])
def test_a_stored_question_exports_with_its_answer_and_checked_sources(
        asked: tuple[WorkerProcess, str], tmp_path: Path, suffix: str) -> None:
    worker, run_id = asked
    out = tmp_path / f"answer{suffix}"
    result = worker.call("export_run", {"run_id": run_id, "path": str(out)}).result
    assert result["path"] == str(out) and result["format"] == suffix[1:]
    assert result["sources"] == 2 and result["bytes"] == out.stat().st_size > 0
    text = text_of(out)
    assert QUESTION in text and "The code is 7319 [1]" in text
    assert "Quote found on another page — corrected to p. 2" in text
    assert "Quote not found in the documents — check this claim" in text
    assert "Code" not in text.split("Record")[-1]   # no appendix unless asked for
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_the_full_record_adds_the_appendix(asked: tuple[WorkerProcess, str],
                                           tmp_path: Path) -> None:
    worker, run_id = asked
    plain, full = tmp_path / "plain.docx", tmp_path / "full.docx"
    assert worker.call("export_run", {"run_id": run_id, "path": str(plain)}).ok
    result = worker.call("export_run", {"run_id": run_id, "path": str(full),
                                        "with_trajectory": True}).result
    assert result["with_trajectory"] is True
    text = text_of(full)
    assert "Step 1, code 1: ok" in text and "endswith('beta.txt')" in text
    assert "Step 1, code 1" not in text_of(plain)


def test_a_record_file_exports_as_the_stored_run_does(asked: tuple[WorkerProcess, str],
                                                      tmp_path: Path) -> None:
    worker, run_id = asked
    log = Path(worker.call("hello").result["data_dir"]) / "runs" / f"{run_id}.jsonl"
    copy = tmp_path / "saved.jsonl"
    copy.write_bytes(log.read_bytes())
    out = tmp_path / "from-file.md"
    result = worker.call("export_run", {"log": str(copy), "path": str(out),
                                        "format": "md"}).result
    assert result["run_id"] == run_id and "The code is 7319 [1]" in text_of(out)


@pytest.mark.parametrize(("args", "words"), [
    ({"run_id": "20200101-000000-abcdef"}, "There is no saved analysis"),
    ({"run_id": "../../etc/passwd"}, "There is no saved analysis"),
    ({"log": "/nowhere/saved.jsonl"}, "is no longer at /nowhere"),
])
def test_an_unknown_run_is_said_plainly(asked: tuple[WorkerProcess, str], tmp_path: Path,
                                        args: dict[str, Any], words: str) -> None:
    worker, _ = asked
    line = worker.call("export_run", {**args, "path": str(tmp_path / "a.docx")}).line
    assert not line["ok"] and words in line["error"] and line["kind"] == "usage"
    assert not list(tmp_path.iterdir())


def test_unwritable_places_and_unknown_formats_are_said_plainly(
        asked: tuple[WorkerProcess, str], tmp_path: Path) -> None:
    worker, run_id = asked
    afile = tmp_path / "notes.txt"
    afile.write_text("x", encoding="utf-8")
    cases = [(tmp_path / "missing" / "a.docx", "the folder", "does not exist"),
             (afile / "a.pdf", "is a file, not a folder", "choose a folder"),
             (tmp_path, "is a folder", "choose a file name"),
             (tmp_path / "a.txt", "Which kind of file?", "Word (.docx), PDF (.pdf)")]
    for target, *words in cases:
        kind = {"": "docx", ".txt": None}.get(target.suffix, target.suffix[1:])
        line = worker.call("export_run", {"run_id": run_id, "path": str(target),
                                          "format": kind}).line
        assert not line["ok"], target
        assert all(w in line["error"] for w in words), line["error"]
        assert "Errno" not in line["error"] and "Traceback" not in line["error"]
    assert worker.call("hello").ok            # the worker goes on


@pytest.mark.parametrize(("code", "words"), [
    (errno.ENOSPC, "the disk is full; free some space"),
    (errno.EACCES, "does not let you save in"),
    (errno.EROFS, "is read-only"),
])
def test_what_the_system_refused_is_said_as_what_to_do(tmp_path: Path, code: int,
                                                       words: str) -> None:
    target = tmp_path / "answer.docx"
    try:
        raise ConfigError("cannot write") from OSError(code, os.strerror(code))
    except ConfigError as exc:
        said = why_not_written(target, exc)
    assert said.startswith("answer.docx was not saved: ") and words in said


def test_history_counts_the_citations_by_status(asked: tuple[WorkerProcess, str]) -> None:
    worker, run_id = asked
    [row] = [r for r in worker.call("history", {"collection": "c"}).result
             if r["run_id"] == run_id]
    assert row["citation_counts"] == {"relocated": 1, "not_found": 1}
