"""Clicking a citation: say truthfully what happened, in any collection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rlm_desktop.window import main_window
from tests.rlm_desktop.ask.test_flow import add_lease
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS


def test_a_citation_opens_its_document_from_another_collection_or_says_why_not(
        qtbot: Any, window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    lease = window.library.model.documents()[0]
    opened: list[str] = []
    monkeypatch.setattr(main_window, "open_with_system",
                        lambda path: bool(opened.append(path)))   # no app opens anything
    window.library._create_collection("Other matter")
    qtbot.waitUntil(lambda: window.library.current_collection() == "Other matter",
                    timeout=REPLY_TIMEOUT_MS)
    assert window.library.model.row_by_id(lease.id) is None
    # The earlier answer's citation keeps its title after the switch...
    assert window.title_of(lease.id) == "Lease"
    window.ask_panel.citation_clicked.emit(lease.id, 2)
    # ...and is found by id in its own collection, then reported as not opened.
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=REPLY_TIMEOUT_MS)
    text = window.banner.text.text()
    assert opened == [lease.path]
    assert "could not be opened" in text and "page 2" in text and lease.path in text
    assert "Opened" not in window.statusBar().currentMessage()
    assert window.banner.current_action is not None
    assert window.banner.current_action.label == "Copy path"


def test_a_citation_whose_document_was_removed_says_so(qtbot: Any, window: Any,
                                                       tmp_path: Path) -> None:
    window.ask_panel.citation_clicked.emit(987_654, 1)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=REPLY_TIMEOUT_MS)
    assert "removed from the library" in window.banner.text.text()
