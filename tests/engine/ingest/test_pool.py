"""The worker pool: a crash, hang or memory blow-up costs one file, and the batch goes on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.ingest.formats import ExtractOptions
from engine.ingest.model import CRASHED, TIMEOUT, TOO_LARGE
from engine.ingest.pool import ExtractionPool, Task, describe_death
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


def test_death_descriptions() -> None:
    assert "SIGSEGV" in describe_death(-11)
    assert "out of memory" in describe_death(-9)
    assert "exit code 1" in describe_death(1)
