"""Source viewer benchmark (run on demand): how long one cited page takes to draw.

Times ``rlm_desktop.viewer.render.render_page``, the work the viewer's thread does for a page:
check the file against the store's record, open the PDF, find the quote, draw the page and
copy it into a QImage. Generated pages (a dense text page, as a contract or a book has), then
corpus PDFs when ``../shared/corpus`` exists.

    python -m tests.benchmarks.bench_viewer                 # fit width in a ~460 px panel
    python -m tests.benchmarks.bench_viewer --scale 1.5     # zoomed in, or a high-DPI screen
    python -m tests.benchmarks.bench_viewer --gui           # end to end in the window

``--gui`` measures what a person waits for: from the click on a citation (``show_source``) to
the page on screen, through the real worker's ``documents`` reply and the render thread,
with a stall meter on the GUI thread (temporary folders and keyring, offscreen Qt).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from rlm_desktop.viewer.render import PageRequest, render_page  # noqa: E402
from tests.engine.ingest.makers import CORPUS, make_pdf  # noqa: E402

BUDGET_MS = 150.0
LINE = "The Tenant shall pay the Rent monthly in advance without deduction or set-off, {n}."


def dense_pages(count: int) -> list[str]:
    return ["\n".join(LINE.format(n=f"clause {p}.{i}") for i in range(48))
            for p in range(count)]


def timed(path: Path, page: int, scale: float, quote: str) -> float | None:
    """Milliseconds to draw a page; None (and a line saying why) when it was not drawn."""
    stat = path.stat()
    result = render_page(PageRequest(path=str(path), page=page, scale=scale, quotes=(quote,),
                                     size=stat.st_size, mtime_ns=stat.st_mtime_ns))
    if result.problem:
        print(f"  not drawn: {path.name} p. {page}: {result.problem} {result.detail}")
        return None
    return result.seconds * 1000


def report(name: str, measured: list[float | None]) -> None:
    times = sorted(t for t in measured if t is not None)
    if not times:
        print(f"{name}: nothing drawn")
        return
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    verdict = "ok" if p95 <= BUDGET_MS else "OVER BUDGET"
    print(f"{name:<44} {len(times):>4} pages  median {statistics.median(times):6.1f} ms  "
          f"p95 {p95:6.1f} ms  max {times[-1]:6.1f} ms  [{verdict}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.72,
                        help="pixels per PDF point (0.72: a Letter page 440 px wide)")
    parser.add_argument("--corpus-files", type=int, default=12)
    parser.add_argument("--gui", action="store_true", help="end to end in the main window")
    args = parser.parse_args()
    if args.gui:
        bench_gui()
        return
    print(f"render_page at scale {args.scale} (budget {BUDGET_MS:.0f} ms a page)")
    with tempfile.TemporaryDirectory() as tmp:
        pdf = make_pdf(Path(tmp) / "dense.pdf", dense_pages(30))
        timed(pdf, 1, args.scale, "warm up")
        report("generated: 48 dense lines a page, quote found",
               [timed(pdf, page, args.scale, LINE.format(n=f"clause {page - 1}.20"))
                for page in range(1, 31)])
        report("generated: quote not found (all fallbacks)",
               [timed(pdf, page, args.scale, "words that are on no page at all here")
                for page in range(1, 31)])
    if not CORPUS.is_dir():
        print("no corpus at", CORPUS.resolve())
        return
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)     # damaged test files complain on stderr
    files = sorted(CORPUS.rglob("*.pdf"), key=lambda p: p.stat().st_size)
    step = max(1, len(files) // args.corpus_files)
    spread = files[::step][:args.corpus_files]
    report(f"corpus: {len(spread)} PDFs across sizes, first/middle/last",
           corpus_times(spread, args.scale))
    report("corpus: the 6 largest PDFs (books), 10 pages each",
           corpus_times(files[-6:], args.scale, pages=10))


def corpus_times(files: list[Path], scale: float, pages: int = 3) -> list[float | None]:
    import pymupdf

    times: list[float | None] = []
    for path in files:
        try:
            with pymupdf.open(path) as doc:
                if doc.needs_pass:
                    continue
                count = doc.page_count
                words = doc.load_page(0).get_text().split()[:6]
        except Exception:
            continue
        chosen = {1 + (count - 1) * i // max(1, pages - 1) for i in range(pages)}
        times += [timed(path, page, scale, " ".join(words)) for page in sorted(chosen)]
    return times

def bench_gui(pages: int = 30) -> None:
    """Citation click -> page shown, in the main window with the real worker."""
    import time

    from tests.benchmarks.bench_gui_stall import StallMeter, isolate, wait

    tmp = Path(tempfile.mkdtemp(prefix="rlm-bench-viewer-"))
    isolate(tmp / "home")
    from PySide6.QtWidgets import QApplication

    from rlm_desktop.window.main_window import MainWindow
    from rlm_desktop.worker_client import WorkerClient

    app = QApplication([])
    folder = tmp / "docs"
    folder.mkdir()
    make_pdf(folder / "dense.pdf", dense_pages(pages))
    client = WorkerClient()
    window = MainWindow(client, offer_setup=False)
    window.resize(1500, 900)
    window.show()
    client.start()
    wait(app, lambda: client.state == "ready", 60)
    window.library.add_paths([str(folder)])
    wait(app, lambda: window.library.document_count() == 1
         and not window.library.runner.running, 120)
    doc_id = window.library.model.documents()[0].id
    viewer = window.viewer
    shown: list[float] = []
    viewer.page_shown.connect(lambda: shown.append(time.perf_counter()))
    times: list[float | None] = []
    meter = StallMeter()
    meter.start()
    for page in [1, *range(1, pages + 1)]:          # the first opens the document (warm-up)
        shown.clear()
        started = time.perf_counter()
        window.show_source(doc_id, page, [LINE.format(n=f"clause {page - 1}.20")])
        wait(app, lambda: bool(shown), 30)
        times.append((shown[0] - started) * 1000)
        assert viewer.canvas.highlight_rects(), f"page {page}: no highlight"
    meter.stop()
    report(f"window: citation click -> page shown ({viewer.canvas.width()} px wide)", times[1:])
    print(f"longest GUI stall meanwhile: {max(meter.gaps, default=0):.1f} ms")
    client.stop()
    wait(app, lambda: client.state in ("stopped", "failed"), 15)


if __name__ == "__main__":
    main()
