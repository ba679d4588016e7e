"""Whole files first, ranges only for the last ones: the rule, then a real pool on it."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from engine.ingest.options import IngestOptions
from engine.ingest.pipeline import ingest
from engine.ingest.schedule import FIRST_RANGE_PAGES, read_whole
from engine.store.library import Library
from tests.engine.ingest.hooks import PAGE_SECONDS
from tests.engine.ingest.makers import make_pdf


@pytest.mark.parametrize(("size", "later", "workers", "whole"), [
    (100, [100, 100, 100], 2, True),     # plenty left for the other worker
    (100, [100, 100], 2, True),          # three files for two workers: this one whole
    (100, [100], 2, False),              # one of the last two: split
    (100, [], 2, False),                 # the very last: split
    (100, [98, 99], 2, True),            # sizes differ a little: they still stand for work
    (100, [40, 50], 2, False),           # the later ones are less than another of it
    (1000, [10] * 50, 2, False),         # a book before small files: they cannot balance it
    (1000, [10] * 100, 2, True),         # ...but enough of them can
    (100, [100] * 3, 4, False),          # four workers need four files behind it
    (100, [100] * 4, 4, True),
    (100, [], 1, True),                  # one worker: never split
])
def test_whole_while_enough_work_follows(size: int, later: list[int], workers: int,
                                         whole: bool) -> None:
    assert read_whole(size, later, workers) is whole


def test_read_whole_stops_looking_once_it_knows() -> None:
    def sizes() -> object:
        yield 100
        yield 100
        raise AssertionError("read past what the decision needed")

    assert read_whole(100, sizes(), 2)   # type: ignore[arg-type]


def test_long_files_go_out_whole_then_the_last_are_shared_and_workers_end_together(
        tmp_path: Path) -> None:
    pages = 100
    folder = tmp_path / "reports"
    folder.mkdir()
    for number in range(1, 6):
        make_pdf(folder / f"report-{number}.pdf",
                 [f"Report {number} page {page:03d}." for page in range(1, pages + 1)])
    with Library(tmp_path / "store" / "library.db") as library:
        report = ingest([folder], IngestOptions(ocr="off", workers=2,
                                                extractor="tests.engine.ingest.hooks:traced"),
                        library=library)
        assert len(report.ingested) == 5 and report.pages == 5 * pages
        stored = list(library.pages(report.ingested[-1].content_hash or ""))
        assert [row["page"] for row in stored] == list(range(1, pages + 1))
    tasks = [line.split() for line in (folder / "trace.log").read_text().splitlines()]
    by_file: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for _pid, name, first, stop, _start, _end in tasks:
        by_file[name].append((int(first), int(stop)))
    # The first three have at least two files after them: read whole, in one task each.
    for number in (1, 2, 3):
        assert by_file[f"report-{number}.pdf"] == [(-1, -1)]
    # The last two are read in ranges: the first ones, then the rest shared out.
    for number in (4, 5):
        ranges = sorted(by_file[f"report-{number}.pdf"])
        assert ranges[0] == (0, FIRST_RANGE_PAGES) and len(ranges) > 1
        assert ranges[-1][1] == pages
    ends: dict[str, float] = defaultdict(float)
    for pid, *_, end in tasks:
        ends[pid] = max(ends[pid], float(end))
    assert len(ends) == 2
    # Unsplit, one worker would read the fifth file alone while the other idles: a whole
    # file's time (pages * PAGE_SECONDS = 0.8 s). Split, they end within half of that.
    assert abs(ends[min(ends)] - ends[max(ends)]) < pages * PAGE_SECONDS / 2
