"""The ingest display: a bar on a terminal, plain lines in logs, failures always."""

from __future__ import annotations

import io

from engine import events as ev
from engine.cli.ingest_progress import IngestDisplay, duration, status_line


def progress(done: int, total: int = 10, elapsed: float = 10.0) -> ev.IngestProgress:
    return ev.IngestProgress(files_done=done, files_total=total, pages_done=done * 20,
                             bytes_done=done * 100, bytes_total=total * 100, elapsed_s=elapsed)


def test_status_line_has_rate_and_time_left() -> None:
    assert duration(65) == "1:05" and duration(3725) == "1:02:05"
    line = status_line(progress(4, elapsed=8.0))
    assert line == "files 4/10 · 80 pages · 10 pages/s · 0:12 left"


def test_plain_lines_for_logs() -> None:
    out = io.StringIO()
    show = IngestDisplay(out, bar=False)
    show(ev.IngestStarted(files=10, collection="acme", bytes_total=1000))
    for done in range(1, 10):
        show(progress(done))
    show(ev.FileFailed(path="/x.pdf", reason="not a readable PDF", kind="corrupt"))
    show(ev.FileFailed(path="/y.pdf", reason="old news", kind="corrupt", unchanged=True))
    show(ev.IngestFinished(ingested=9, unchanged=0, failed=1, duration_s=10.0))
    lines = out.getvalue().splitlines()
    assert lines[0] == "ingesting 10 files into collection 'acme' (0.0 MB)"
    assert "failed: /x.pdf: not a readable PDF" in lines
    assert not any("old news" in line for line in lines)
    assert "\r" not in out.getvalue()
    assert 5 <= sum(line.startswith("files ") for line in lines) <= 9


def test_terminal_bar_is_redrawn_and_cleared() -> None:
    out = io.StringIO()
    show = IngestDisplay(out, bar=True)
    show(ev.IngestStarted(files=10, bytes_total=1000))
    show(progress(5))
    show(ev.FileDone(path="/scan.pdf", pages=3, chars=0, warning="1 page is a scanned image"))
    show(ev.IngestFinished(ingested=10, unchanged=0, failed=0, duration_s=1.0))
    text = out.getvalue()
    assert "[############------------]  50%" in text
    assert "warning: /scan.pdf: 1 page is a scanned image" in text
    assert text.endswith("\r\x1b[2K")
