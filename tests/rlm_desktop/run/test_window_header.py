"""The run header shows how much the main model reads at once; a shortened conversation
shows as a notice in its step."""

from __future__ import annotations

from typing import Any

import pytest

from engine import events as ev
from rlm_desktop.run.items import NoticeRow
from rlm_desktop.run.panel import RunPanel

WINDOWS = {"root": {"model": "qwen3-8b", "tokens": 16384, "source": "server",
                    "server": "llama.cpp", "model_max": None, "assumed": False},
           "sub": {"model": "llama3.2", "tokens": 4096, "source": "server", "server": "Ollama",
                   "model_max": 131072, "assumed": True}}


@pytest.fixture
def panel(qtbot: Any) -> RunPanel:
    widget = RunPanel()
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    return widget


def events() -> list[dict[str, Any]]:
    ids = {"run_id": "r1", "depth": 0}
    return [e.to_json() for e in (
        ev.RunStarted(**ids, question="q", root_model="qwen3-8b", sub_model="llama3.2",
                      context_chars=1000, documents=1, limits={"max_iterations": 30},
                      windows=WINDOWS),
        ev.IterationStarted(**ids, iteration=1, max_iterations=30),
        ev.HistoryCompacted(**ids, iteration=1, before_tokens=14000, after_tokens=6000,
                            window=16384, elided=6, summarized=True, summary="so far"),
    )]


def test_the_header_shows_the_window_in_pages_then_in_tokens(panel: RunPanel) -> None:
    panel.begin("q")
    for event in events():
        panel.add_event(event)
    panel.flush()
    box = panel.window_box
    assert box.isVisible()
    assert box.value.text() == "about 22 pages"
    tip = box.toolTip()
    assert "Main model qwen3-8b: 16,384 tokens (as its server reports)" in tip
    assert "Helper model llama3.2: 4,096 tokens (Ollama's default, assumed)" in tip
    panel.set_details(True)
    panel.flush()
    assert panel.window_box.value.text() == "16,384 tokens"
    assert panel.timeline is not None
    rows = panel.timeline.findChildren(NoticeRow)
    assert any("the model summarised its earlier steps (from 85% full to 37%)"
               in row.accessibleName() for row in rows)


def test_an_unknown_window_says_so(panel: RunPanel) -> None:
    panel.begin("q")
    started = events()[0]
    started["windows"] = {}
    panel.add_event(started)
    panel.flush()
    assert panel.window_box.value.text() == "unknown"
