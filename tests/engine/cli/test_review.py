"""``rlm review``: start, resume with a new question, show, list, export to Excel, CSV, Word."""

from __future__ import annotations

import csv
import datetime as dt
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest

from engine.cli.main import main
from tests.engine.review.test_runner import lease_answers, library_with_leases
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply
from tests.support.harness import ROOT, write_prices


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def models(server: FakeOpenAI, tmp_path: Path) -> list[str]:
    return ["--base-url", server.base_url, "--model", "fake-root", "--sub-model", "fake-sub",
            "--prices", str(write_prices(tmp_path))]


def answers(request: ChatRequest) -> Reply | str:
    question = request.last_user.split("Question:")[-1]
    if "end" in question:
        return 'ANSWER: 2029-06-30\nEXPLANATION: Clause 2.\nQUOTES:\n- page 1: "Lease 0"'
    if "note" in question:
        return "ANSWER: =HYPERLINK(\"http://x.example\",\"click\")\nEXPLANATION: -"
    return lease_answers(request)


def test_a_review_runs_resumes_with_a_new_question_and_exports(tmp_path: Path,
                                                               capsys: Any) -> None:
    library_with_leases(tmp_path)
    capsys.readouterr()
    out_xlsx = tmp_path / "review.xlsx"
    with FakeOpenAI(answers) as server:
        code, out, err = run(capsys, "review", "--collection", "leases",
                             "--column", "What is the monthly rent?:money",
                             "--column", "Which law governs?:choice(English|New York)",
                             *models(server, tmp_path), "-o", str(out_xlsx), "--json")
        assert code == 0, err
        assert "4 answers to find, about $" in err and "answer 4/4" in err
        result = json.loads(out)
        review_id = result["review"]["id"]
        assert len(result["cells"]) == 4 and result["run"]["stopped"] is None
        asked = len(server.requests)

        # A new question later: only its cells run.
        code, out, err = run(capsys, "review", "resume", review_id, "--column",
                             "When does the term end?:date", "--column",
                             "Any note?", *models(server, tmp_path), "-q")
        assert code == 0, err
        assert len(server.requests) == asked + 4
        assert "When does the term end?: 30 June 2029" in out

    book = openpyxl.load_workbook(out_xlsx)
    grid = book["Review"]
    assert [c.value for c in grid[1]] == ["Document", "What is the monthly rent?",
                                          "Which law governs?"]
    assert grid["B2"].value == 1000 and '"EUR"' in grid["B2"].number_format
    assert grid["C3"].value == "English"
    sources = list(book["Sources"].iter_rows(min_row=2, values_only=True))
    assert sources[0][:2] == ("B2", "What is the monthly rent?")
    assert {row[5] for row in sources} == {"Quote checked on this page",
                                           "Quote found on another page"}

    # Exports of the whole table now: Excel keeps a formula-looking answer as text.
    code, _, _ = run(capsys, "review", "export", review_id, "-o", str(tmp_path / "all.xlsx"))
    assert code == 0
    grid = openpyxl.load_workbook(tmp_path / "all.xlsx")["Review"]
    assert grid["D2"].value == dt.datetime(2029, 6, 30)
    assert grid["E2"].data_type == "s" and grid["E2"].value.startswith("=HYPERLINK")
    run(capsys, "review", "export", review_id, "-o", str(tmp_path / "all.csv"))
    rows = list(csv.reader((tmp_path / "all.csv").read_text(encoding="utf-8-sig")
                           .splitlines()))
    assert rows[0][2:] == ["What is the monthly rent?", "Which law governs?",
                           "When does the term end?", "Any note?"]
    assert rows[1][2] == "EUR 1,000" and rows[1][5].startswith("'=HYPERLINK")
    run(capsys, "review", "export", review_id, "-o", str(tmp_path / "all.docx"))
    word = docx.Document(str(tmp_path / "all.docx"))
    cells = [c.text for c in word.tables[0].rows[1].cells]
    assert cells[1].startswith("EUR 1,000 [1]")
    assert any(p.text.startswith("[1] ") and "Quote checked on this page" in p.text
               for p in word.paragraphs)

    code, out, _ = run(capsys, "review", "list")
    assert code == 0 and f"{review_id}  leases: 2 documents × 4 questions, 8/8 answered" in out


def test_a_template_gives_its_questions(tmp_path: Path, capsys: Any) -> None:
    library_with_leases(tmp_path, count=1)
    capsys.readouterr()
    with FakeOpenAI(lambda r: "ANSWER: NOT STATED") as server:
        code, out, _ = run(capsys, "review", "--collection", "leases", "--template", "lease",
                           *models(server, tmp_path), "--json", "-q")
    assert code == 0
    result = json.loads(out)
    assert len(result["review"]["columns"]) == 11
    assert {c["status"] for c in result["cells"]} == {"not_stated"}
    assert result["review"]["name"] == "Leases — leases"


@pytest.mark.parametrize(("argv", "message"), [
    (["review", "--column", "x"], "which documents? give --collection NAME"),
    (["review", "--collection", "leases"], "which questions?"),
    (["review", "show"], "which review? give its id"),
    (["review", "show", "rv_nope"], "there is no review 'rv_nope'"),
    (["review", "export", "rv_nope"], "where to? give -o FILE"),
    (["review", "--collection", "leases", "--column", "Kind:choice(Only one)"],
     "give 2 to 50 choices"),
    (["review", "--collection", "leases", "--column", "x", "-o", "table.pdf"],
     "cannot tell the format"),
])
def test_usage_errors_say_what_to_do(tmp_path: Path, capsys: Any, argv: list[str],
                                     message: str) -> None:
    library_with_leases(tmp_path, count=1)
    capsys.readouterr()
    code, _, err = run(capsys, *argv)
    assert code == 2 and message in err


def test_a_killed_review_resumes_with_only_what_is_missing(tmp_path: Path,
                                                          capsys: Any) -> None:
    """kill -9 halfway: every answer stored so far is kept, and resume asks only the rest
    (the answers that were in flight when the process died are asked again)."""
    library_with_leases(tmp_path, count=4)
    capsys.readouterr()
    with FakeOpenAI(lambda r: Reply(content=str(answers(r)), latency=0.25)) as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "review", "--collection", "leases",
             "--column", "What is the monthly rent?:money", "--column", "Which law governs?",
             "--concurrency", "2", "-q", *models(server, tmp_path)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            stored = 0
            while stored < 3 and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.05)
                stored = _stored_cells()
            assert stored >= 3, process.stderr.read() if process.stderr else ""
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
        kept = _stored_cells()
        asked_before = len(server.requests)
        assert 3 <= kept < 8 and asked_before - kept <= 2     # at most the two in flight
        code, out, _ = run(capsys, "review", "list", "--json")
        review_id = json.loads(out)[0]["id"]
        code, out, err = run(capsys, "review", "resume", review_id, *models(server, tmp_path),
                             "--json", "-q")
        assert code == 0, err
        assert len(server.requests) - asked_before == 8 - kept
    assert len(json.loads(out)["cells"]) == 8


def _stored_cells() -> int:
    from engine.store.db import store_path
    try:
        with sqlite3.connect(store_path(), timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM review_cells").fetchone()[0])
    except sqlite3.Error:     # the table is not there yet
        return 0


def test_a_question_about_the_whole_table_reads_the_table_and_cites_the_documents(
        tmp_path: Path, capsys: Any) -> None:
    doc_ids = library_with_leases(tmp_path)
    capsys.readouterr()
    with FakeOpenAI(answers) as server:
        code, out, _ = run(capsys, "review", "--collection", "leases", "--column",
                           "What is the monthly rent?:money", *models(server, tmp_path),
                           "--json", "-q")
        review_id = json.loads(out)["review"]["id"]
        highest = doc_ids[1]
        code_cell = ('```repl\ntable = context[:context.index("=== DOCUMENT", 10)]\n'
                     'print(table)\n```')
        final = (f'FINAL("Lease 1 has the highest rent, EUR 1,001 a month '
                 f'[[cite doc={highest} page=2 quote=\\"The rent is EUR 1001,00 per '
                 f'month\\"]].")')

        def root(request: ChatRequest) -> Reply | str:
            if request.model == "fake-sub":
                return answers(request)
            return code_cell if request.assistant_turns == 0 else f"```repl\n{final}\n```"

        server.set_script(root)
        code, out, err = run(capsys, "review", "ask", review_id,
                             "Which lease has the highest rent?", *models(server, tmp_path),
                             "-q")
        first = next(r for r in server.requests if r.model == "fake-root")
    assert code == 0, err
    assert 'review table "leases"' in first.last_user
    assert "Lease 1 has the highest rent" in out
    assert "lease1.pdf, p. 2" in out and "— Quote checked on this page" in out
    printed = next(r for r in server.requests if r.model == "fake-root"
                   and r.assistant_turns == 1).last_user
    assert "Document 0: Review table" not in printed    # the table is a page per document
    assert "- What is the monthly rent?: EUR 1,001" in printed


def test_one_question_or_one_document_can_be_asked_again(tmp_path: Path, capsys: Any) -> None:
    doc_ids = library_with_leases(tmp_path)
    capsys.readouterr()
    with FakeOpenAI(answers) as server:
        code, out, _ = run(capsys, "review", "--collection", "leases", "--column",
                           "Rent:money", "--column", "Which law governs?",
                           *models(server, tmp_path), "--json", "-q")
        review_id = json.loads(out)["review"]["id"]
        asked = len(server.requests)
        code, _, err = run(capsys, "review", "resume", review_id, "--again", "all",
                           "--only-column", "which law governs?", *models(server, tmp_path),
                           "-q")
        assert code == 0, err
        assert len(server.requests) == asked + 2           # the column, both documents
        code, _, _ = run(capsys, "review", "resume", review_id, "--again", "all",
                         "--only-column", "Rent", "--only-document", str(doc_ids[1]),
                         *models(server, tmp_path), "-q")
        assert code == 0 and len(server.requests) == asked + 3      # one cell
        code, _, err = run(capsys, "review", "resume", review_id, "--only-column", "Term",
                           *models(server, tmp_path))
        assert code == 2 and "no question named 'Term' in this review; its questions are: Rent;" \
            in err
