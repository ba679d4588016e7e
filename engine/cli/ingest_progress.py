"""What ``rlm ingest`` shows while it works: a progress bar on a terminal, plain lines otherwise.

Both are views of the ingest events; failures are printed as they happen, the
bar (files, pages, rate, time left) is redrawn at most ten times a second.
"""

from __future__ import annotations

import time
from typing import TextIO

from engine import events as ev
from engine.cli.terminal import printable

BAR_WIDTH = 24
LINE_INTERVAL_S = 5.0     # plain mode: a progress line at most this often...
LINE_STEP = 0.1           # ...or every tenth of the files
REDRAW_S = 0.1


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def status_line(event: ev.IngestProgress) -> str:
    """files 412/1,304 · 1,210 pages · 215 pages/s · 0:04 left"""
    parts = [f"files {event.files_done:,}/{event.files_total:,}", f"{event.pages_done:,} pages"]
    if event.elapsed_s > 0.5 and event.pages_done:
        parts.append(f"{event.pages_done / event.elapsed_s:,.0f} pages/s")
    share = fraction(event)
    if 0 < share < 1 and event.elapsed_s > 1:
        parts.append(f"{duration(event.elapsed_s * (1 - share) / share)} left")
    return " · ".join(parts)


def fraction(event: ev.IngestProgress) -> float:
    """Work done so far, by bytes when known (a big PDF weighs more than a note)."""
    if event.bytes_total > 0:
        return min(1.0, event.bytes_done / event.bytes_total)
    return min(1.0, event.files_done / event.files_total) if event.files_total else 0.0


class IngestDisplay:
    """Feed it ingest events; it draws on ``stream`` (a bar when ``bar`` is True)."""

    def __init__(self, stream: TextIO, bar: bool, show_files: bool = False,
                 step: float | None = LINE_STEP) -> None:
        self.stream: TextIO | None = stream
        self.bar = bar
        self.show_files = show_files
        self.step = step   # plain mode: a line per this share of the work (None: by time only)
        self.drawn = False
        self.last_draw = 0.0
        self.last_line = time.monotonic()
        self.last_share = 0.0
        self.progress: ev.IngestProgress | None = None

    def __call__(self, event: ev.Event) -> None:
        if self.stream is None:
            return
        try:
            self._show(event)
        except (OSError, ValueError):  # the stream went away (a closed pipe): go quiet
            self.stream = None

    def _write_line(self, text: str) -> None:
        assert self.stream is not None
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.drawn = False
        # Paths, collection names and reasons come from the files: escapes shown, not obeyed.
        self.stream.write(printable(text, keep_layout=False) + "\n")
        if self.bar and self.progress is not None:
            self._draw(self.progress)
        self.stream.flush()

    def _draw(self, event: ev.IngestProgress) -> None:
        assert self.stream is not None
        share = fraction(event)
        filled = int(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r\x1b[2K[{bar}] {share * 100:3.0f}% {status_line(event)}")
        self.stream.flush()
        self.drawn = True
        self.last_draw = time.monotonic()

    def _show(self, event: ev.Event) -> None:
        assert self.stream is not None
        match event:
            case ev.IngestStarted():
                what = f" into collection {event.collection!r}" if event.collection else ""
                self._write_line(f"ingesting {event.files:,} file{'s' * (event.files != 1)}"
                                 f"{what} ({event.bytes_total / 1e6:,.1f} MB)")
            case ev.FileFailed() if not event.unchanged:
                self._write_line(f"failed: {event.path}: {event.reason}")
            case ev.FileDone() if event.warning and event.status != "unchanged":
                self._write_line(f"warning: {event.path}: {event.warning}")
            case ev.FileDone() if self.show_files and event.status != "unchanged":
                self._write_line(f"{event.status}: {event.path} ({event.pages} pages)")
            case ev.FileMissing():
                what = "removed from the library" if event.pruned else "missing"
                self._write_line(f"{what}: {event.path} (the file is gone)")
            case ev.IngestProgress():
                self.progress = event
                now = time.monotonic()
                if self.bar:
                    if now - self.last_draw >= REDRAW_S:
                        self._draw(event)
                    return
                share = fraction(event)
                stepped = self.step is not None and share - self.last_share >= self.step
                if (now - self.last_line >= LINE_INTERVAL_S or stepped) and share < 1:
                    self.last_line, self.last_share = now, share
                    self._write_line(status_line(event))
            case ev.IngestFinished():
                self.progress = None
                if self.drawn:
                    self.stream.write("\r\x1b[2K")
                    self.drawn = False
                    self.stream.flush()
