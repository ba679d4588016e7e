"""The progress lines name the models' windows and say, in plain words, when the
conversation was shortened."""

from __future__ import annotations

from engine import events as ev
from engine.cli.progress import format_event

IDS = {"run_id": "r1", "depth": 0}


def test_the_first_line_names_the_windows_it_knows() -> None:
    started = ev.RunStarted(**IDS, question="q", root_model="m", sub_model="s",
                            context_chars=100, documents=1, limits={},
                            windows={"root": {"tokens": 16384}, "sub": {"tokens": None}})
    assert format_event(started) == ("question r1: main model m (window 16k tokens), helper "
                                     "model s; 1 document (100 characters)")


def test_a_compaction_reads_in_plain_words() -> None:
    line = format_event(ev.HistoryCompacted(**IDS, iteration=4, before_tokens=900,
                                            after_tokens=500, window=1000, elided=3))
    assert line == ("  The conversation was filling the main model's memory, so older steps "
                    "were shortened (from 90% full to 50%).")
    line = format_event(ev.HistoryCompacted(**IDS, iteration=4, before_tokens=1200,
                                            after_tokens=450, window=1000, summarized=True,
                                            harder=True))
    assert line == ("  The AI service said the conversation was too long for the main model, "
                    "so the model summarised its earlier steps, and it was sent again (from "
                    "120% full to 45%).")
