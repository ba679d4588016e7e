"""The extraction worker process: reads the files the pool sends down its pipe, one after
another, and answers file by file (progress, then the text or why it failed).

Runs in a process of its own (see ``engine/ingest/pool.py``), so a crash, hang or
memory blow-up in a parser costs the pool one file.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.ingest.extraction import extract
from engine.ingest.formats import load
from engine.ingest.model import TOO_LARGE, Extracted, ExtractionFailed, ExtractOptions

READER_ERROR = "reader_error"


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
    """``extraction.extract``, or another function named "module:function" (tests use this
    to make a worker crash, hang or eat memory on cue)."""
    return load(name) if name else extract


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
        options, files = request
        for path, pages in files:   # one answer per file, in order: see pool._Worker
            _serve_one(conn, run, path, options, pages, memory_mb)


def _serve_one(conn: Any, run: Callable[..., Extracted], path: Path, options: ExtractOptions,
               pages: tuple[int, int | None] | None, memory_mb: int | None) -> None:
    try:
        extracted = run(path, options, progress=lambda n: conn.send(("progress", n)),
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
