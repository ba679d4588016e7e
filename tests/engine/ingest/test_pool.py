"""The worker pool: a crash, hang or memory blow-up costs one file, and the batch goes on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.ingest import pool as pool_module
from engine.ingest.model import CRASHED, TIMEOUT, TOO_LARGE, ExtractOptions
from engine.ingest.pool import QUEUE_DEPTH, ExtractionPool, Task, describe_death
from tests.engine.ingest.makers import make_pdf

HOOK = "tests.engine.ingest.hooks:misbehave"
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="signals are POSIX")
# Only Linux enforces an address-space limit; elsewhere the hog would really eat the RAM.
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="RLIMIT_AS is enforced on Linux only")


def files(folder: Path, names: list[str]) -> list[Path]:
    out = []
    for name in names:
        path = folder / name
        path.write_text(f"contents of {name}\n", encoding="utf-8")
        out.append(path)
    return out


@linux_only
def test_crash_hang_and_memory_cost_one_file_each(tmp_path: Path) -> None:
    paths = files(tmp_path, ["a.txt", "crash.txt", "b.txt", "hang.txt", "hog.txt", "exit.txt",
                             "c.txt"])
    pool = ExtractionPool(workers=2, timeout_s=3, memory_mb=400, extractor=HOOK)
    with pool:
        outcomes = {o.path.name: o for o in pool.run([Task(p.name, p) for p in paths],
                                                     ExtractOptions())}
    assert set(outcomes) == {p.name for p in paths}
    for name in ("a.txt", "b.txt", "c.txt"):
        extracted = outcomes[name].extracted
        assert extracted is not None and f"contents of {name}" in extracted.pages[0].text
    assert outcomes["crash.txt"].kind == CRASHED
    assert "SIGSEGV" in (outcomes["crash.txt"].reason or "")
    assert outcomes["hang.txt"].kind == TIMEOUT
    assert "3 s limit" in (outcomes["hang.txt"].reason or "")
    assert outcomes["hog.txt"].kind == TOO_LARGE
    assert outcomes["exit.txt"].kind == CRASHED
    assert "exit code 3" in (outcomes["exit.txt"].reason or "")


@posix_only
def test_a_worker_may_ask_for_more_time_for_slow_pages(tmp_path: Path) -> None:
    (slow,) = files(tmp_path, ["slowocr.txt"])
    with ExtractionPool(workers=1, timeout_s=1.5, extractor=HOOK) as pool:
        (outcome,) = pool.run([Task("k", slow)], ExtractOptions())
    assert outcome.extracted is not None, outcome.reason


def test_progress_reports_and_reuse_of_workers(tmp_path: Path) -> None:
    seen: list[int] = []
    paths = files(tmp_path, [f"n{i}.txt" for i in range(4)])
    paths.append(make_pdf(tmp_path / "long.pdf", [f"page {i}" for i in range(25)]))
    with ExtractionPool(workers=1, on_progress=lambda task, n: seen.append(n)) as pool:
        outcomes = list(pool.run([Task(p.name, p) for p in paths], ExtractOptions()))
        pids = {w.process.pid for w in pool._workers}
    assert [o.key for o in outcomes] == [p.name for p in paths]
    assert len(pids) == 1          # one process served all five files
    assert seen == [10, 20]        # pages done, reported while the PDF was read


@posix_only
def test_small_files_go_out_several_at_a_time_and_a_crash_still_costs_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"a{i}.txt" for i in range(3)] + ["crash.txt"] + [f"b{i}.txt" for i in range(4)] \
        + ["hang.txt", "c0.txt"]
    paths = files(tmp_path, names)
    sent: list[list[str]] = []
    real_flush = pool_module._Worker.flush

    def flush(worker: pool_module._Worker, options: ExtractOptions) -> None:
        sent.append([t.path.name for t in worker.outbox])
        real_flush(worker, options)

    monkeypatch.setattr(pool_module._Worker, "flush", flush)
    with ExtractionPool(workers=1, timeout_s=2, extractor=HOOK) as pool:
        outcomes = {o.path.name: o for o in pool.run([Task(p.name, p) for p in paths],
                                                     ExtractOptions())}
    assert max(len(batch) for batch in sent) == QUEUE_DEPTH - 1 >= 2   # the crash was in one
    assert [n for batch in sent for n in batch].count("crash.txt") == 1   # read once only
    assert outcomes["crash.txt"].kind == CRASHED
    assert outcomes["hang.txt"].kind == TIMEOUT
    for name in set(names) - {"crash.txt", "hang.txt"}:   # before and after: all read
        extracted = outcomes[name].extracted
        assert extracted is not None and f"contents of {name}" in extracted.pages[0].text


@posix_only
def test_a_worker_that_died_while_idle_is_replaced(tmp_path: Path) -> None:
    first, second = files(tmp_path, ["first.txt", "second.txt"])
    with ExtractionPool(workers=1) as pool:
        (done,) = pool.run([Task(1, first)], ExtractOptions())
        (idle,) = pool._workers
        idle.process.kill()
        idle.process.join(5)
        (again,) = pool.run([Task(2, second)], ExtractOptions())
        assert pool._workers and idle not in pool._workers
    assert done.extracted is not None and again.extracted is not None, again.reason


def test_warm_up_starts_the_workers_in_the_background(tmp_path: Path) -> None:
    paths = files(tmp_path, ["a.txt", "b.txt", "c.txt"])
    with ExtractionPool(workers=2) as pool:
        assert pool.warm_up() is True and pool.warm_up() is False
        outcomes = list(pool.run([Task(p.name, p) for p in paths], ExtractOptions()))
        assert len(pool._workers) == 2 and not pool.starting
    assert all(o.extracted is not None for o in outcomes)


def test_closing_while_workers_start_leaves_none_running(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[pool_module._Worker] = []
    real_init = pool_module._Worker.__init__

    def record(worker: pool_module._Worker, *args: Any) -> None:
        real_init(worker, *args)
        made.append(worker)

    monkeypatch.setattr(pool_module._Worker, "__init__", record)
    pool = ExtractionPool(workers=2)
    pool.warm_up()
    starter = pool._starter
    pool.close()          # a new collection that turned out to need no worker
    assert starter is not None
    starter.join(30)
    assert len(made) == 2 and not any(w.process.is_alive() for w in made)


@posix_only
def test_workers_do_not_import_the_callers_main_module(tmp_path: Path) -> None:
    """multiprocessing would run the caller's script again in every worker (for ``rlm``,
    the whole CLI): a marker line per run of the script shows it runs once only."""
    marker = tmp_path / "runs.txt"
    (doc,) = files(tmp_path, ["doc.txt"])
    script = tmp_path / "caller.py"
    script.write_text(
        "import sys\n"
        "from pathlib import Path\n"
        f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
        "from engine.ingest.model import ExtractOptions\n"
        "from engine.ingest.pool import ExtractionPool, Task\n"
        "if __name__ == '__main__':\n"
        "    with ExtractionPool(workers=2) as pool:\n"
        "        pool.warm_up()\n"
        f"        (outcome,) = pool.run([Task(1, Path({str(doc)!r}))], ExtractOptions())\n"
        "    sys.exit(0 if outcome.extracted is not None else 1)\n", encoding="utf-8")
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, str(script)], cwd=root, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr
    assert marker.read_text().splitlines() == ["__main__"]


def test_death_descriptions() -> None:
    assert "SIGSEGV" in describe_death(-11)
    assert "out of memory" in describe_death(-9)
    assert "exit code 1" in describe_death(1)
