"""Extraction in worker processes: one file at a time per worker, each under a time limit.

A parser that crashes, hangs or eats memory on one file costs that file: the
worker is killed or dies, the file is reported with the reason, a fresh worker
takes its place and the batch goes on. ``concurrent.futures`` cannot do this
(a dead worker breaks the whole executor, a hung one cannot be stopped), so
the pool is a small loop over pipes and process sentinels.

Workers are started with "spawn" on every platform: a fork of a process that
runs threads (the GUI's worker does) is unsafe.
"""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.connection
import os
import select
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from engine.errors import EngineError
from engine.ingest.formats import ExtractOptions, extract
from engine.ingest.model import CRASHED, TIMEOUT, TOO_LARGE, Extracted, ExtractionFailed

DEFAULT_TIMEOUT_S = 120.0
# An OCR-heavy file may ask for more time page by page, but never beyond this multiple.
MAX_EXTENSION_FACTOR = 20
READER_ERROR = "reader_error"
# Tasks in flight per worker: one running, one waiting in its pipe (small files only).
QUEUE_DEPTH = 2
SMALL_TASK_BYTES = 256 * 1024
# Imported once by the fork server, so each worker starts with them in memory.
# (Only our light modules: workers import PyMuPDF in parallel themselves, which starts a
# small batch sooner than one server importing everything first.)
PRELOAD = ["engine.ingest.formats"]
AUTO = -1   # memory_mb: a share of the RAM


CANCEL_POLL_S = 0.2


class Cancel(Protocol):
    """What stops a batch early: ``threading.Event`` fits."""

    def is_set(self) -> bool: ...


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def default_memory_mb(workers: int) -> int | None:
    """Address-space cap per worker: a share of the RAM, between 2 and 4 GB (None: no cap)."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
    return int(max(2048, min(4096, ram // (2 * max(1, workers)) // (1024 * 1024))))


@dataclass
class Task:
    key: Any
    path: Path
    pages: tuple[int, int | None] | None = None   # a PDF's page range, None: everything
    size: int = 0                                  # bytes, to tell small tasks from big ones


@dataclass
class Outcome:
    key: Any
    path: Path
    extracted: Extracted | None = None
    kind: str | None = None       # failure kind, None on success
    reason: str | None = None
    seconds: float = 0.0


# --- the worker process -------------------------------------------------------------------

def _limit_memory(memory_mb: int | None) -> None:
    if not memory_mb or sys.platform == "win32":
        return
    import resource

    limit = memory_mb * 1024 * 1024
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


def load_extractor(name: str | None) -> Callable[..., Extracted]:
    """``formats.extract``, or another function named "module:function" (tests use this to
    make a worker crash, hang or eat memory on cue)."""
    if not name:
        return extract
    module, _, function = name.partition(":")
    found: Callable[..., Extracted] = getattr(importlib.import_module(module), function)
    return found


def worker_main(conn: Any, memory_mb: int | None, quiet: bool = True,
                extractor: str | None = None) -> None:
    """Serve extraction requests until told to stop (``None``) or the pipe closes."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle
    except (ValueError, OSError):
        pass
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")    # Tesseract: we parallelise by file
    if quiet:  # MuPDF and Tesseract talk on stderr about every broken file
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        except OSError:
            pass
    _limit_memory(memory_mb)
    run = load_extractor(extractor)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        path, options, pages = request
        try:
            extracted = run(path, options,
                                progress=lambda n: conn.send(("progress", n)),
                                extend=lambda s: conn.send(("extend", s)), pages=pages)
            message: tuple[Any, ...] = ("done", extracted)
        except ExtractionFailed as exc:
            message = ("failed", exc.kind, exc.reason)
        except MemoryError:
            message = ("failed", TOO_LARGE, "the file needs more memory than an extraction "
                       f"worker may use ({memory_mb} MB)")
        except RecursionError:
            message = ("failed", READER_ERROR, "the reader gave up: the file's structure is "
                       "nested too deeply (damaged file)")
        except Exception as exc:  # a library error we have no better words for
            detail = " ".join(str(exc).split())[:200]
            message = ("failed", READER_ERROR,
                       f"the reader failed on this file ({type(exc).__name__}: {detail})")
        try:
            conn.send(message)
        except MemoryError:
            conn.send(("failed", TOO_LARGE, "the extracted text is too large to hand over"))


# --- the parent side ----------------------------------------------------------------------

class WorkerStartError(EngineError):
    """Worker processes cannot start at all: a problem of the installation, not of a file."""


class _Worker:
    """One worker process and the tasks sent to it: the first is running, the next waits in
    the pipe, so the worker never idles while the parent stores the last result."""

    def __init__(self, ctx: Any, memory_mb: int | None, extractor: str | None) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker_main, args=(child, memory_mb, True, extractor),
                                   daemon=True, name="rlm-extract")
        self.process.start()
        child.close()
        self.tasks: deque[Task] = deque()
        self.ready = False
        self.started = 0.0
        self.deadline = 0.0
        self.extended = 0.0

    def assign(self, task: Task, options: ExtractOptions, timeout_s: float) -> None:
        self.conn.send((task.path, options, task.pages))
        self.tasks.append(task)
        if len(self.tasks) == 1:
            self.begin(timeout_s)

    def begin(self, timeout_s: float) -> None:
        """The first task is running from now on: its clock starts."""
        self.started = time.monotonic()
        self.deadline = self.started + timeout_s
        self.extended = 0.0

    def kill(self) -> None:
        try:
            self.process.kill()
        except (OSError, AttributeError):
            pass
        self.process.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


def describe_death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        if name == "SIGKILL":
            return ("the reader was killed while reading this file (most likely it ran out of "
                    "memory)")
        return f"the reader crashed on this file ({name})"
    return f"the reader stopped unexpectedly on this file (exit code {exitcode})"


def _ready(workers: list[_Worker], timeout: float) -> list[_Worker]:
    """Workers with a message to read or a process that ended, within ``timeout`` seconds."""
    if not hasattr(select, "poll"):   # Windows
        handles: dict[Any, _Worker] = {}
        for worker in workers:
            handles[worker.conn] = worker
            handles[worker.process.sentinel] = worker
        ready = multiprocessing.connection.wait(list(handles), timeout=timeout)
        return list(dict.fromkeys(handles[h] for h in ready))
    poller = select.poll()   # one system call, none of the selectors module's bookkeeping
    by_fd: dict[int, _Worker] = {}
    for worker in workers:
        for fd in (worker.conn.fileno(), worker.process.sentinel):
            poller.register(fd, select.POLLIN)
            by_fd[fd] = worker
    events = poller.poll(int(timeout * 1000) + 1)
    return list(dict.fromkeys(by_fd[fd] for fd, _ in events))


def _context() -> Any:
    """Fresh interpreters for workers: "forkserver" where there is one (a clean,
    single-threaded server forks them, with PyMuPDF already imported), else "spawn".
    Never a plain fork of this process, which may run threads (the GUI's worker does)."""
    if sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


class ExtractionPool:
    """Up to ``workers`` processes; ``run(tasks)`` yields an Outcome per task as each ends."""

    def __init__(self, workers: int | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                 memory_mb: int | None = AUTO,
                 on_progress: Callable[[Task, int], None] | None = None,
                 extractor: str | None = None, cancel: Cancel | None = None) -> None:
        self.size = max(1, workers or default_workers())
        self.timeout_s = timeout_s
        self.memory_mb = default_memory_mb(self.size) if memory_mb == AUTO else memory_mb
        self.on_progress = on_progress
        self.extractor = extractor
        self.cancel = cancel
        self._ctx = _context()
        self._workers: list[_Worker] = []
        self._options: ExtractOptions | None = None
        self._requeue: deque[Task] = deque()   # waiting behind a task whose worker died

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self._workers:
            if worker.tasks:
                worker.kill()
            else:
                worker.stop()
        self._workers = []

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    @property
    def busy(self) -> int:
        """Tasks handed out and not yet ended (including any waiting to be handed again)."""
        return sum(len(w.tasks) for w in self._workers) + len(self._requeue)

    def can_take(self, task: Task) -> bool:
        """A worker is free (or may be started); or the task is small enough to wait in a busy
        worker's pipe. A big one waits for a free worker instead of queueing behind another
        big one, so the end of a batch is shared evenly."""
        if len(self._workers) < self.size or any(not w.tasks for w in self._workers):
            return True
        whole = task.pages is None or task.pages[0] == 0   # not the rest of a long PDF
        small = whole and task.size <= SMALL_TASK_BYTES
        return small and any(len(w.tasks) < QUEUE_DEPTH for w in self._workers)

    def submit(self, task: Task, options: ExtractOptions) -> None:
        """Hand a task to the least loaded worker (a new one while there are fewer than
        ``size``); call only when ``can_take(task)``."""
        self._options = options
        while self._requeue:
            self._assign(self._requeue.popleft(), options)
        self._assign(task, options)

    def _assign(self, task: Task, options: ExtractOptions) -> None:
        idle = [w for w in self._workers if not w.tasks]
        if idle:
            worker = idle[0]
        elif len(self._workers) < self.size:
            worker = _Worker(self._ctx, self.memory_mb, self.extractor)
            self._workers.append(worker)
        else:
            worker = min(self._workers, key=lambda w: len(w.tasks))
        try:
            worker.assign(task, options, self.timeout_s)
        except (OSError, ValueError):  # it died while idle: replace it
            self._retire(worker)
            fresh = _Worker(self._ctx, self.memory_mb, self.extractor)
            self._workers.append(fresh)
            fresh.assign(task, options, self.timeout_s)

    def _retire(self, worker: _Worker, keep_waiting: bool = True) -> None:
        """Kill a worker; tasks that were waiting behind its first go back in the queue."""
        if worker in self._workers:
            self._workers.remove(worker)
        waiting = list(worker.tasks)[1:]
        worker.tasks.clear()
        worker.kill()
        if keep_waiting:
            self._requeue.extend(waiting)

    def wait(self) -> list[Outcome]:
        """Block until at least one task ends (or times out); its outcomes. Returns nothing
        soon after ``cancel`` is set, leaving the tasks running for ``close`` to kill."""
        while self.busy and not self.cancelled:
            while self._requeue and self._options is not None:
                self._assign(self._requeue.popleft(), self._options)
            outcomes = list(self._wait())
            if outcomes:
                return outcomes
        return []

    def run(self, tasks: Iterable[Task], options: ExtractOptions) -> Iterator[Outcome]:
        """Extract every task; at most ``size`` running, so memory stays flat."""
        pending = iter(tasks)
        exhausted = False
        try:
            task: Task | None = None
            while True:
                while not exhausted:
                    task = task or next(pending, None)
                    if task is None:
                        exhausted = True
                    elif self.can_take(task):
                        self.submit(task, options)
                        task = None
                    else:
                        break
                if not self.busy:
                    return
                yield from self.wait()
        finally:
            if not exhausted:  # the caller stopped early (Ctrl-C, an error): stop everything
                self.close()

    def _wait(self) -> Iterator[Outcome]:
        active = [w for w in self._workers if w.tasks]
        if not active:
            return
        timeout = max(0.0, min(w.deadline for w in active) - time.monotonic())
        if self.cancel is not None:   # look at the cancel flag a few times a second
            timeout = min(timeout, CANCEL_POLL_S)
        for worker in _ready(active, timeout):
            yield from self._read(worker)
        now = time.monotonic()
        for worker in [w for w in self._workers if w.tasks and now >= w.deadline]:
            task = worker.tasks[0]
            limit = worker.deadline - worker.started
            self._retire(worker)
            yield Outcome(task.key, task.path, kind=TIMEOUT,
                          reason=f"reading took longer than the {limit:.0f} s limit "
                          "(a damaged or very large file); raise it with --file-timeout",
                          seconds=now - worker.started)

    def _read(self, worker: _Worker) -> Iterator[Outcome]:
        """Drain a worker's messages, yielding an Outcome for each task that ended."""
        while worker.tasks:
            try:
                if not worker.conn.poll():
                    if worker.process.is_alive():
                        return
                    raise EOFError
                message = worker.conn.recv()
            except (EOFError, OSError):
                task = worker.tasks[0]
                worker.process.join(timeout=5)
                exitcode = worker.process.exitcode
                started, ready = worker.started, worker.ready
                self._retire(worker)
                if not ready:
                    raise WorkerStartError(
                        "cannot start the processes that read documents (a worker exited "
                        f"with code {exitcode} before it was ready); if you run rlm from "
                        "your own script, guard it with `if __name__ == \"__main__\":`"
                    ) from None
                yield Outcome(task.key, task.path, kind=CRASHED,
                              reason=describe_death(exitcode),
                              seconds=time.monotonic() - started)
                return
            tag = message[0]
            if tag == "ready":
                worker.ready = True
            elif tag == "progress" and self.on_progress is not None:
                self.on_progress(worker.tasks[0], int(message[1]))
            elif tag == "extend":
                allowed = self.timeout_s * MAX_EXTENSION_FACTOR
                grant = min(float(message[1]), max(0.0, allowed - worker.extended))
                worker.extended += grant
                worker.deadline += grant
            elif tag in ("done", "failed"):
                task = worker.tasks.popleft()
                seconds = time.monotonic() - worker.started
                if worker.tasks:
                    worker.begin(self.timeout_s)
                if tag == "done":
                    yield Outcome(task.key, task.path, extracted=message[1], seconds=seconds)
                else:
                    yield Outcome(task.key, task.path, kind=message[1], reason=message[2],
                                  seconds=seconds)
