"""``rlm ingest``, ``docs``, ``collections``, ``info``, and ``ask`` over the library."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from engine.cli.main import main
from engine.store.library import Library
from tests.engine.ingest.makers import make_pdf
from tests.support.fake_openai import FakeOpenAI, sequence
from tests.support.harness import repl, write_prices


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def case_folder(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    make_pdf(root / "lease.pdf", ["Lease between Acme and Bolt.", "Rent: 1,200 per month.",
                                  "Liability is capped at 50,000."], title="Lease",
             labels=[{"startpage": 0, "style": "D", "firstpagenum": 10}])
    (root / "memo.txt").write_text("Memo: renew the lease.\n", encoding="utf-8")
    return root


def test_ingest_summary_exit_codes_and_json(tmp_path: Path, capsys: Any) -> None:
    docs = case_folder(tmp_path / "acme")
    code, out, err = run(capsys, "ingest", str(docs), "--collection", "acme", "--ocr", "off")
    assert code == 0, err
    assert "collection 'acme': 2 ingested, 0 updated, 0 unchanged, 0 failed" in out
    assert "ingesting 2 files into collection 'acme'" in err     # plain lines, no terminal
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    code, out, _ = run(capsys, "ingest", str(docs), "--collection", "acme", "--json")
    summary = json.loads(out)
    assert code == 1
    assert (summary["ingested"], summary["unchanged"]) == (0, 2)
    (failure,) = summary["failed"]
    assert failure["kind"] == "corrupt" and failure["path"].endswith("broken.pdf")
    code, _, err = run(capsys, "ingest", str(tmp_path / "nowhere"))
    assert code == 2 and "no such file or folder" in err


def test_docs_and_collections(tmp_path: Path, capsys: Any) -> None:
    docs = case_folder(tmp_path / "acme")
    run(capsys, "ingest", str(docs), "--collection", "acme", "-q")
    (tmp_path / "other.txt").write_text("other", encoding="utf-8")
    run(capsys, "ingest", str(tmp_path / "other.txt"), "-q")
    code, out, _ = run(capsys, "docs", "--collection", "acme", "--json")
    listed = json.loads(out)
    assert code == 0 and [d["title"] for d in listed] == ["Lease", "memo.txt"]
    assert {"id", "path", "title", "type", "pages", "chars", "status", "error"} <= set(listed[0])
    assert (listed[0]["type"], listed[0]["pages"], listed[0]["status"]) == ("pdf", 3, "ok")
    code, out, _ = run(capsys, "docs")
    header = out.splitlines()[0].split()
    assert header == ["id", "collection", "title", "type", "pages", "status", "reason"]
    code, out, _ = run(capsys, "collections", "--json")
    names = {c["name"]: c for c in json.loads(out)}
    assert names["acme"]["documents"] == 2 and names["default"]["documents"] == 1
    assert names["acme"]["tokens"] > 0
    code, out, _ = run(capsys, "collections")
    assert out.splitlines()[0].split() == ["name", "documents", "readable", "failed", "missing",
                                          "pages"]
    code, _, err = run(capsys, "docs", "--collection", "nope")
    assert code == 2 and "no collection named 'nope'" in err


def test_info_reports_paths_versions_and_status(capsys: Any) -> None:
    code, out, _ = run(capsys, "info", "--json")
    info = json.loads(out)
    assert code == 0
    assert info["store"]["path"].endswith(os.path.join("rlm-desktop", "library.db"))
    assert info["store"]["path"].startswith(os.environ["XDG_DATA_HOME"])
    assert {"rlm", "python", "pymupdf", "python-docx", "sqlite"} <= set(info["versions"])
    assert "enforced" in info["sandbox"] and "usable" in info["keyring"]
    code, out, _ = run(capsys, "info")
    assert "data directory" in out and "safe workspace   " in out and "keyring" in out
    assert "document cache   " in out and "sandbox" not in out and "REPL" not in out
    assert "Word 97–2003 (.doc): olefile " in out and "RTF (.rtf): our own reader" in out
    readers = {r["label"]: r for r in info["readers"]}
    assert readers["Word 97–2003 (.doc)"]["reader"].startswith("olefile ")
    assert readers["RTF"]["suffixes"] == [".rtf"]



@pytest.mark.parametrize("status, line", [
    ({"enforced": False, "isolation": {"filesystem": True, "network": False, "process": False},
      "missing": {"seccomp": "disabled"}},
     "safe workspace   NOT fully isolated (protected: files; unprotected: network, other "
     "programs) — seccomp: disabled"),
    ({"enforced": False, "error": "the REPL could not be started: no python"},
     "safe workspace   unknown: it could not be started: no python"),
])
def test_info_says_how_the_safe_workspace_stands(status: dict[str, Any], line: str,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: Any) -> None:
    from engine.cli import info as info_cli

    monkeypatch.setattr(info_cli, "sandbox_info", lambda: status)
    code, out, _ = run(capsys, "info")
    assert code == 0 and line in out.splitlines()
    code, out, _ = run(capsys, "info", "--json")
    assert json.loads(out)["sandbox"] == status   # --json keeps the engine's words


def test_ask_over_a_collection_cites_real_pages(tmp_path: Path, capsys: Any) -> None:
    docs = case_folder(tmp_path / "acme")
    assert run(capsys, "ingest", str(docs), "--collection", "acme", "-q")[0] == 0
    code_cell = (
        "lease = [d for d in documents if d['title'] == 'Lease'][0]\n"
        "page = [p for p in lease['pages'] if 'capped' in context[p['start']:p['end']]][0]\n"
        "print(page)\n"
        "FINAL('Capped at 50,000 ' + cite(lease['id'], page['page']))")
    with FakeOpenAI(sequence(repl(code_cell))) as server:
        argv = ["ask", "What caps liability?", "--collection", "acme", "--base-url",
                server.base_url, "--model", "fake-root", "--sub-model", "fake-sub", "--json",
                "--prices", str(write_prices(tmp_path))]
        code, out, err = run(capsys, *argv)
        first_turn = server.requests[0].last_user
        again, _, err2 = run(capsys, *argv)
    result = json.loads(out)
    assert code == 0, err
    lease_id = json.loads(run(capsys, "docs", "--json")[1])[0]["id"]
    assert result["answer"] == f"Capped at 50,000 [[cite doc={lease_id} page=3]]"
    assert "Lease" in first_turn
    cache = Path(os.environ["XDG_DATA_HOME"]) / "rlm-desktop" / "contexts"
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 1
    assert again == 0, err2                            # the second run reused the files
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 1


def test_ask_with_docs_reads_pdfs_and_reports_unreadable_files(tmp_path: Path,
                                                               capsys: Any) -> None:
    docs = case_folder(tmp_path / "acme")
    (docs / "broken.pdf").write_bytes(b"not a pdf at all")
    cell = "print(context[:300])\nFINAL(str(len(documents)) + ' ' + context[:200])"
    with FakeOpenAI(sequence(repl(cell))) as server:
        code, out, err = run(capsys, "ask", "q", "--docs", str(docs), "--base-url",
                             server.base_url, "--model", "fake-root", "--json", "--prices",
                             str(write_prices(tmp_path)))
    assert code == 0, err
    answer = json.loads(out)["answer"]
    assert answer.startswith("2 === DOCUMENT")
    assert re.search(r'--- doc \d+, page 1 \(printed "10"\) ---\nLease between', answer)
    assert "broken.pdf: not a readable PDF" in err and "could not be read" in err
    code, _, err = run(capsys, "ask", "q", "--docs", str(docs / "broken.pdf"), "--model", "m",
                       "--base-url", "http://127.0.0.1:9/v1")
    assert code == 2 and "none of the documents could be read" in err


def test_passwords_can_come_from_standard_input(tmp_path: Path, capsys: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "locked"
    docs.mkdir()
    make_pdf(docs / "settlement.pdf", ["Settlement terms"], password="pw 2")
    code, out, _ = run(capsys, "ingest", str(docs), "--ocr", "off")
    assert code == 1 and "rlm ingest --password-stdin" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run(capsys, "ingest", str(docs), "--password-stdin")
    assert code == 2 and "--password-stdin read no password" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("wrong\r\n\npw 2\n"))   # spaces are kept
    code, out, err = run(capsys, "ingest", str(docs), "--password-stdin", "--ocr", "off")
    assert code == 0, out + err
    assert "1 ingested" in out

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked: list[str] = []
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or "pw 2")
    code, out, _ = run(capsys, "ingest", str(docs), "--collection", "again",
                       "--password-stdin", "--ocr", "off")
    assert code == 0 and "1 ingested" in out
    assert asked == ["Password for encrypted PDFs (not shown): "]


@pytest.mark.parametrize("argv, message", [
    (["ask", "q", "--collection", "acme", "--model", "m"], "rlm ingest PATH --collection acme"),
    (["ingest", "x", "--file-timeout", "0"], "must be above 0"),
    (["ingest", "x", "--workers", "0"], "must be at least 1"),
])
def test_usage_errors(argv: list[str], message: str, capsys: Any) -> None:
    with pytest.raises(SystemExit) as raised:
        raise SystemExit(main(argv))
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_an_ingest_cleanly(tmp_path: Path, signum: int) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(40):
        make_pdf(docs / f"d{i:02d}.pdf", [f"Document {i} page {p}. " * 40 for p in range(12)])
    db = Path(os.environ["XDG_DATA_HOME"]) / "rlm-desktop" / "library.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "ingest", str(docs), "--workers", "1", "--ocr",
         "off"], cwd=Path(__file__).resolve().parents[3], env=os.environ.copy(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and stored_documents(db) < 3:
        time.sleep(0.02)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "ingest cancelled" in err and "picks up where this one stopped" in err
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    assert 3 <= stored < 40
    if shutil.which("pgrep") is None:
        return
    leftovers = "?"
    for _ in range(100):     # the fork server and its helpers notice within moments
        leftovers = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True,
                                   text=True).stdout.strip()
        if not leftovers:
            break
        time.sleep(0.05)
    assert leftovers == ""   # no worker or fork server left behind


def stored_documents(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_info_names_the_models_without_credentials(capsys: Any) -> None:
    from engine.config import ModelSettings, Settings, save_settings

    save_settings(Settings(root=ModelSettings(
        model="gpt-5", base_url="https://user:hunter2@gateway.example/v1?key=sekrit")))
    code, out, _ = run(capsys, "info")
    assert code == 0
    assert "main model       gpt-5 at https://gateway.example/v1" in out
    assert "helper model     gpt-5 at https://gateway.example/v1" in out
    code, out, _ = run(capsys, "info", "--json")
    assert json.loads(out)["models"]["root"]["base_url"] == "https://gateway.example/v1"
    assert "hunter2" not in out and "sekrit" not in out


def test_ask_without_sources_uses_the_default_collection_when_it_is_the_only_one(
        tmp_path: Path, capsys: Any) -> None:
    code, _, err = run(capsys, "ask", "q", "--model", "m")
    assert code == 2 and "no documents to ask about" in err and "rlm ingest PATH" in err
    assert not (Path(os.environ["XDG_DATA_HOME"]) / "rlm-desktop" / "library.db").exists()
    docs = case_folder(tmp_path / "case")
    assert run(capsys, "ingest", str(docs), "-q")[0] == 0          # into "default"
    with FakeOpenAI(sequence(repl("FINAL(str(len(documents)))"))) as server:
        argv = ["ask", "How many?", "--base-url", server.base_url, "--model", "fake-root",
                "--json", "--prices", str(write_prices(tmp_path))]
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        assert json.loads(out)["answer"] == "2"
        assert "the collection 'default'" in err
        assert run(capsys, "ingest", str(docs), "--collection", "acme", "-q")[0] == 0
        code, _, err = run(capsys, *argv)
    assert code == 2
    assert "the collections are: acme (2 readable documents), default (2 readable" in err


def test_ask_refuses_a_default_collection_without_readable_documents(tmp_path: Path,
                                                                     capsys: Any) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    run(capsys, "ingest", str(folder), "-q")
    code, _, err = run(capsys, "ask", "q", "--model", "m")
    assert code == 2 and "no documents to ask about" in err


def test_ingest_force_reuses_the_password_of_an_unlocked_pdf(tmp_path: Path,
                                                             capsys: Any) -> None:
    pdf = make_pdf(tmp_path / "locked.pdf", ["Settlement terms"], password="pw")
    assert run(capsys, "ingest", str(pdf), "--password", "pw", "-q")[0] == 0
    code, out, _ = run(capsys, "ingest", str(pdf), "--force", "-q")
    assert code == 0 and "1 updated" in out and "0 failed" in out and "warning" not in out


def test_ingest_force_keeps_an_unlocked_pdf_and_warns(tmp_path: Path, capsys: Any) -> None:
    import keyring
    from keyring.backends import null

    keyring.set_keyring(null.Keyring())    # nowhere to remember the password
    pdf = make_pdf(tmp_path / "locked.pdf", ["Settlement terms"], password="pw")
    assert run(capsys, "ingest", str(pdf), "--password", "pw", "-q")[0] == 0
    code, out, _ = run(capsys, "ingest", str(pdf), "--force", "-q")
    assert code == 0
    assert "0 failed" in out and "warning: " in out and "the text read before is kept" in out
    docs = json.loads(run(capsys, "docs", "--json")[1])
    assert [(d["status"], d["pages"]) for d in docs] == [("ok", 1)]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX names: any bytes but / and NUL")
def test_odd_file_names_round_trip_through_docs_json(tmp_path: Path, capsys: Any) -> None:
    """A name with a newline, and one with a byte that is not UTF-8: ``docs --json`` gives
    the real path (and its printable form), so the file can be found and read again."""
    folder = tmp_path / "odd"
    folder.mkdir()
    newline = folder / "lease\nsigned.pdf"
    make_pdf(newline, ["Lease signed by both parties."])
    latin1 = os.fsencode(folder) + b"/contrat \xe9t\xe9.txt"     # Latin-1, not UTF-8
    with open(latin1, "wb") as file:
        file.write(b"Contract for the summer.\n")
    assert run(capsys, "ingest", str(folder), "--collection", "odd", "-q")[0] == 0

    code, out, _ = run(capsys, "docs", "--collection", "odd", "--json")
    assert code == 0
    assert "\udce9" not in out        # printable and encodable: the escape, not the surrogate
    docs = {Path(d["path"]).name: d for d in json.loads(out)}
    assert len(docs) == 2
    first = docs["lease\nsigned.pdf"]
    assert Path(first["path"]) == newline and Path(first["path"]).is_file()
    assert first["display_path"].endswith("lease\\nsigned.pdf")
    assert "path_base64" not in first
    second = next(d for name, d in docs.items() if name.startswith("contrat"))
    assert os.fsencode(second["path"]) == latin1
    assert Path(second["path"]).read_bytes() == b"Contract for the summer.\n"
    assert base64.b64decode(second["path_base64"]) == latin1
    assert second["display_path"].endswith("contrat \\xe9t\\xe9.txt")

    # Reading again by the path docs gave finds the same documents, unchanged.
    code, out, _ = run(capsys, "ingest", first["path"], second["path"], "--collection", "odd",
                       "--json")
    assert code == 0 and json.loads(out)["unchanged"] == 2


def test_a_kept_pdf_password_is_forgotten_with_the_last_document_that_needs_it(
        tmp_path: Path, capsys: Any) -> None:
    from engine import secrets
    docs = tmp_path / "locked"
    docs.mkdir()
    make_pdf(docs / "settlement.pdf", ["Settlement terms"], password="pw 2")
    for collection in ("one", "two"):
        code, out, _ = run(capsys, "ingest", str(docs), "--collection", collection,
                           "--password", "pw 2", "--ocr", "off")
        assert code == 0, out
    with Library() as library:
        first, second = (library.documents(collection=c)[0] for c in ("one", "two"))
        assert first.content_hash == second.content_hash
        content = first.content_hash
        assert content is not None and secrets.pdf_password(content) == "pw 2"
        library.remove([first.id])                   # the other collection still has it
        assert secrets.pdf_password(content) == "pw 2"
        library.delete_collection("two")             # the last one: the password goes too
        assert secrets.pdf_password(content) is None
