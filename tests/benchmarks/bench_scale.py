"""Scale benchmark (run on demand): a question over a generated library of 10,000 and of 100,000
pages, from the command (or the app's worker request) to the first model request, with a cold
and a warm context cache, and the peak memory of each process.

    python -m tests.benchmarks.bench_scale                      # 10,000 and 100,000 pages
    python -m tests.benchmarks.bench_scale --pages 10000 --repeat 5

Everything runs in a temporary home against the fake OpenAI-compatible server on 127.0.0.1.
"cold": the context cache is emptied first, so the context file is written from the store;
"warm": the same question again, the cached context reused; "one page": the same question
over a collection of one page, warm (the start-up the library's size adds nothing to, so
warm minus one page is what the size costs). Peak memory is each process's
high-water mark (VmHWM), sampled from /proc while it runs (Linux only). Target: warm under
1 s at 100,000 pages.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PAGES_PER_DOCUMENT = 100
CHARS_PER_PAGE = 2000
TEXT = ("the tenant shall pay rent monthly to the landlord under clause 4 of this lease "
         "unless written notice is served thirty days before termination and the deposit "
         "is returned within fourteen days less damage beyond fair wear and tear")


def isolate(home: Path) -> dict[str, str]:
    """A temporary home and XDG folders and the in-memory keyring, for this process and its
    children: nothing real is touched."""
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local" / "share"),
           "XDG_CACHE_HOME": str(home / ".cache"), "XDG_STATE_HOME": str(home / ".local" / "state"),
           "PYTHON_KEYRING_BACKEND": "tests.support.memory_keyring.MemoryKeyring",
           "NO_PROXY": "127.0.0.1,localhost",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                         if p)}
    os.environ.update(env)
    return env


def make_library(pages: int) -> float:
    """A collection "big" of ``pages`` generated pages, PAGES_PER_DOCUMENT to a document;
    the seconds it took."""
    from engine.ingest.model import TEXT, Extracted, ExtractedPage
    from engine.store.library import FileRef, Library

    started = time.perf_counter()
    rng = random.Random(pages)
    words = TEXT.split()
    text = " ".join(rng.choice(words) for _ in range(CHARS_PER_PAGE // 5))[:CHARS_PER_PAGE]
    with Library() as library:
        one = library.collection_id("one", create=True) or 0   # one page: the start-up alone
        library.save_extracted(one, FileRef(Path("/library/one.pdf"), 1, 1), "0" * 64,
                               Extracted(type="pdf", pages=[ExtractedPage(1, text, kind=TEXT)],
                                         title="One page"), "rlm-ingest/bench")
        collection = library.collection_id("big", create=True) or 0
        for number in range(pages // PAGES_PER_DOCUMENT):
            body = [ExtractedPage(number=p, text=f"Document {number} page {p}.\n{text}",
                                  kind=TEXT) for p in range(1, PAGES_PER_DOCUMENT + 1)]
            extracted = Extracted(type="pdf", pages=body, title=f"Document {number}")
            path = Path(f"/library/matter-{number // 100}/document-{number:06d}.pdf")
            content = hashlib.blake2b(str(number).encode(), digest_size=32).hexdigest()
            library.save_extracted(collection, FileRef(path, 1000 + number, number), content,
                                   extracted, "rlm-ingest/bench")
    return time.perf_counter() - started


class PeakMemory:
    """Samples the VmHWM of a process and its descendants every few milliseconds."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peaks: dict[int, tuple[str, int]] = {}   # pid -> (what, peak KiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    parent = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def sample(self) -> None:
        for pid in self._tree():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                peak = int(status.split("VmHWM:")[1].split()[0])
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            except (OSError, IndexError, ValueError):
                continue
            what = describe(pid == self.pid, command.decode("utf-8", "replace"))
            old = self.peaks.get(pid, (what, 0))[1]
            self.peaks[pid] = (what, max(old, peak))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.01)

    def stop(self) -> dict[str, float]:
        """The largest peak of each kind of process, in MB."""
        self._stop.set()
        self._thread.join()
        out: dict[str, float] = {}
        for what, peak in self.peaks.values():
            out[what] = max(out.get(what, 0.0), round(peak / 1024, 1))
        return out


def describe(is_root: bool, command: str) -> str:
    if is_root:
        return "main"
    if "forkserver" in command or "multiprocessing" in command:
        return "helper"
    return "REPL child" if "sandbox" in command or "repl" in command.lower() else "other"


class FirstRequest:
    """The fake model's script: notes when the first request of a run arrives, answers at once."""

    def __init__(self) -> None:
        self.at: float | None = None
        self.arrived = threading.Event()

    def __call__(self, request: Any) -> Any:
        from tests.support.harness import repl

        if self.at is None:
            self.at = time.perf_counter()
            self.arrived.set()
        return repl("FINAL('done')")

    def reset(self) -> None:
        self.at = None
        self.arrived.clear()


def context_cache(env: dict[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "rlm-desktop" / "contexts"


def ask_command(env: dict[str, str], base_url: str, prices: Path,
                script: FirstRequest, collection: str = "big") -> dict[str, Any]:
    """One `rlm ask --collection big`: seconds to the first model request, peak memory."""
    command = [sys.executable, "-m", "engine.cli", "ask", "What is the rent?", "--collection",
               collection, "--base-url", base_url, "--model", "fake-root", "--sub-model",
               "fake-sub", "--json", "-q", "--prices", str(prices)]
    script.reset()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    memory = PeakMemory(process.pid)
    if not script.arrived.wait(600):
        process.kill()
    first = script.at
    memory.sample()
    _, err = process.communicate()
    peaks = memory.stop()
    if process.returncode != 0 or first is None:
        raise SystemExit(f"rlm ask failed ({process.returncode}):\n{err.decode()[-3000:]}")
    return {"seconds": first - started, "total": time.perf_counter() - started, **peaks}


def ask_worker(worker: Any, script: FirstRequest, collection: str = "big") -> dict[str, Any]:
    """One new conversation through the app's worker: seconds from the request to the first
    model request."""
    script.reset()
    started = time.perf_counter()
    reply = worker.call("ask", {"question": "What is the rent?", "collection": collection,
                                "document_ids": None, "conversation": None}, timeout=600)
    if not reply.ok or script.at is None:
        raise SystemExit(f"the worker's ask failed: {reply.line}")
    worker.call("end_conversation", {"conversation": reply.result["conversation"]})
    return {"seconds": script.at - started, "total": time.perf_counter() - started}


def median(values: list[float]) -> float:
    return statistics.median(values)


def bench(pages: int, repeat: int) -> None:
    from tests.engine.worker.harness import WorkerProcess, write_settings
    from tests.support.fake_openai import FakeOpenAI
    from tests.support.harness import write_prices

    with tempfile.TemporaryDirectory(prefix="rlm-scale-") as scratch:
        env = isolate(Path(scratch))
        made = make_library(pages)
        store = Path(env["XDG_DATA_HOME"]) / "rlm-desktop"
        size = sum(f.stat().st_size for f in store.glob("library.db*"))
        print(f"{pages:,} pages in {pages // PAGES_PER_DOCUMENT:,} documents, "
              f"{pages * CHARS_PER_PAGE / 1e6:.0f} million characters; store "
              f"{size / 1e6:.0f} MB, made in {made:.1f} s")
        script = FirstRequest()
        with FakeOpenAI(script) as server:
            prices = write_prices(Path(scratch))
            write_settings(Path(env["XDG_CONFIG_HOME"]), server.base_url)
            runs: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": [], "one page": []}
            worker_runs: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": [],
                                                             "one page": []}
            worker = WorkerProcess(env={**os.environ, **env})
            memory = PeakMemory(worker.proc.pid)
            try:
                for _ in range(repeat):   # interleaved: the machine is shared
                    shutil.rmtree(context_cache(env), ignore_errors=True)
                    runs["cold"].append(ask_command(env, server.base_url, prices, script))
                    runs["warm"].append(ask_command(env, server.base_url, prices, script))
                    runs["one page"].append(ask_command(env, server.base_url, prices, script,
                                                        "one"))
                    shutil.rmtree(context_cache(env), ignore_errors=True)
                    worker_runs["cold"].append(ask_worker(worker, script))
                    worker_runs["warm"].append(ask_worker(worker, script))
                    worker_runs["one page"].append(ask_worker(worker, script, "one"))
            finally:
                worker_peaks = memory.stop()
                worker.close()
        for kind in ("cold", "warm", "one page"):
            seconds = [r["seconds"] for r in runs[kind]]
            peaks = {what: max(r.get(what, 0.0) for r in runs[kind])
                     for what in ("main", "REPL child", "helper", "other")}
            shown = ", ".join(f"{what} {mb:.0f} MB" for what, mb in peaks.items() if mb)
            print(f"  rlm ask --collection, {kind}: {median(seconds):.2f} s to the first model "
                  f"request (median of {len(seconds)}: "
                  f"{', '.join(f'{s:.2f}' for s in sorted(seconds))}); peak memory: {shown}")
        for kind in ("cold", "warm", "one page"):
            seconds = [r["seconds"] for r in worker_runs[kind]]
            print(f"  app worker ask, {kind}: {median(seconds):.2f} s to the first model "
                  f"request (median of {len(seconds)}: "
                  f"{', '.join(f'{s:.2f}' for s in sorted(seconds))})")
        shown = ", ".join(f"{what} {mb:.0f} MB" for what, mb in worker_peaks.items())
        print(f"  app worker peak memory over all its asks: {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}; load average "
          f"{os.getloadavg()[0]:.1f}")
    for pages in args.pages:
        bench(pages, args.repeat)


if __name__ == "__main__":
    main()
