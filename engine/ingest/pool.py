"""Extraction in worker processes: one file at a time per worker, each under a time limit.

A parser that crashes, hangs or eats memory on one file costs that file: the
worker is killed or dies, the file is reported with the reason, a fresh worker
takes its place and the batch goes on. ``concurrent.futures`` cannot do this
(a dead worker breaks the whole executor, a hung one cannot be stopped), so
the pool is a small loop over pipes and process sentinels.

Small files are handed out several at a time (one message for the lot), but a
worker answers file by file, so the pool always knows which file was being
read when a worker died or hung: that file is reported, the ones queued behind
it go to a fresh worker.

Workers are never a plain fork of the calling process, which may run threads
(the GUI's worker does): a clean fork server on Linux, fresh interpreters elsewhere.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.spawn
import os
import select
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from engine.errors import EngineError
from engine.ingest.extract_worker import worker_main
from engine.ingest.formats import FORMATS
from engine.ingest.model import CRASHED, TIMEOUT, Extracted, ExtractOptions

DEFAULT_TIMEOUT_S = 120.0
# An OCR-heavy file may ask for more time page by page, but never beyond this multiple.
MAX_EXTENSION_FACTOR = 20
# Tasks in flight per worker: one running, the rest waiting in its pipe (small files only,
# so a worker never idles while the parent stores results, and a run of one-page files
# costs one message per few files instead of one per file).
QUEUE_DEPTH = 8
SMALL_TASK_BYTES = 256 * 1024
# Imported once by the fork server, so each worker starts with them in memory (and shares
# PyMuPDF's pages with the others) instead of spending its first 0.1 s importing.
PRELOAD = ["engine.ingest.pool", *(module for fmt in FORMATS for module in fmt.preload)]
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
    pages: tuple[int, int | None] | None = None   # a page range (a PDF's), None: everything
    size: int = 0                                  # bytes, to tell small tasks from big ones


@dataclass
class Outcome:
    key: Any
    path: Path
    extracted: Extracted | None = None
    kind: str | None = None       # failure kind, None on success
    reason: str | None = None
    seconds: float = 0.0


# --- the parent side ----------------------------------------------------------------------

class WorkerStartError(EngineError):
    """Worker processes cannot start at all: a problem of the installation, not of a file."""


_starting = threading.local()


def _preparation_data(name: str) -> dict[str, Any]:
    """multiprocessing's data for a new child, without the caller's main module when the
    child is one of our workers.

    A child re-imports the caller's main module (``rlm``'s whole CLI, or the GUI's engine
    worker) before it runs anything: a fifth of a second per worker for nothing, since a
    worker runs ``worker_main`` of this module and needs nothing from the caller's. Only
    the thread starting a worker sees the difference."""
    data: dict[str, Any] = _spawn_preparation_data(name)
    if getattr(_starting, "worker", False):
        data.pop("init_main_from_name", None)
        data.pop("init_main_from_path", None)
    return data


_spawn_preparation_data = multiprocessing.spawn.get_preparation_data


@contextmanager
def _without_main_module() -> Iterator[None]:
    if multiprocessing.spawn.get_preparation_data is not _preparation_data:
        multiprocessing.spawn.get_preparation_data = _preparation_data
    _starting.worker = True
    try:
        yield
    finally:
        _starting.worker = False


class _Worker:
    """One worker process and the tasks sent to it, in order: the first is running, the
    rest wait in the pipe (``outbox``: chosen, not sent yet), so the worker never idles
    while the parent stores results. It answers task by task, so when it dies the first
    task is the one it was reading."""

    def __init__(self, ctx: Any, memory_mb: int | None, extractor: str | None) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker_main, args=(child, memory_mb, True, extractor),
                                   daemon=True, name="rlm-extract")
        with _without_main_module():
            self.process.start()
        child.close()
        self.tasks: deque[Task] = deque()
        self.outbox: list[Task] = []
        self.ready = False
        self.started = 0.0
        self.deadline = 0.0
        self.extended = 0.0

    def assign(self, task: Task, timeout_s: float) -> None:
        """Queue a task; an idle worker's first is sent at once, the rest by ``flush``."""
        self.tasks.append(task)
        self.outbox.append(task)
        if len(self.tasks) == 1:
            self.begin(timeout_s)

    def flush(self, options: ExtractOptions) -> None:
        """Send the queued tasks in one message (kept queued if the worker is gone)."""
        if self.outbox:
            self.conn.send((options, [(task.path, task.pages) for task in self.outbox]))
            self.outbox = []

    def begin(self, timeout_s: float) -> None:
        """The first task is running from now on: its clock starts."""
        self.started = time.monotonic()
        self.deadline = self.started + timeout_s
        self.extended = 0.0

    def kill(self) -> None:
        self.outbox = []
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


def _ready(workers: list[_Worker], timeout: float) -> dict[_Worker, bool]:
    """Workers with a message to read or a process that ended, within ``timeout`` seconds;
    True for those whose process ended."""
    ready: dict[_Worker, bool] = {}
    if not hasattr(select, "poll"):   # Windows
        handles: dict[Any, _Worker] = {}
        for worker in workers:
            handles[worker.conn] = worker
            handles[worker.process.sentinel] = worker
        for handle in multiprocessing.connection.wait(list(handles), timeout=timeout):
            worker = handles[handle]
            ready[worker] = ready.get(worker, False) or handle is not worker.conn
        return ready
    poller = select.poll()   # one system call, none of the selectors module's bookkeeping
    by_fd: dict[int, _Worker] = {}
    for worker in workers:
        for fd in (worker.conn.fileno(), worker.process.sentinel):
            poller.register(fd, select.POLLIN)
            by_fd[fd] = worker
    for fd, _ in poller.poll(int(timeout * 1000) + 1):
        worker = by_fd[fd]
        ready[worker] = ready.get(worker, False) or fd == worker.process.sentinel
    return ready


def _has_data(conn: Any) -> bool:
    """A message (or the end of the pipe) is waiting: ``conn.poll()`` without the selector
    it builds on each call."""
    if not hasattr(select, "poll"):   # Windows
        return bool(conn.poll())
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLIN)
    return bool(poller.poll(0))


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
        self._warmed = False
        self._starter: threading.Thread | None = None
        self._started: list[_Worker] = []
        self._start_error: BaseException | None = None
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def warm_up(self) -> bool:
        """Start the workers now, in the background, so they are ready sooner: call it as
        soon as some file will need one, and go on planning (hashing) the next files
        meanwhile (``starting``). True when this call started them."""
        if self._warmed:
            return False
        self._warmed = True
        missing = self.size - len(self._workers)
        if missing <= 0:
            return False
        self._starter = threading.Thread(target=self._start_workers, args=(missing,),
                                         daemon=True, name="rlm-extract-start")
        self._starter.start()
        return True

    @property
    def starting(self) -> bool:
        """Workers are being started in the background (see ``warm_up``)."""
        return self._starter is not None and self._starter.is_alive()

    def _start_workers(self, count: int) -> None:
        try:   # the first one waits for the fork server to import PyMuPDF
            for _ in range(count):
                worker = _Worker(self._ctx, self.memory_mb, self.extractor)
                with self._lock:
                    if not self._closed:
                        self._started.append(worker)
                        continue
                worker.stop()   # closed meanwhile: nobody will use it
        except BaseException as exc:   # handed to the caller's thread by _join_starter
            self._start_error = exc

    def _join_starter(self) -> None:
        """Take over the workers ``warm_up`` started (waiting for them if need be), and
        raise what stopped it from starting them."""
        if self._starter is None:
            return
        self._starter.join()
        self._starter = None
        self._workers.extend(self._started)
        self._started = []
        error, self._start_error = self._start_error, None
        if error is not None:
            raise error

    def close(self) -> None:
        """Stop every worker. One still being started is stopped by the starting thread,
        so closing a pool that never needed one does not wait for the fork server."""
        with self._lock:
            self._closed = True
            workers, self._started = self._workers + self._started, []
        for worker in workers:
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
        big one, so the end of a batch is shared evenly. (``submit`` sends a free worker its
        task at once; the ones queued behind go in one message when the caller ``wait``s.)"""
        if len(self._workers) < self.size or any(not w.tasks for w in self._workers):
            return True
        whole = task.pages is None or task.pages[0] == 0   # not the rest of a long document
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
        self._join_starter()
        idle = [w for w in self._workers if not w.tasks]
        if idle:
            worker = idle[0]
        elif len(self._workers) < self.size:
            worker = _Worker(self._ctx, self.memory_mb, self.extractor)
            self._workers.append(worker)
        else:
            worker = min(self._workers, key=lambda w: len(w.tasks))
        worker.assign(task, self.timeout_s)
        if len(worker.tasks) == 1:   # it was idle: start it now
            self._flush(worker, options)

    def _flush(self, worker: _Worker, options: ExtractOptions, retry: bool = True) -> None:
        """Send a worker its queued tasks; if it died while idle, a fresh one takes them.
        (One that died reading a file is reported by ``_read``, which sees its end.)"""
        try:
            worker.flush(options)
        except (OSError, ValueError):
            if len(worker.tasks) > len(worker.outbox):
                return
            if not retry:
                raise
            tasks = list(worker.tasks)
            self._retire(worker, keep_waiting=False)
            fresh = _Worker(self._ctx, self.memory_mb, self.extractor)
            self._workers.append(fresh)
            for task in tasks:
                fresh.assign(task, self.timeout_s)
            self._flush(fresh, options, retry=False)

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
            if self._options is not None:
                for worker in list(self._workers):
                    self._flush(worker, self._options)
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
        for worker, ended in _ready(active, timeout).items():
            yield from self._read(worker, ended)
        now = time.monotonic()
        for worker in [w for w in self._workers if w.tasks and now >= w.deadline]:
            task = worker.tasks[0]
            limit = worker.deadline - worker.started
            self._retire(worker)
            yield Outcome(task.key, task.path, kind=TIMEOUT,
                          reason=f"reading took longer than the {limit:.0f} s limit "
                          "(a damaged or very large file); raise it with --file-timeout",
                          seconds=now - worker.started)

    def _read(self, worker: _Worker, ended: bool) -> Iterator[Outcome]:
        """Drain a worker's messages, yielding an Outcome for each task that ended.
        (A dead worker's pipe reads as ended too; ``ended``: its process sentinel fired.)"""
        while worker.tasks:
            try:
                if not _has_data(worker.conn):
                    if not ended or worker.process.is_alive():
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
                        f"with code {exitcode} before it was ready); check the installation "
                        "with `rlm info`, and that the system lets rlm start processes"
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
