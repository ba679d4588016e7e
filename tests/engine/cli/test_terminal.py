"""Hostile text (escapes, OSC 52/8, C1, bidi overrides) reaches no terminal raw, on any path."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from engine import events as ev
from engine.cli import info as info_cli
from engine.cli.ingest_progress import IngestDisplay
from engine.cli.library import print_summary
from engine.cli.main import main
from engine.cli.progress import ProgressPrinter
from engine.cli.show import render
from engine.cli.terminal import json_text, printable
from engine.ingest.report import Failure, IngestReport
from engine.store.library import Library
from tests.support.fake_openai import FakeOpenAI, by_model, sequence
from tests.support.harness import ask_args, repl

# Clear the screen, write the clipboard (OSC 52), a disguised link (OSC 8), a C1 CSI,
# a bidi override, a lone surrogate, a carriage return that would overwrite the line.
HOSTILE = ("\x1b[2J\x1b]52;c;ZXZpbA==\x07\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
           "\x9b31m\u202etxt.exe\ud800\rsafe workspace: isolated")
# What can travel as UTF-8 (a question sent to a model, a title in SQLite): no lone surrogate.
ENCODABLE = HOSTILE.replace("\ud800", "")
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\ud800", "\r")


def assert_safe(text: str) -> None:
    for ch in RAW:
        assert ch not in text, repr(ch)


def test_printable_escapes_controls_and_format_chars_but_keeps_layout() -> None:
    shown = printable("a\x1b[31mb\u2066c\u2069\x7f\x85\u200b\ud83d\n\td")
    assert shown == "a\\x1b[31mb\\u2066c\\u2069\\x7f\\x85\\u200b\\ud83d\n\td"
    assert printable("line\nnext\t.", keep_layout=False) == "line\\nnext\\t."
    assert printable("café — ✓ 漢字 😀") == "café — ✓ 漢字 😀"


def test_progress_lines_escape_model_names_notices_and_errors() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream)
    printer(ev.ModelResponse(run_id="r", iteration=1, model=HOSTILE, text="x",
                             prompt_tokens=1, completion_tokens=1))
    printer(ev.Notice(run_id="r", level="warning", message=HOSTILE))
    printer(ev.SubCallFinished(run_id="r", call_id="r:1", kind="llm_query", model=HOSTILE,
                               error=HOSTILE))
    printer(ev.RunFinished(run_id="r", stop_reason=ev.StopReason.PROVIDER_ERROR,
                           duration_s=1.0, error=HOSTILE))
    text = stream.getvalue()
    assert_safe(text)
    # One event, one line: a newline in a model's name cannot forge the safe workspace line.
    assert not any(line.startswith("safe workspace:") for line in text.splitlines())


def test_ask_answer_on_stdout_and_show_escape_what_the_model_wrote(tmp_path: Path,
                                                                  capsys: Any) -> None:
    code = f"print({HOSTILE!r})\nFINAL({('answer ' + HOSTILE + chr(10) + 'line two')!r})"
    root = sequence(repl(code))
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": "x"})) as server:
        args = [a for a in ask_args(server, tmp_path, "q " + ENCODABLE) if a != "--json"]
        assert main(args) == 0
    captured = capsys.readouterr()
    assert_safe(captured.out)
    assert_safe(captured.err)
    assert captured.out.startswith("answer \\x1b[2J") and "\nline two\n" in captured.out
    assert main(["show", str(tmp_path / "run.jsonl")]) == 0
    shown = capsys.readouterr().out
    assert_safe(shown)
    assert "\\x1b]52;c;" in shown                 # visible, so the reader sees the attempt
    assert main(["show"]) == 0
    assert_safe(capsys.readouterr().out)


def test_ask_json_keeps_the_exact_text(tmp_path: Path, capsys: Any) -> None:
    root = sequence(repl(f"FINAL({ENCODABLE!r})"))
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": "x"})) as server:
        assert main(ask_args(server, tmp_path, "q")) == 0
    assert json.loads(capsys.readouterr().out)["answer"] == ENCODABLE


def test_show_render_escapes_every_field() -> None:
    events = [ev.RunStarted(run_id="r", question=HOSTILE, root_model=HOSTILE, sub_model=HOSTILE,
                            context_chars=1, documents=1, limits={}),
              ev.SandboxStatus(run_id="r", status={"enforced": False, "note": HOSTILE}),
              ev.CellFinished(run_id="r", iteration=1, cell=1, output=HOSTILE, error=HOSTILE,
                              duration_s=0.1),
              ev.SubCallStarted(run_id="r", call_id="r:1", kind="llm_query", model=HOSTILE,
                                prompt_preview=HOSTILE, prompt_chars=1),
              ev.AnswerReady(run_id="r", text=HOSTILE),
              ev.RunFinished(run_id="r", stop_reason=ev.StopReason.ANSWERED, duration_s=1.0,
                             error=HOSTILE)]
    assert_safe(render(events, full=True))


def test_ingest_progress_and_summary_escape_paths_and_reasons() -> None:
    stream = io.StringIO()
    display = IngestDisplay(stream, bar=False)
    display(ev.IngestStarted(files=1, bytes_total=1, collection=HOSTILE))
    display(ev.FileFailed(path=HOSTILE, reason=HOSTILE))
    display(ev.FileMissing(path=HOSTILE, document_id=1))
    assert_safe(stream.getvalue())
    report = IngestReport(collection=HOSTILE, failed=[Failure(path=HOSTILE, kind="corrupt",
                                                              reason=HOSTILE)],
                          missing=[HOSTILE])
    out = io.StringIO()
    print_summary(report, out)
    assert_safe(out.getvalue())
    assert not any(line.startswith("sandbox:") for line in out.getvalue().splitlines())


def test_docs_and_collections_escape_document_titles(tmp_path: Path, capsys: Any) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "memo.txt").write_text("Memo.\n", encoding="utf-8")
    assert main(["ingest", str(folder), "-q", "--collection", "c\u202eoc"]) in (0, 2)
    capsys.readouterr()
    with Library() as library:
        library.conn.execute("UPDATE documents SET title = ?", (ENCODABLE,))
        library.conn.commit()
    for argv in (["docs"], ["collections"]):
        assert main(argv) == 0
        assert_safe(capsys.readouterr().out)
    assert main(["docs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["title"] == ENCODABLE


def test_info_and_key_escape_what_they_print(monkeypatch: pytest.MonkeyPatch,
                                             capsys: Any) -> None:
    monkeypatch.setattr(info_cli, "sandbox_info", lambda: {"enforced": False, "note": HOSTILE})
    monkeypatch.setattr(info_cli.secrets, "keyring_status",
                        lambda: {"backend": "x", "usable": False, "detail": HOSTILE})
    assert main(["info"]) == 0
    assert_safe(capsys.readouterr().out)
    assert main(["key", "status"]) == 0
    assert_safe(capsys.readouterr().out)
    assert main(["key", "delete", HOSTILE]) == 0
    assert_safe(capsys.readouterr().out)


def test_json_output_escapes_what_a_terminal_would_act_on_and_reads_back_the_same() -> None:
    data = {"title": HOSTILE, "path": "/data/contrat \udce9t\udce9.txt", "note": "déjà vu"}
    text = json_text(data, indent=1)
    assert_safe(text)
    assert "déjà vu" in text                 # readable: non-ASCII letters are kept
    assert json.loads(text) == data           # the escapes mean the same strings
    text.encode("utf-8")                      # always printable on a UTF-8 terminal
