"""kill -9 in the middle of a batch: the store stays sound, holds no half document, resumes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.engine.ingest.makers import make_pdf

ROOT = Path(__file__).resolve().parents[3]
FILES, PAGES = 60, 12


def stored(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
    except sqlite3.Error:
        return 0


def consistent(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert [tuple(r) for r in conn.execute("PRAGMA integrity_check")] == [("ok",)]
        bad = conn.execute(
            "SELECT d.path, c.pages, (SELECT COUNT(*) FROM pages p WHERE p.content_hash = c.hash) "
            "FROM documents d JOIN contents c ON c.hash = d.content_hash").fetchall()
        assert bad and all(expected == found for _, expected, found in bad), bad
        orphans = conn.execute("SELECT COUNT(*) FROM documents WHERE content_hash IS NOT NULL "
                               "AND content_hash NOT IN (SELECT hash FROM contents)").fetchone()
        assert orphans[0] == 0
    finally:
        conn.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL of a process group is POSIX")
def test_kill_9_mid_batch_then_resume(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(FILES):
        make_pdf(docs / f"doc{i:03d}.pdf",
                 [f"Document {i}, page {p}. " + "Words of the agreement. " * 30
                  for p in range(1, PAGES + 1)])
    db = Path(os.environ["XDG_DATA_HOME"]) / "rlm-desktop" / "library.db"
    command = [sys.executable, "-m", "engine.cli", "ingest", str(docs), "--ocr", "off",
               "--workers", "1", "-q"]
    proc = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while stored(db) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    killed_at = stored(db)
    assert 0 < killed_at < FILES, "the batch ended before it could be killed"
    consistent(db)
    done = subprocess.run(command, cwd=ROOT, env=os.environ.copy(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert stored(db) == FILES
    consistent(db)
