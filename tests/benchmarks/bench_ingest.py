"""Ingest benchmark (run on demand, not in the test suite): pages per second on the same PDFs for
raw PyMuPDF in one process, ``rlm ingest`` into a fresh store, a re-ingest of the unchanged
files, and pypdf (what LangChain's PyPDFLoader and Open WebUI use); with peak memory.

    python -m tests.benchmarks.bench_ingest                  # every PDF in ../shared/corpus
    python -m tests.benchmarks.bench_ingest --books          # the three whole books only
    python -m tests.benchmarks.bench_ingest --min-pages 2    # documents, not one-page tests
    python -m tests.benchmarks.bench_ingest --files DIR ...  # your own files
    python -m tests.benchmarks.bench_ingest --phase raw      # one phase (also: layout)
    python -m tests.benchmarks.bench_ingest --repeat 5       # fastest of 5 interleaved runs
    python -m tests.benchmarks.bench_ingest --reports 40     # 40 generated 150-page reports
    python -m tests.benchmarks.bench_ingest --command        # also time the whole `rlm ingest`

Each phase runs in a fresh process so its peak memory is its own. pypdf comes with the
``bench`` extra (``pip install -e ".[bench]"``); without it that row is skipped. The
``layout`` phase times PyMuPDF 2.x's layout analysis (pymupdf4llm) where it is installed:
run it from an environment with ``pymupdf>=2`` to compare the two PyMuPDF lines.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / ".." / "shared" / "corpus"
PYPDF_FILE_LIMIT_S = 30


def pdf_files(args: argparse.Namespace) -> list[Path]:
    found: list[Path] = []
    if args.reports:
        found = make_reports(args.reports, args.report_pages)
    elif args.files:
        for raw in args.files:
            path = Path(raw)
            found.extend(sorted(path.rglob("*.pdf")) if path.is_dir() else [path])
    elif args.books:
        found = sorted((CORPUS / "books").glob("*.pdf"))
    else:
        found = sorted((CORPUS / "pdf").rglob("*.pdf")) + sorted((CORPUS / "books").glob("*.pdf"))
    if args.min_pages > 1:
        import pymupdf

        pymupdf.TOOLS.mupdf_display_errors(False)

        def pages(path: Path) -> int:
            try:
                with pymupdf.open(path) as doc:
                    return int(doc.page_count)
            except Exception:
                return 0

        found = [p for p in found if pages(p) >= args.min_pages]
    return found


REPORT_TEXT = ("the lessee shall pay rent on the first day of each month to the lessor at the "
                "address given in clause four unless notice in writing is served on the other "
                "party not less than thirty days before the date of termination and any "
                "deposit held shall be returned within fourteen days less deductions for "
                "damage beyond fair wear and tear as agreed by both parties")


def make_reports(count: int, pages: int) -> list[Path]:
    """``count`` generated reports of ``pages`` pages each (a heading, paragraphs, a table
    every tenth page, a numbered footer), made once and kept in the temporary folder."""
    import random

    import pymupdf

    words = REPORT_TEXT.split()
    folder = Path(tempfile.gettempdir()) / f"rlm-bench-reports-{count}x{pages}"
    paths = [folder / f"report-{n:03d}.pdf" for n in range(1, count + 1)]
    if all(p.exists() for p in paths):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    for number, path in enumerate(paths, start=1):
        rng = random.Random(number)
        doc = pymupdf.open()
        for index in range(pages):
            page = doc.new_page()
            page.insert_text((72, 60), f"Report {number}: section {index // 10 + 1}",
                             fontsize=14)
            y = 90.0
            if index % 10 == 9:   # a table of figures, drawn cell by cell
                for row in range(30):
                    cells = [f"Item {row + 1}"] + [f"{rng.randint(100, 99999):,}"
                                                   for _ in range(4)]
                    for column, cell in enumerate(cells):
                        page.insert_text((72 + column * 95, y), cell, fontsize=10)
                    y += 18
            else:
                while y < 720:
                    line = " ".join(rng.choice(words) for _ in range(14))
                    page.insert_text((72, y), line.capitalize(), fontsize=10)
                    y += 13
            page.insert_text((290, 790), str(index + 1), fontsize=9)
        doc.set_metadata({"title": f"Report {number}", "author": "Bench"})
        doc.save(path, garbage=3, deflate=True)
        doc.close()
    return paths


def peak_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest child, in MB."""
    to_bytes = 1 if sys.platform == "darwin" else 1024   # ru_maxrss: bytes on macOS, else KiB
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * to_bytes
    try:   # Linux keeps ru_maxrss across exec (the parent's size at fork); VmHWM is ours alone
        status = Path("/proc/self/status").read_text()
        own = int(status.split("VmHWM:")[1].split()[0]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * to_bytes
    usage_self = resource.getrusage(resource.RUSAGE_SELF)
    usage_kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"peak_mb": round(own / 2**20, 1), "peak_worker_mb": round(kids / 2**20, 1),
            "cpu_s": round(usage_self.ru_utime + usage_self.ru_stime, 2),
            "cpu_workers_s": round(usage_kids.ru_utime + usage_kids.ru_stime, 2)}


class WorkerMemory:
    """Largest peak RSS (VmHWM) of any process below this one, sampled from /proc (Linux):
    the extraction workers are children of the fork server, so rusage does not see them."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self.cpu_ticks: dict[int, int] = {}   # pid -> user + system clock ticks, last seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WorkerMemory:
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            frontier, below = [os.getpid()], list[int]()
            while frontier:
                pid = frontier.pop()
                try:
                    kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
                except OSError:
                    continue
                below.extend(map(int, kids))
                frontier.extend(map(int, kids))
            for pid in below:
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    self.cpu_ticks[pid] = int(fields[11]) + int(fields[12])
                except (OSError, ValueError, IndexError):
                    continue

    @property
    def cpu_s(self) -> float:
        """CPU seconds of the processes below this one (to their last sample)."""
        return sum(self.cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")


# --- phases (each in its own process) ----------------------------------------------------

def phase_raw(files: list[Path]) -> dict[str, Any]:
    started = time.perf_counter()
    import pymupdf

    imported = time.perf_counter() - started
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    pages = chars = failed = 0
    t0 = time.perf_counter()
    for path in files:
        try:
            with pymupdf.open(path) as doc:
                if doc.is_encrypted:
                    failed += 1
                    continue
                for page in doc:
                    chars += len(page.get_text())
                    pages += 1
        except Exception:
            failed += 1
    seconds = time.perf_counter() - t0
    return {"what": f"raw PyMuPDF {pymupdf.VersionBind}, one process", "pages": pages,
            "chars": chars, "failed": failed, "seconds": seconds,
            "import_s": round(imported, 3), **peak_mb()}


def phase_layout(files: list[Path]) -> dict[str, Any]:
    started = time.perf_counter()
    import pymupdf

    try:
        import pymupdf4llm
    except ImportError:
        return {"skipped": "pymupdf4llm (PyMuPDF 2.x layout) is not installed here"}
    imported = time.perf_counter() - started
    pymupdf.TOOLS.mupdf_display_errors(False)
    pages = chars = failed = 0
    t0 = time.perf_counter()
    for path in files:
        try:
            with pymupdf.open(path) as doc:
                if doc.is_encrypted:
                    failed += 1
                    continue
                chunks = pymupdf4llm.to_text(doc, page_chunks=True, show_progress=False)
                pages += len(chunks)
                chars += sum(len(c["text"]) for c in chunks)
        except Exception:
            failed += 1
    seconds = time.perf_counter() - t0
    return {"what": f"PyMuPDF {pymupdf.VersionBind} layout analysis (pymupdf4llm.to_text)",
            "pages": pages, "chars": chars, "failed": failed, "seconds": seconds,
            "import_s": round(imported, 3), **peak_mb()}


def phase_ingest(files: list[Path], store: Path, workers: int | None,
                 label: str) -> dict[str, Any]:
    os.environ["XDG_DATA_HOME"] = str(store)
    sys.path.insert(0, str(ROOT))
    from engine.ingest.options import IngestOptions
    from engine.ingest.pipeline import ingest
    from engine.store.library import Library

    t0 = time.perf_counter()    # what `rlm ingest` does: open the store, ingest, close
    with WorkerMemory() as workers_memory, Library(store / "library.db") as library:
        report = ingest(files, IngestOptions(collection="bench", ocr="off", workers=workers),
                        library=library)
    seconds = time.perf_counter() - t0
    with Library(store / "library.db") as library:
        documents = library.documents("bench")
        stored = sum(d.pages for d in documents)
        chars = sum(d.chars for d in documents)
    return {"what": label, "pages": report.pages or stored, "stored_pages": stored,
            "chars": chars, "failed": len(report.failed), "unchanged": len(report.unchanged),
            "seconds": seconds, **peak_mb(),
            "peak_worker_mb": round(workers_memory.peak_kb / 1024, 1),
            "cpu_workers_s": round(workers_memory.cpu_s, 2)}


def phase_pypdf(files: list[Path]) -> dict[str, Any]:
    try:
        import pypdf
    except ImportError:
        return {"skipped": "pypdf is not installed (pip install -e '.[bench]')"}
    import logging
    import warnings

    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")

    def give_up(signum: int, frame: Any) -> None:
        raise TimeoutError

    signal.signal(signal.SIGALRM, give_up)
    pages = chars = failed = timeouts = 0
    t0 = time.perf_counter()
    for path in files:
        signal.alarm(PYPDF_FILE_LIMIT_S)
        try:
            reader = pypdf.PdfReader(path)
            if reader.is_encrypted:
                failed += 1
                continue
            for page in reader.pages:
                chars += len(page.extract_text() or "")
                pages += 1
        except TimeoutError:
            timeouts += 1
        except Exception:
            failed += 1
        finally:
            signal.alarm(0)
    seconds = time.perf_counter() - t0
    return {"what": f"pypdf {pypdf.__version__}, one process", "pages": pages, "chars": chars,
            "failed": failed, "timeouts": timeouts, "seconds": seconds, **peak_mb()}


# --- orchestration -----------------------------------------------------------------------------

def run_phase(name: str, args: argparse.Namespace, store: Path,
              listing: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "tests.benchmarks.bench_ingest", "--phase", name,
               "--store", str(store), "--list", str(listing)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_command(args: argparse.Namespace, store: Path, files: list[Path]) -> dict[str, Any]:
    """The whole `rlm ingest` process into a new store, start to exit, timed from outside."""
    env = {**os.environ, "XDG_DATA_HOME": str(store / "data"),
           "XDG_CONFIG_HOME": str(store / "config"),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    command = [sys.executable, "-m", "engine.cli", "ingest", "--ocr", "off", "--json",
               "--collection", "bench", *map(str, files)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):   # 1: some files could not be read
        raise SystemExit(f"rlm ingest failed:\n{done.stderr}")
    report = json.loads(done.stdout)
    return {"what": "the whole `rlm ingest` command, start to exit", "pages": report["pages"],
            "failed": len(report["failed"]), "seconds": seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def show(result: dict[str, Any], baseline: float | None) -> str:
    if "skipped" in result:
        return f"  (skipped: {result['skipped']})"
    rate = result["pages"] / result["seconds"] if result["seconds"] else 0.0
    ratio = f", {rate / baseline:.2f}x raw" if baseline else ""
    extra = f", {result['failed']} files unreadable" if result.get("failed") else ""
    if result.get("timeouts"):
        extra += f", {result['timeouts']} over {PYPDF_FILE_LIMIT_S} s"
    workers = result.get("peak_worker_mb")
    if workers:
        extra += f"; largest worker {workers:.0f} MB"
    if "cpu_s" in result:
        extra += f"; CPU {result['cpu_s']:.1f} s" + (
            f" + {result['cpu_workers_s']:.1f} s in workers" if workers else "")
    return (f"  {result['what']}: {result['pages']:,} pages in {result['seconds']:.2f} s = "
            f"{rate:,.0f} pages/s{ratio}; peak memory {result['peak_mb']:.0f} MB{extra}")


def run_one_phase(args: argparse.Namespace, files: list[Path], store: Path) -> dict[str, Any]:
    workers = f"{args.workers or os.cpu_count()} workers"
    phases = {
        "raw": lambda: phase_raw(files),
        "layout": lambda: phase_layout(files),
        "pypdf": lambda: phase_pypdf(files),
        "ingest": lambda: phase_ingest(files, store, args.workers,
                                       f"rlm ingest, {workers}, into a new store"),
        "reingest": lambda: phase_ingest(files, store, args.workers,
                                         "rlm ingest again, nothing changed"),
    }
    return phases[args.phase]()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", action="store_true", help="only the three whole books")
    parser.add_argument("--files", nargs="+", help="PDF files or folders instead of the corpus")
    parser.add_argument("--workers", type=int, help="extraction processes for rlm ingest")
    parser.add_argument("--min-pages", type=int, default=1,
                        help="only PDFs with at least this many pages (2: real documents, "
                        "not the corpus's one-page test files)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run raw, ingest and re-ingest this many times, interleaved, and "
                        "report the fastest of each (the machine is shared: noise only adds)")
    parser.add_argument("--reports", type=int, default=0, metavar="N",
                        help="N generated reports instead of the corpus (made once, kept in "
                        "the temporary folder)")
    parser.add_argument("--report-pages", type=int, default=150, help=argparse.SUPPRESS)
    parser.add_argument("--command", action="store_true",
                        help="also time the whole `rlm ingest` command, start to exit")
    parser.add_argument("--phase", choices=["raw", "layout", "ingest", "reingest", "pypdf"])
    parser.add_argument("--no-pypdf", dest="pypdf", action="store_false",
                        help="leave out the (slow) pypdf row")
    parser.add_argument("--layout", action="store_true",
                        help="also time PyMuPDF 2.x layout analysis (needs pymupdf4llm)")
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--list", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.list:   # a phase: the files chosen by the orchestrating run
        files = [Path(os.fsdecode(line)) for line in Path(args.list).read_bytes().splitlines()]
    else:
        files = pdf_files(args)
    if not files:
        raise SystemExit(f"no PDF files found (is the corpus at {CORPUS}?)")
    if args.phase:
        with tempfile.TemporaryDirectory(prefix="rlm-bench-") as scratch:
            print(json.dumps(run_one_phase(args, files, Path(args.store or scratch))))
        return
    size = sum(p.stat().st_size for p in files)
    print(f"{len(files)} PDF files, {size / 1e6:.1f} MB, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="rlm-bench-") as folder:
        listing = Path(folder) / "files.txt"
        listing.write_bytes(b"\n".join(os.fsencode(p) for p in files))
        runs: dict[str, list[dict[str, Any]]] = {"raw": [], "ingest": [], "reingest": []}
        commands: list[dict[str, Any]] = []
        for rep in range(args.repeat):   # interleaved, each ingest into a new store
            store = Path(folder) / f"store{rep}"
            for name, results in runs.items():
                results.append(run_phase(name, args, store, listing))
            if args.command:
                commands.append(run_command(args, Path(folder) / f"command{rep}", files))
        raw, first, again = (best(runs[name]) for name in ("raw", "ingest", "reingest"))
        if args.repeat > 1:
            print(f"  (fastest of {args.repeat} interleaved runs of each; peak memory is the "
                  "largest seen)")
        baseline = raw["pages"] / raw["seconds"]
        cores = args.workers or os.cpu_count() or 1
        print(show(raw, None) + f" (import {raw['import_s']:.2f} s)")
        print(show(first, baseline))
        print(f"  re-ingest of the unchanged files: {again['seconds']:.3f} s = "
              f"{again['seconds'] / first['seconds'] * 100:.1f}% of the first ingest "
              f"({again['unchanged']:,} files unchanged); peak memory "
              f"{again['peak_mb']:.0f} MB")
        if args.repeat > 1:
            ratios = sorted(i["pages"] / i["seconds"] / (r["pages"] / r["seconds"])
                            for r, i in zip(runs["raw"], runs["ingest"], strict=True))
            print(f"  rlm ingest / raw PyMuPDF, run by run: "
                  f"{', '.join(f'{x:.2f}x' for x in ratios)} "
                  f"(median {ratios[len(ratios) // 2]:.2f}x)")
        cpu = sorted(r["cpu_s"] / ((i["cpu_s"] + i.get("cpu_workers_s", 0.0)) / cores)
                     for r, i in zip(runs["raw"], runs["ingest"], strict=True))
        print(f"  CPU seconds, raw ÷ (rlm ingest's, all processes ÷ {cores} cores), run by run: "
              f"{', '.join(f'{x:.2f}x' for x in cpu)} (median {cpu[len(cpu) // 2]:.2f}x: the "
              "ratio idle cores would give if no worker waited; the load changes it far less "
              "than the wall clock)")
        if commands:
            print(show(best(commands), baseline))
            ratios = sorted(c["pages"] / c["seconds"] / (r["pages"] / r["seconds"])
                            for r, c in zip(runs["raw"], commands, strict=True))
            print(f"  whole `rlm ingest` / raw PyMuPDF (its extraction time only), run by run: "
                  f"{', '.join(f'{x:.2f}x' for x in ratios)} "
                  f"(median {ratios[len(ratios) // 2]:.2f}x)")
        if args.pypdf:
            print(show(run_phase("pypdf", args, Path(folder) / "store0", listing), baseline))
        if args.layout:
            print(show(run_phase("layout", args, Path(folder) / "store0", listing), baseline))


def best(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest run, with the largest peak memory seen in any run."""
    fastest = dict(min(results, key=lambda r: r["seconds"]))
    for key in ("peak_mb", "peak_worker_mb"):
        fastest[key] = max(r.get(key, 0.0) for r in results)
    return fastest


if __name__ == "__main__":
    main()
