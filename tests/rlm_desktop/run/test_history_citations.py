"""History says, per question, whether its answer's citations checked out."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QColor, QImage, QPalette

from rlm_desktop.replies import RunRecord
from rlm_desktop.run.history import (
    CITES_ROLE,
    CITES_WARN_ROLE,
    HistoryPanel,
    citation_summary,
)
from rlm_desktop.widgets import palette_tones as tones


def run(run_id: str, counts: dict[str, Any]) -> RunRecord:
    return RunRecord.from_json({
        "run_id": run_id, "collection": "acme", "question": f"Question {run_id}?",
        "answer": "An answer.", "stop_reason": "answered", "status": "finished",
        "cost_usd": 0.01, "started_at": f"2025-11-2{run_id[-1]}T10:00:00.000Z",
        "citation_counts": counts})


@pytest.mark.parametrize(("counts", "words", "warn"), [
    ({}, "", False),
    ({"verified": 4}, "4 sources checked", False),
    ({"verified": 3, "not_found": 1}, "4 sources checked · 1 not found", True),
    ({"verified": 1, "relocated": 1}, "2 sources checked · 1 corrected", False),
    ({"invalid": 1}, "1 source checked · 1 broken", True),
    ({"no_quote": 2, "verified": "x", "not_found": -1}, "2 sources checked · 2 without a quote",
     False),
])
def test_the_summary_counts_in_plain_words(counts: dict[str, Any], words: str,
                                           warn: bool) -> None:
    assert citation_summary(counts) == (words, warn)


def test_a_narrow_list_gets_the_short_words() -> None:
    assert citation_summary({"verified": 3, "not_found": 1}, short=True) == \
        ("4 sources · 1 not found", True)


def warn_pixels(image: QImage, colour: QColor) -> int:
    return sum(1 for y in range(image.height()) for x in range(image.width())
               if _near(image.pixelColor(x, y), colour))


def _near(a: QColor, b: QColor) -> bool:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) < 40


def test_each_row_and_the_preview_show_the_check_in_the_warning_tone(qtbot: Any) -> None:
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.resize(760, 500)
    panel.show()
    panel.set_runs([run("r2", {"verified": 3, "not_found": 1}), run("r1", {"verified": 2})])
    rows = {panel.proxy.index(r, 0).data(CITES_ROLE): panel.proxy.index(r, 0)
            .data(CITES_WARN_ROLE) for r in range(2)}
    assert rows == {"4 sources checked · 1 not found": True, "2 sources checked": False}
    warn = tones.tone(panel.palette(), "warn")
    # The first row is selected (drawn in the selection's colours); the second is not warned.
    panel.view.setCurrentIndex(panel.proxy.index(1, 0))
    assert warn_pixels(panel.view.viewport().grab().toImage(), warn) > 10
    label = panel.preview_citations
    assert label.isVisible() and label.text() == "2 sources checked"
    assert label.foregroundRole() == QPalette.ColorRole.PlaceholderText   # muted
    panel.select_run("r2")
    assert label.text().startswith("4 sources checked · 1 not found: check the claims")
    assert label.palette().color(label.foregroundRole()) == warn
    panel.set_runs([run("r3", {})])
    assert not label.isVisible()
    image = panel.view.viewport().grab().toImage()
    assert warn_pixels(image, warn) == 0
