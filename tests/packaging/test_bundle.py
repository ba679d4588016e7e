"""The Linux bundle works from its own folder, as a person gets it from the tarball: it starts,
reads a folder, answers in a locked-down REPL and opens the demo, without the checkout.

The bundle is built once (``packaging/build.py``, a minute or two) and unpacked from its
tarball into a temporary folder; ``RLM_BUNDLE=dist/rlm-desktop`` tests a bundle already built
instead (``packaging/build.py --smoke`` does that)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from engine import __version__
from tests.engine.worker.harness import WorkerProcess
from tests.support.fake_openai import FakeOpenAI, by_model, sequence
from tests.support.harness import repl

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"),
                       reason="only the Linux bundle is built and tested here"),
]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The unpacked bundle folder (built here unless RLM_BUNDLE names one)."""
    given = os.environ.get("RLM_BUNDLE")
    if given:
        return Path(given).resolve()
    pytest.importorskip("PyInstaller", reason="PyInstaller comes with the dev extra")
    out = tmp_path_factory.mktemp("build")
    done = subprocess.run([sys.executable, "packaging/build.py", "--dist", str(out / "dist"),
                           "--work", str(out / "work")], cwd=ROOT, capture_output=True,
                          text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    assert "MB" in done.stdout
    [archive] = (out / "dist").glob("rlm-desktop-*-linux-*.tar.gz")
    unpacked = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="tar")
    return unpacked / "rlm-desktop"


@pytest.fixture()
def env(tmp_path: Path) -> dict[str, str]:
    """A person's environment: their own (temporary) home, no keyring, no checkout on a path."""
    home = tmp_path / "home"
    home.mkdir()
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("PYTHON", "XDG_", "RLM_")) and k not in ("HOME", "VIRTUAL_ENV")}
    clean.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                 XDG_DATA_HOME=str(home / ".local" / "share"),
                 XDG_CACHE_HOME=str(home / ".cache"), XDG_STATE_HOME=str(home / ".local/state"),
                 QT_QPA_PLATFORM="offscreen", NO_PROXY="127.0.0.1,localhost",
                 PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return clean


def run(bundle: Path, program: str, *args: str, env: dict[str, str], cwd: Path,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bundle / program), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_the_bundle_holds_its_licences_and_both_programs(bundle: Path) -> None:
    for name in ("rlm-desktop", "rlm", "install.sh"):
        assert os.access(bundle / name, os.X_OK), name
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in (bundle / "LICENSE").read_text("utf-8")
    notices = (bundle / "THIRD-PARTY-NOTICES.txt").read_text("utf-8")
    assert "PyMuPDF" in notices and "PySide6" in notices
    assert (bundle / "rlm-desktop.desktop").is_file() and (bundle / "rlm-desktop.png").is_file()
    # No tests, test data or development tools inside.
    inside = {p.name for p in (bundle / "_internal").iterdir()}
    assert not inside & {"tests", "pytest", "_pytest", "PyInstaller", "mypy", "numpy"}


def test_both_programs_print_the_version(bundle: Path, env: dict[str, str],
                                         tmp_path: Path) -> None:
    for program in ("rlm-desktop", "rlm"):
        done = run(bundle, program, "--version", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"{program} {__version__}"


def test_rlm_info_runs_from_the_bundle_with_every_reader(bundle: Path, env: dict[str, str],
                                                         tmp_path: Path) -> None:
    done = run(bundle, "rlm", "info", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert Path(info["executable"]).resolve() == (bundle / "rlm").resolve()
    assert "not installed (pip" not in done.stdout   # every library reader is in the bundle
    assert str(tmp_path / "home") in info["data_dir"]


def test_the_window_starts_offscreen_with_its_engine(bundle: Path, env: dict[str, str],
                                                     tmp_path: Path) -> None:
    app = subprocess.Popen([str(bundle / "rlm-desktop")], cwd=tmp_path, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        worker = _wait_for_child(app.pid, "--rlm-engine-worker", timeout=60)
        assert worker is not None, "the window never started its engine worker"
        time.sleep(3)   # the worker's hello, the library's first load
        assert app.poll() is None, app.communicate()[1][-3000:]
        assert _alive(worker)
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            _, err = app.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            app.kill()
            _, err = app.communicate()
    assert "Traceback" not in err, err[-3000:]


def test_a_folder_is_read_and_a_question_answered_in_the_sandbox(
        bundle: Path, env: dict[str, str], tmp_path: Path) -> None:
    folder = _sample_folder(tmp_path / "reports")
    done = run(bundle, "rlm", "ingest", str(folder), "--collection", "smoke", "--json",
               env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    docs = json.loads(run(bundle, "rlm", "docs", "--collection", "smoke", "--json",
                          env=env, cwd=tmp_path).stdout)
    by_name = {Path(d["path"]).name: d for d in docs}
    assert sorted(by_name) == ["memo.docx", "notes.txt", "report.pdf", "table.xlsx"]
    assert all(d["status"] == "ok" for d in docs), docs
    assert by_name["report.pdf"]["pages"] == 2

    secret = Path(env["HOME"]) / "secret.txt"
    secret.write_text("the REPL must not read this\n", encoding="utf-8")
    probe = f"""
results = {{}}
for name in ("statistics", "csv", "decimal", "pymupdf", "PySide6", "engine"):
    try:
        __import__(name)
        results[name] = "imported"
    except ImportError:
        results[name] = "not available"
try:
    open({str(secret)!r}).read()
    results["home"] = "read"
except OSError as error:
    results["home"] = type(error).__name__
import socket
try:
    socket.create_connection(("127.0.0.1", {{port}}), timeout=2).close()
    results["network"] = "connected"
except OSError as error:
    results["network"] = type(error).__name__
results["found"] = "Blue Heron" in context
results["helper"] = llm_query("Say hello")
print(results)
"""
    with FakeOpenAI() as server:
        code = probe.replace("{port}", str(urlsplit(server.base_url).port))
        server.set_script(by_model({
            "fake-root": sequence(repl(code), repl("FINAL_VAR('results')")),
            "fake-sub": "hello from the helper"}))
        done = run(bundle, "rlm", "ask", "What is the project's code name?", "--collection",
                   "smoke", "--base-url", server.base_url, "--model", "fake-root",
                   "--sub-model", "fake-sub", "--json", env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout)
    answer = result["answer"]
    for name in ("statistics", "csv", "decimal"):
        assert f"'{name}': 'imported'" in answer, answer
    for name in ("pymupdf", "PySide6", "engine"):   # the standard library only, as from source
        assert f"'{name}': 'not available'" in answer, answer
    assert "'home': 'PermissionError'" in answer, answer
    assert "'network': 'connected'" not in answer, answer
    assert "'found': True" in answer and "hello from the helper" in answer, answer
    sandbox = result["sandbox"]
    assert sandbox["enforced"] is True, sandbox
    assert all(sandbox["isolation"].values()), sandbox

    # The answer taken away as Word and PDF files (python-docx's template, MuPDF's fonts).
    for suffix in ("docx", "pdf"):
        out = tmp_path / f"answer.{suffix}"
        done = run(bundle, "rlm", "export", result["run_id"], "-o", str(out), env=env,
                   cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    import docx
    import pymupdf

    assert "What is the project" in "\n".join(
        p.text for p in docx.Document(str(tmp_path / "answer.docx")).paragraphs)
    with pymupdf.open(tmp_path / "answer.pdf") as pdf:
        assert "What is the project" in pdf[0].get_text()


def test_a_review_table_runs_and_exports_to_excel(bundle: Path, env: dict[str, str],
                                                 tmp_path: Path) -> None:
    import openpyxl

    folder = _sample_folder(tmp_path / "reports")
    assert run(bundle, "rlm", "ingest", str(folder), "--collection", "smoke", "-q", env=env,
               cwd=tmp_path, timeout=300).returncode == 0
    reply = ('ANSWER: Blue Heron\nEXPLANATION: The report names the project.\nQUOTES:\n'
             '- page 1: "The project is called Blue Heron."')
    out = tmp_path / "review.xlsx"
    with FakeOpenAI(by_model({"fake-sub": reply, "fake-root": reply})) as server:
        done = run(bundle, "rlm", "review", "--collection", "smoke", "--column",
                   "Code name", "--base-url", server.base_url, "--model", "fake-root",
                   "--sub-model", "fake-sub", "-o", str(out), "--json", env=env,
                   cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    sheet = openpyxl.load_workbook(out).worksheets[0]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "Code name" in cells and "Blue Heron" in cells, cells


def test_the_demo_opens_from_the_bundles_own_resources(bundle: Path, env: dict[str, str],
                                                      tmp_path: Path) -> None:
    demo = bundle / "_internal" / "resources" / "demo"
    worker = WorkerProcess(env, command=[str(bundle / "rlm-desktop"), "--rlm-engine-worker"],
                           cwd=tmp_path)
    try:
        reply = worker.call("open_demo", {"folder": str(demo)})
        result = reply.result
        assert sorted(Path(d["path"]).name for d in result["documents"]) == [
            "amendment.pdf", "lease.pdf", "letter.pdf"]
        [cited] = [e for e in reply.events if e["type"] == "answer_citations"]
        assert [c["status"] for c in cited["citations"]] == [
            "verified", "verified", "verified", "relocated"]
        assert result["run"]["stop_reason"] == "answered"
    finally:
        worker.close()


# --- helpers ---------------------------------------------------------------------------------

def _sample_folder(folder: Path) -> Path:
    """A PDF, a Word file, a spreadsheet and a text file, made here."""
    import docx
    import openpyxl
    import pymupdf

    folder.mkdir()
    pdf = pymupdf.open()
    for text in ("Quarterly report. The project is called Blue Heron.", "Page two: costs."):
        pdf.new_page().insert_text((72, 72), text)
    pdf.save(folder / "report.pdf")
    memo = docx.Document()
    memo.add_paragraph("Memo: the board meets on Tuesday.")
    memo.save(str(folder / "memo.docx"))
    book = openpyxl.Workbook()
    book.active.append(["Item", "Cost"])
    book.active.append(["Servers", 1200])
    book.save(folder / "table.xlsx")
    (folder / "notes.txt").write_text("Notes from the kickoff meeting.\n", encoding="utf-8")
    return folder


def _children(pid: int) -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                yield int(entry.name)


def _wait_for_child(pid: int, flag: str, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in _children(pid):
            try:
                command = (Path("/proc") / str(child) / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if flag.encode() in command:
                return child
        time.sleep(0.2)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
