"""Clicking a citation: the viewer shows its page in any collection, or says why not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QDesktopServices

from tests.rlm_desktop.ask.test_flow import add_lease
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS


def test_a_citation_opens_its_document_from_another_collection_in_the_viewer(
        qtbot: Any, window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A citation now opens the app's source viewer, not the system's viewer (which stays
    # one button away, "Open in system viewer").
    add_lease(qtbot, window, tmp_path / "docs")
    lease = window.library.model.documents()[0]
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        lambda url: bool(opened.append(url.toLocalFile())))
    window.library._create_collection("Other matter")
    qtbot.waitUntil(lambda: window.library.current_collection() == "Other matter",
                    timeout=REPLY_TIMEOUT_MS)
    assert window.library.model.row_by_id(lease.id) is None
    # The earlier answer's citation keeps its title after the switch...
    assert window.title_of(lease.id) == "Lease"
    window.ask_panel.citation_clicked.emit(lease.id, 2)
    # ...and is found by id in its own collection, then shown at its page.
    viewer = window.viewer
    qtbot.waitUntil(lambda: viewer.mode == "pdf", timeout=REPLY_TIMEOUT_MS)
    assert viewer.page == 2 and viewer.title.text() == "Lease"
    assert opened == [] and not window.banner.isVisible()
    viewer.system_action.trigger()
    assert opened == [lease.path]
    assert "could not" not in viewer.notice_text()
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: False)
    viewer.system_action.trigger()
    assert "No app on this computer" in viewer.notice_text() and lease.path in \
        viewer.notice_text()


def test_a_citation_whose_document_was_removed_says_so(qtbot: Any, window: Any,
                                                       tmp_path: Path) -> None:
    window.ask_panel.citation_clicked.emit(987_654, 1)
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=REPLY_TIMEOUT_MS)
    assert "removed from the library" in window.banner.text.text()
