"""Whole file or page ranges: a long document is split only when the batch is near its end.

Reading a PDF in ranges opens and parses it once per range in each worker that reads
one; that buys nothing while other files wait to keep the other workers busy. So a
file that may be read in ranges is handed out whole while the files after it are at
least as many as the workers and add up to at least as much as it for each other
worker (sizes in bytes stand for the work); only the last ones are split, so the
workers finish together. The first task of such a file reads FIRST_RANGE_PAGES and
learns the page count; the rest goes out in ranges (``split_ranges``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# One of the last files read in ranges has a first task that reads this many pages and
# learns the page count; the rest of a longer one is read in ranges of at least
# RANGE_MIN_PAGES by all workers at once (split_ranges).
FIRST_RANGE_PAGES = 32
RANGE_MIN_PAGES = 24


def read_whole(size: int, later: Iterable[int], workers: int) -> bool:
    """Hand out a file of ``size`` bytes whole, given the sizes of the files to be handed
    out after it, in order. Only more of them can turn False into True, so the caller
    plans ahead until True or until no file is left."""
    if workers <= 1:
        return True   # nobody to share a split with: ranges would only reopen the file
    total = 0
    for count, each in enumerate(later, start=1):
        total += each
        if count >= workers and total >= (workers - 1) * size:
            return True
    return False


def split_ranges(start: int, total: int, workers: int) -> list[tuple[int, int]]:
    """Page ranges for the rest of a long document, largest first: each a worker's share of
    what is left, never under RANGE_MIN_PAGES (each range opens the file again) and no
    sliver at the end, so the workers finish it together (320 pages, 2 workers: 160, 80,
    40, 24, 16)."""
    ranges = []
    while start < total:
        size = max(RANGE_MIN_PAGES, math.ceil((total - start) / max(1, workers)))
        if total - (start + size) < RANGE_MIN_PAGES // 2:
            size = total - start
        ranges.append((start, start + size))
        start += size
    return ranges
