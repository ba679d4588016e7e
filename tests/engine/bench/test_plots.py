"""The report's charts: valid PNGs of the expected size, a line drawn where a point should be
and nothing where none is, unpriced runs without a cost chart, task names kept in the folder."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from engine.bench import plots
from engine.bench.report import Row, markdown

PNG = b"\x89PNG\r\n\x1a\n"


def row(task: str, tokens: int, method: str, mean: float, cost: float | None = 0.01) -> Row:
    return Row(task, tokens, method, 10, mean, max(0.0, mean - 0.05), min(1.0, mean + 0.05),
               0, 2.0, 1000.0, 50.0, cost, 1.5)


def pixel(pix: pymupdf.Pixmap, point: pymupdf.Point) -> tuple[int, ...]:
    scale = plots.DPI / 72
    return tuple(pix.pixel(int(point.x * scale), int(point.y * scale)))


def test_a_score_chart_per_task_and_a_cost_chart_are_valid_pngs(tmp_path: Path) -> None:
    table = [row(task, tokens, method, mean)
             for task in ("needle", "pairs")
             for tokens, mean in ((8 << 10, 1.0), (1 << 20, 0.6), (8 << 20, 0.2))
             for method in ("direct", "rlm")]
    written = plots.write_charts(table, tmp_path)
    assert [p.name for p in written] == ["score-needle.png", "score-pairs.png", "cost.png"]
    for path in written:
        assert path.read_bytes()[:8] == PNG
        pix = pymupdf.Pixmap(str(path))
        assert (pix.width, pix.height) == (plots.WIDTH * 2, plots.HEIGHT * 2)


def test_the_line_passes_through_its_points_and_nowhere_else(tmp_path: Path) -> None:
    table = [row("needle", 8 << 10, "rlm", 1.0), row("needle", 8 << 20, "rlm", 0.0)]
    path = plots.score_chart(table, "needle", tmp_path / "needle.png")
    pix = pymupdf.Pixmap(str(path))
    frame = plots.frame_for([8 << 10, 8 << 20], 1.0)
    blue = plots.COLOURS[0]
    # Half way along the log axis the line is at 0.5: the method's colour, darkly drawn.
    middle = pixel(pix, frame.point(2 ** 18, 0.5))
    assert abs(middle[2] - blue[2] * 255) < 40 and middle[0] < 60
    # The point at 8M and score 0 has its marker.
    end = pixel(pix, frame.point(8 << 20, 0.0) + pymupdf.Point(-1, -1))
    assert end[0] < 60 and end[2] > 120
    # Well above the line, away from the grid and the band: white.
    assert pixel(pix, frame.point(2 ** 17 + 2 ** 15, 0.9)) == (255, 255, 255)


def test_a_single_length_gets_an_error_bar(tmp_path: Path) -> None:
    path = plots.score_chart([row("needle", 1 << 20, "rlm", 0.5)], "needle",
                             tmp_path / "one.png")
    pix = pymupdf.Pixmap(str(path))
    frame = plots.frame_for([1 << 20], 1.0)
    above = pixel(pix, frame.point(1 << 20, 0.53))   # inside the interval, off the marker
    assert above[0] < 60 and above[2] > 120


def test_unpriced_runs_have_no_cost_chart_and_names_stay_in_the_folder(tmp_path: Path) -> None:
    table = [row("../../x\x1b[31m", 8 << 10, "rlm", 1.0, cost=None)]
    written = plots.write_charts(table, tmp_path)
    assert [p.name for p in written] == ["score-x_31m.png"]
    assert written[0].parent == tmp_path
    assert plots.label("a\x1b[2Jb") == "a\\x1b[2Jb"
    (tmp_path / "two").mkdir()
    two = plots.write_charts([row("任务", 8 << 10, "rlm", 1.0), row("задача", 8 << 10, "rlm", 1.0),
                              row("cost", 8 << 10, "rlm", 1.0)], tmp_path / "two")
    assert [p.name for p in two] == ["score-cost.png", "score-task.png", "score-task-2.png",
                                     "cost.png"]


def test_the_markdown_links_the_charts() -> None:
    text = markdown([row("needle", 8 << 10, "rlm", 1.0)],
                    charts=("score-needle.png", "cost.png"))
    assert "![score-needle](score-needle.png)" in text and "![cost](cost.png)" in text


def test_nice_tops() -> None:
    assert [plots.nice_top(v) for v in (0.0, 0.13, 0.2, 0.21, 7.0, 40.0)] == \
        [1.0, 0.2, 0.2, 0.5, 10.0, 50.0]


def test_costs_spanning_a_hundredfold_go_on_a_log_axis(tmp_path: Path) -> None:
    narrow = plots.cost_frame([8 << 10, 8 << 20], [0.01, 0.5])
    assert not narrow.y_log and narrow.y_high == 0.5
    wide = plots.cost_frame([8 << 10, 8 << 20], [0.0, 0.002, 3.0])
    assert wide.y_log and (wide.y_low, wide.y_high) == (-3, 1)
    assert plots.y_ticks(wide) == [0.001, 0.01, 0.1, 1.0, 10.0]
    # From $0.001 at 8K to $10 at 8M, the line passes $0.1 half way along (not flat at 0).
    table = [row("needle", 8 << 10, "direct", 1.0, cost=0.001),
             row("needle", 8 << 20, "direct", 0.0, cost=10.0)]
    path = plots.cost_chart(table, tmp_path / "cost.png")
    assert path is not None
    pix = pymupdf.Pixmap(str(path))
    frame = plots.cost_frame([8 << 10, 8 << 20], [0.001, 10.0])
    assert pixel(pix, frame.point(2 ** 18, 10 ** -1))[0] < 60   # the line, half way up
    assert [plots.dollars(v) for v in (0.001, 0.1, 1.0, 1000.0)] == \
        ["$0.001", "$0.1", "$1", "$1,000"]
    assert [plots.dollars(v, 0.04) for v in (0.0, 0.12)] == ["$0.00", "$0.12"]
