"""Feeding the extraction pool: every worker kept busy, each outcome handed on as it comes."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from engine.ingest.model import ExtractOptions
from engine.ingest.pool import ExtractionPool, Outcome, Task
from engine.ingest.schedule import FIRST_RANGE_PAGES, read_whole

# Files planned (hashed) ahead while the workers start, at most.
PLAN_AHEAD = 1000
# Files planned ahead, at most, to tell whether one that may be split is among the last.
WHOLE_LOOK_AHEAD = 256


def drive(pool: ExtractionPool, source: Iterator[Task], queue: deque[Task],
          on_outcome: Callable[[Outcome], None], options: ExtractOptions) -> None:
    """Keep every worker busy: ranges of long documents first (``queue``, which outcomes
    may fill), then the next new file from ``source``."""
    planned: deque[Task] = deque()
    exhausted = False
    task: Task | None = None
    while not pool.cancelled:
        while not pool.cancelled:
            if task is None and queue:
                task = queue.popleft()
            if task is None and planned:
                task = planned.popleft()
            if task is None and not exhausted:
                task = next(source, None)
                exhausted = task is None
                # Workers start only once a file needs one (a re-ingest may need none);
                # the next files are planned while they start.
                if task is not None:
                    pool.warm_up()
                    if pool.starting:
                        exhausted = _plan_ahead(pool, source, planned)
            if task is None or not pool.can_take(task):
                break
            if task.pages == (0, FIRST_RANGE_PAGES) and task.key[3] == 0:
                exhausted = _whole_or_first_range(task, pool.size, source, planned) \
                    or exhausted
            pool.submit(task, options)
            task = None
        if pool.cancelled or (not pool.busy and task is None):
            return
        for outcome in pool.wait():
            on_outcome(outcome)


def _whole_or_first_range(task: Task, workers: int, source: Iterator[Task],
                          planned: deque[Task]) -> bool:
    """A file that may be read in ranges goes out whole unless it is among the last ones
    (``schedule.read_whole``), planning the next files as far as that needs; True when
    none are left."""
    exhausted = False
    while not read_whole(task.size, (t.size for t in planned), workers):
        if len(planned) >= WHOLE_LOOK_AHEAD:
            return False   # many small files behind a big one: it is among the last
        later = next(source, None)
        if later is None:
            exhausted = True
            break
        planned.append(later)
    else:
        task.pages = None
    return exhausted


def _plan_ahead(pool: ExtractionPool, source: Iterator[Task], planned: deque[Task]) -> bool:
    """Hash and plan the next files while the workers start; True when none are left."""
    while pool.starting and len(planned) < PLAN_AHEAD and not pool.cancelled:
        task = next(source, None)
        if task is None:
            return True
        planned.append(task)
    return False

