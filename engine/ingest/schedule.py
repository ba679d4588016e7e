"""Whole file or page ranges: a long document is split only when the batch is near its end.

Reading a PDF in ranges opens and parses it once per range in each worker that reads
one; that buys nothing while other files wait to keep the other workers busy. So a
file that may be read in ranges is handed out whole while the files after it are at
least as many as the workers and add up to at least as much as it for each other
worker (sizes in bytes stand for the work); only the last ones are split, so the
workers finish together.
"""

from __future__ import annotations

from collections.abc import Iterable


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
