"""``rlm bench run``'s progress: one updating bar on a terminal, a plain line per answer when
not, ids from the files shown as escapes, and quiet when the stream is closed."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from engine.bench.runner import Progress
from engine.cli.bench_progress import BenchDisplay
from engine.cli.main import main
from tests.engine.cli.test_bench import generate, run_args
from tests.support.bench_oracle import oracle
from tests.support.fake_openai import FakeOpenAI


def answer(done: int, total: int = 4, item: str = "needle-8192-4-1") -> Progress:
    return Progress(done, total, 0.01 * done, 30.0 * done,
                    {"id": item, "method": "rlm", "score": 1.0} if done else None)


def test_on_a_terminal_one_line_is_redrawn_and_cleared_at_the_end() -> None:
    stream = io.StringIO()
    display = BenchDisplay(stream, bar=True, budget=20, width=200)
    for done in range(5):
        display(answer(done))
    display.finish()
    text = stream.getvalue()
    assert "\n" not in text
    frames = text.split("\r\x1b[2K")
    assert frames[1] == "[------------------------]   0% 0/4 answered · $0.0000 of $20 spent"
    assert frames[3] == ("[############------------]  50% 2/4 answered · $0.0200 of $20 spent"
                         " · 1:00 left · last: needle-8192-4-1 by rlm: score 1.00")
    assert frames[5].startswith("[########################] 100% 4/4 answered")
    assert "left" not in frames[5]
    assert frames[-1] == ""   # the bar is gone before the summary


def test_elsewhere_a_plain_line_per_answer() -> None:
    stream = io.StringIO()
    display = BenchDisplay(stream, bar=False)
    for done in range(3):
        display(answer(done, total=2))
    display.finish()
    assert stream.getvalue().splitlines() == [
        "1/2 answered, $0.0100 spent, about 0:30 left; last: needle-8192-4-1 by rlm: score 1.00",
        "2/2 answered, $0.0200 spent; last: needle-8192-4-1 by rlm: score 1.00"]


def test_ids_from_the_files_are_shown_not_obeyed_and_the_bar_fits_the_width() -> None:
    for bar in (True, False):
        stream = io.StringIO()
        BenchDisplay(stream, bar=bar, width=300)(answer(1, item="x\x1b]0;owned\x07"))
        text = stream.getvalue().replace("\r\x1b[2K", "")
        assert "\x1b" not in text and "\x07" not in text and "\\x1b]0;owned\\x07" in text
    stream = io.StringIO()
    BenchDisplay(stream, bar=True, width=70)(answer(1, item="y" * 80))
    text = stream.getvalue().removeprefix("\r\x1b[2K")
    assert len(text) == 70 and text.endswith("…")


def test_a_closed_stream_makes_it_quiet() -> None:
    stream = io.StringIO()
    display = BenchDisplay(stream, bar=True)
    stream.close()
    display(answer(1))
    display.finish()
    assert display.stream is None


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rlm_bench_run_draws_the_bar_on_a_terminal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "bench"
    generate(folder)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with FakeOpenAI(oracle()) as server:
        assert main(run_args(server, folder, "--methods", "direct")) == 0
    text = terminal.getvalue()
    bar, summary = text.rsplit("\r\x1b[2K", 1)
    assert "[------------------------]   0% 0/6 answered" in bar
    assert "[########################] 100% 6/6 answered" in bar
    assert "\n" not in bar and "answered," not in bar   # no plain lines on a terminal
    assert summary.startswith("6 answered, $")
