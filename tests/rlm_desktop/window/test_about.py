"""Help > About: the licence line, and the licence and third-party notices as plain text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit

from engine import bundle
from rlm_desktop.window import about
from rlm_desktop.window.about import AboutDialog, TextViewer


def open_about(qtbot: Any) -> AboutDialog:
    box = AboutDialog()
    qtbot.addWidget(box)
    box.show()
    return box


def test_the_box_names_the_licence(qtbot: Any) -> None:
    box = open_about(qtbot)
    assert "GNU Affero General Public License, version 3 or later" in box.label.text()
    assert box.licence_button.text() == "Licence"
    assert box.notices_button.text() == "Third-party notices"


def test_licence_button_opens_the_licence(qtbot: Any) -> None:
    box = open_about(qtbot)
    qtbot.mouseClick(box.licence_button, Qt.MouseButton.LeftButton)
    viewers = box.findChildren(TextViewer)
    assert len(viewers) == 1 and viewers[0].isVisible()
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in viewers[0].text()
    assert viewers[0].text_view.isReadOnly()
    assert isinstance(viewers[0].text_view, QPlainTextEdit)


def test_notices_button_opens_the_generated_notices(qtbot: Any) -> None:
    box = open_about(qtbot)
    qtbot.mouseClick(box.notices_button, Qt.MouseButton.LeftButton)
    viewer = box.findChildren(TextViewer)[0]
    assert viewer.isVisible()
    # Made on a pool thread: the viewer opens at once, and the text follows.
    qtbot.waitUntil(lambda: viewer.text() != about.MAKING_NOTICES, timeout=30_000)
    assert "pymupdf" in viewer.text() and "PySide6_Essentials" in viewer.text()
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in viewer.text()


def test_a_viewer_closed_before_its_notices_arrive(qtbot: Any) -> None:
    box = open_about(qtbot)
    box.show_notices().close()      # deleted on close, while the job runs
    second = box.show_notices()
    qtbot.waitUntil(lambda: "pymupdf" in second.text(), timeout=30_000)
    assert len(box.findChildren(TextViewer)) == 1


def test_the_shipped_notices_file_is_shown_as_plain_text(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = "PyMuPDF notice <b>not bold</b> <img src='file:///etc/passwd'>\n"
    (tmp_path / "THIRD-PARTY-NOTICES.txt").write_text(shipped, encoding="utf-8")
    monkeypatch.setattr(bundle, "data_dir", lambda: tmp_path)
    box = open_about(qtbot)
    viewer = box.show_notices()
    qtbot.waitUntil(lambda: viewer.text() == shipped, timeout=30_000)
    # No LICENSE beside the program: its packaged copy, or words that say it is missing.
    licence = box.show_licence().text()
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in licence or licence == about.LICENCE_MISSING


def test_a_missing_licence_says_so(qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(about, "program_licence", lambda: None)
    box = open_about(qtbot)
    text = box.show_licence().text()
    assert text.startswith("The licence file (LICENSE) is missing")
    assert "https://www.gnu.org/licenses/agpl-3.0.txt" in text


def test_help_about_opens_the_box(qtbot: Any, stand_in: Any) -> None:
    from tests.rlm_desktop.window.test_main_window import new_window

    win = new_window(qtbot, stand_in)
    win.show_about()
    qtbot.waitUntil(lambda: bool(win.findChildren(AboutDialog)), timeout=5000)
    assert win.findChildren(AboutDialog)[0].isVisible()
