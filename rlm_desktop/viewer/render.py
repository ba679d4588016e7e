"""Rendering one PDF page off the GUI thread: open, check the file, find the quotes, draw."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal
from PySide6.QtGui import QImage

from rlm_desktop.viewer.quotes import Rect, find_on_pdf_page

# Why a page could not be drawn from the file (the viewer then shows the stored text).
MISSING = "missing"          # no file at the recorded path
CHANGED = "changed"          # size or modification time differ from what was read
UNREADABLE = "unreadable"    # PyMuPDF could not open it, or the page is not there
PASSWORD = "password"        # the detail of UNREADABLE for a password-protected file


@dataclass(frozen=True)
class PageRequest:
    """What to draw: a page (1-based) of a file at a scale (pixels per PDF point)."""

    path: str
    page: int
    scale: float = 1.0
    quotes: tuple[str, ...] = ()
    size: int = 0            # as recorded at ingest; 0: not checked
    mtime_ns: int = 0


@dataclass
class RenderedPage:
    """A drawn page, or why it was not drawn (``problem``)."""

    image: QImage | None = None
    rects: list[Rect] = field(default_factory=list)    # highlights, in PDF points
    width_pt: float = 0.0
    height_pt: float = 0.0
    pages: int = 0
    label: str = ""                # the printed page label, "" when none
    quote_found: bool | None = None    # None: there was no quote to look for
    scanned: bool = False          # the page has no text layer (a picture of text)
    problem: str = ""
    detail: str = ""
    seconds: float = 0.0


def file_problem(path: str, size: int, mtime_ns: int) -> str:
    """MISSING or CHANGED when the file is not the one that was read; "" when it is."""
    try:
        stat = os.stat(path)
    except OSError:
        return MISSING
    if size and (stat.st_size != size or (mtime_ns and stat.st_mtime_ns != mtime_ns)):
        return CHANGED
    return ""


def render_page(request: PageRequest) -> RenderedPage:
    """Draw one page (blocking: call it from a worker thread, never the GUI thread)."""
    import pymupdf

    started = time.perf_counter()
    problem = file_problem(request.path, request.size, request.mtime_ns)
    if problem:
        return RenderedPage(problem=problem, seconds=time.perf_counter() - started)
    try:
        with _open_pdf(pymupdf, request.path) as doc:
            if doc.needs_pass:
                return RenderedPage(problem=UNREADABLE, detail=PASSWORD,
                                    seconds=time.perf_counter() - started)
            pages = doc.page_count
            if not 1 <= request.page <= pages:
                return RenderedPage(pages=pages, problem=UNREADABLE,
                                    detail=f"the file has {pages} pages, not {request.page}")
            page = doc.load_page(request.page - 1)
            rects, found = find_on_pdf_page(page, list(request.quotes))
            scanned = bool(request.quotes) and not found and not page.get_text().strip()
            label = page.get_label() or ""
            pixmap = page.get_pixmap(matrix=pymupdf.Matrix(request.scale, request.scale),
                                     alpha=False)
            image = QImage(pixmap.samples, pixmap.width, pixmap.height, pixmap.stride,
                           QImage.Format.Format_RGB888).copy()
            return RenderedPage(image=image, rects=rects, width_pt=page.rect.width,
                                height_pt=page.rect.height, pages=pages, label=label,
                                quote_found=found if request.quotes else None,
                                scanned=scanned,
                                seconds=time.perf_counter() - started)
    except Exception as exc:     # a damaged or encrypted file: say so, show the stored text
        return RenderedPage(problem=UNREADABLE, detail=str(exc)[:200],
                            seconds=time.perf_counter() - started)


def is_text(path: str) -> bool:
    """False for a path holding lone surrogates: bytes of its name that are not UTF-8."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _open_pdf(pymupdf: Any, path: str) -> Any:
    if is_text(path):
        return pymupdf.open(path)
    with open(path, "rb") as file:    # MuPDF takes UTF-8 names only: hand it the bytes
        return pymupdf.open(stream=file.read(), filetype="pdf")


class RenderSignals(QObject):
    """Lives on the GUI thread; a job's result arrives through it as a queued signal."""

    done = Signal(int, object)     # the request's token, a RenderedPage


class RenderJob(QRunnable):
    """One page drawn on a thread-pool thread; the result goes to ``signals.done``."""

    def __init__(self, token: int, request: PageRequest, signals: RenderSignals) -> None:
        super().__init__()
        self.token, self.request, self.signals = token, request, signals

    def run(self) -> None:
        self.signals.done.emit(self.token, render_page(self.request))
