"""Extractors for pool tests, run inside worker processes: they crash, hang or eat memory
when the file's name says so, and read the file normally otherwise."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.ingest.extraction import extract
from engine.ingest.model import Extracted, ExtractOptions


def misbehave(path: Path, options: ExtractOptions,
              progress: Callable[[int], None] | None = None,
              extend: Callable[[float], None] | None = None,
              pages: tuple[int, int | None] | None = None) -> Extracted:
    name = path.name
    if name.startswith("crash"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if name.startswith("hang"):
        time.sleep(3600)
    if name.startswith("hog"):
        hoard: list[Any] = []
        while True:
            hoard.append(bytearray(50 * 1024 * 1024))
    if name.startswith("exit"):
        os._exit(3)
    if name.startswith("slowocr") and extend is not None:
        for _ in range(3):
            extend(1.0)
            time.sleep(0.9)
    return extract(path, options, progress=progress, extend=extend, pages=pages)


PAGE_SECONDS = 0.008   # what `traced` makes each page cost, so work outweighs noise


def traced(path: Path, options: ExtractOptions,
           progress: Callable[[int], None] | None = None,
           extend: Callable[[float], None] | None = None,
           pages: tuple[int, int | None] | None = None) -> Extracted:
    """Read the file, taking PAGE_SECONDS a page, and log a line per task in trace.log next
    to it: worker pid, file name, first and stop page (-1: none given), start, end."""
    started = time.time()
    extracted = extract(path, options, progress=progress, extend=extend, pages=pages)
    time.sleep(PAGE_SECONDS * len(extracted.pages))
    first, stop = pages if pages is not None else (-1, -1)
    line = f"{os.getpid()} {path.name} {first} {-1 if stop is None else stop} " \
           f"{started:.4f} {time.time():.4f}\n"
    with open(path.parent / "trace.log", "a", encoding="utf-8") as log:
        log.write(line)
    return extracted
