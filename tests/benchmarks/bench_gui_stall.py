"""GUI responsiveness benchmark (run on demand): the longest event-loop stall of the main window
while the real worker ingests 1,000 pages, and while a run streams 1,000+ events.

    python -m tests.benchmarks.bench_gui_stall            # offscreen, temporary folders
    python -m tests.benchmarks.bench_gui_stall --pages 2000 --calls 600

A 2 ms timer runs on the GUI thread; the longest gap between two of its ticks, less the
interval, is the longest time the window could not react. Target: under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TICK_MS = 2


def isolate(home: Path) -> None:
    """Temporary home and XDG folders, the in-memory keyring, no screen: nothing real is touched."""
    os.environ.update({
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"), "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "PYTHON_KEYRING_BACKEND": "tests.support.memory_keyring.MemoryKeyring",
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "NO_PROXY": "127.0.0.1,localhost",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    })


class StallMeter:
    """Ticks every TICK_MS on the GUI thread and keeps the gaps between ticks."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.last = 0

    def start(self) -> None:
        self.gaps.clear()
        self.clock.start()
        self.last = self.clock.nsecsElapsed()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        self.gaps.append((now - self.last) / 1e6 - TICK_MS)
        self.last = now

    def summary(self) -> dict[str, float]:
        gaps = sorted(self.gaps) or [0.0]
        return {"max_ms": max(gaps), "p99_ms": gaps[int(len(gaps) * 0.99) - 1 if len(gaps) > 1
                                                    else 0],
                "median_ms": statistics.median(gaps), "ticks": len(gaps)}


def make_pdfs(folder: Path, pages: int, per_file: int = 50) -> None:
    import pymupdf

    folder.mkdir(parents=True)
    for number in range(0, pages, per_file):
        doc = pymupdf.open()
        for page_no in range(number, min(pages, number + per_file)):
            page = doc.new_page()
            page.insert_text((72, 72), f"Report page {page_no + 1}. " + "Revenue rose. " * 20)
        doc.save(folder / f"report-{number // per_file + 1:03d}.pdf")
        doc.close()


def wait(app: Any, done: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark step did not finish in time")
        app.processEvents()
        time.sleep(0.001)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=400,
                        help="sub-calls in the run (each is 3 events: start, finish, totals)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rlm-bench-gui-"))
    isolate(tmp / "home")

    from PySide6.QtWidgets import QApplication

    from engine.config import ModelSettings, Settings, save_settings
    from rlm_desktop.window.main_window import MainWindow
    from rlm_desktop.worker_client import WorkerClient
    from tests.support.fake_openai import FakeOpenAI, Reply, by_model, sequence

    app = QApplication([])
    make_pdfs(tmp / "reports", args.pages)
    # Distinct prompts: identical ones would be answered from the sub-call cache.
    code = (f"r = llm_query_batched(['summarise %d' % i for i in range({args.calls})])\n"
            "print(len(r))")
    root = sequence(f"```repl\n{code}\n```", "```repl\nFINAL('done')\n```")
    with FakeOpenAI(by_model({"fake-root": root, "fake-sub": Reply(content="ok")})) as server:
        save_settings(Settings(root=ModelSettings(model="fake-root", base_url=server.base_url),
                               sub=ModelSettings(model="fake-sub", base_url=server.base_url)))
        client = WorkerClient()
        window = MainWindow(client, offer_setup=False)
        window.resize(1400, 860)
        window.show()
        client.start()
        wait(app, lambda: client.state == "ready", 60)
        meter = StallMeter()

        ingested: list[Any] = []
        window.library.ingest_finished.connect(ingested.append)
        meter.start()
        started = time.monotonic()
        window.library.add_paths([str(tmp / "reports")])   # the path a drop takes
        wait(app, lambda: bool(ingested), 600)
        ingest_s = time.monotonic() - started
        wait(app, lambda: window.library.document_count() > 0, 30)   # the table's refresh
        meter.stop()
        ingest = meter.summary()

        events: list[Any] = []
        finished: list[Any] = []
        window.ask_panel.run_event.connect(events.append)
        window.ask_panel.run_finished.connect(lambda *a: finished.append(a))
        meter.start()
        started = time.monotonic()
        if not window.ask_panel.ask("How did revenue change?"):
            raise RuntimeError("the question was not sent: " + window.ask_panel.scope_label.text())
        wait(app, lambda: bool(finished), 600)
        run_s = time.monotonic() - started
        settle = time.monotonic() + 0.5   # the run panel may still be applying queued events
        wait(app, lambda: time.monotonic() > settle, 5)
        meter.stop()
        run = meter.summary()
        client.stop()
        wait(app, lambda: client.state in ("stopped", "failed"), 15)
        window.close()

    print(f"ingest of {args.pages} pages ({ingest_s:.1f} s): longest stall "
          f"{ingest['max_ms']:.1f} ms, p99 {ingest['p99_ms']:.1f} ms, "
          f"median {ingest['median_ms']:.2f} ms over {ingest['ticks']} ticks")
    print(f"run streaming {len(events)} events ({run_s:.1f} s): longest stall "
          f"{run['max_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms, "
          f"median {run['median_ms']:.2f} ms over {run['ticks']} ticks")
    worst = max(ingest["max_ms"], run["max_ms"])
    print(f"target: under 50 ms -> {'met' if worst < 50 else 'MISSED'} ({worst:.1f} ms)")


if __name__ == "__main__":
    main()
