"""What ``rlm bench run`` shows while it works: one updating bar on a terminal (questions
answered, spend, time left, the last score), a plain line per answer otherwise."""

from __future__ import annotations

from typing import TextIO

from engine.bench.runner import Progress
from engine.cli.ingest_progress import BAR_WIDTH, duration
from engine.cli.terminal import printable


def spend(progress: Progress, budget: float | None) -> str:
    limit = f" of ${budget:g}" if budget is not None else ""
    return f"${progress.spent_usd:.4f}{limit} spent"


def last_answer(progress: Progress) -> str:
    """needle-8192-1-3 by rlm: score 1.00 (ids and methods come from files: escapes shown)."""
    last = progress.last or {}
    return printable(f"{last.get('id')} by {last.get('method')}: score "
                     f"{float(last.get('score', 0)):.2f}", keep_layout=False)


def status_line(progress: Progress, budget: float | None = None) -> str:
    """12/60 answered · $0.4210 of $20 spent · 3:05 left · last: needle-8192-1-3 by rlm: ..."""
    parts = [f"{progress.done:,}/{progress.total:,} answered", spend(progress, budget)]
    left = progress.remaining_s
    if left is not None and progress.done < progress.total:
        parts.append(f"{duration(left)} left")
    if progress.last is not None:
        parts.append("last: " + last_answer(progress))
    return " · ".join(parts)


class BenchDisplay:
    """Feed it the run's progress; it draws on ``stream`` (a bar when ``bar`` is True)."""

    def __init__(self, stream: TextIO, bar: bool, budget: float | None = None,
                 width: int = 120) -> None:
        self.stream: TextIO | None = stream
        self.bar = bar
        self.budget = budget
        self.width = width   # the bar's line is cut to this many characters (no wrapping)
        self.drawn = False

    def __call__(self, progress: Progress) -> None:
        if self.stream is None:
            return
        try:
            if self.bar:
                self._draw(progress)
            elif progress.done:
                left = progress.remaining_s
                when = f", about {duration(left)} left" if left is not None and \
                    progress.done < progress.total else ""
                self.stream.write(f"{progress.done}/{progress.total} answered, "
                                  f"{spend(progress, self.budget)}{when}; last: "
                                  f"{last_answer(progress)}\n")
                self.stream.flush()
        except (OSError, ValueError):  # the stream went away (a closed pipe): go quiet
            self.stream = None

    def _draw(self, progress: Progress) -> None:
        assert self.stream is not None
        share = progress.done / progress.total if progress.total else 1.0
        filled = int(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        line = f"[{bar}] {share * 100:3.0f}% {status_line(progress, self.budget)}"
        if len(line) > self.width:
            line = line[:self.width - 1] + "…"
        self.stream.write(f"\r\x1b[2K{line}")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        """Clear the bar so the summary that follows starts on a clean line."""
        if self.stream is None or not self.drawn:
            return
        try:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
        except (OSError, ValueError):
            self.stream = None
        self.drawn = False
