"""Links a model wrote: web links open after a confirmation showing the whole address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from rlm_desktop.widgets import safe_links
from rlm_desktop.widgets.safe_links import OpenLinkDialog, middle_elided, open_untrusted_link

LEAK = "https://evil.example/collect?q=Lease%20rent%20%2412%2C000&k=%3Cb%3E"


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Records what was asked, refused and opened; answers "Cancel" unless told."""
    seen: dict[str, list[str]] = {"asked": [], "refused": [], "opened": [], "answer": []}

    def confirm(url: QUrl, _parent: Any, on_open: Callable[[], object]) -> None:
        seen["asked"].append(url.toString())
        if seen["answer"]:
            on_open()

    monkeypatch.setattr(safe_links, "confirm_link", confirm)
    monkeypatch.setattr(safe_links, "refuse_link",
                        lambda url, _parent: seen["refused"].append(url.toString()))
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        lambda url: seen["opened"].append(url.toString()) or True)
    return seen


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        lambda url: calls.append(url.toString()) or True)
    return calls


def test_a_web_link_opens_only_after_the_person_agrees(qapp: Any,
                                                       gate: dict[str, list[str]]) -> None:
    assert open_untrusted_link(QUrl(LEAK)) is True            # asked: the person said no
    assert gate["asked"] == [QUrl(LEAK).toString()] and gate["opened"] == []
    gate["answer"].append("yes")
    open_untrusted_link(QUrl("http://example.com/"))
    assert gate["opened"] == ["http://example.com/"]


@pytest.mark.parametrize("link", ["file:///etc/passwd", "javascript:alert(1)",
                                  "data:text/html,<b>x</b>", "mailto:a@example.com?body=x",
                                  "vscode://file/etc/passwd", "smb://host/share", "/etc/passwd",
                                  "http:///no-host", "rlm:anything"])
def test_other_schemes_are_refused_without_asking(qapp: Any, gate: dict[str, list[str]],
                                                  link: str) -> None:
    gate["answer"].append("yes")
    assert open_untrusted_link(QUrl(link)) is False
    assert gate["refused"] and gate["asked"] == [] and gate["opened"] == []


def test_the_dialog_shows_the_whole_address_as_plain_text(qtbot: Any) -> None:
    url = QUrl("https://exämple.com/<b>x</b>?q=" + "a" * 20)
    dialog = OpenLinkDialog(url)
    qtbot.addWidget(dialog)
    assert dialog.shown.textFormat() == Qt.TextFormat.PlainText
    assert dialog.shown.text() == "https://xn--exmple-cua.com/%3Cb%3Ex%3C/b%3E?q=" + "a" * 20
    assert dialog.site.text() == "Site: xn--exmple-cua.com"   # a look-alike shows as such
    assert dialog.full is None
    assert dialog.shown.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert dialog.cancel_button.isDefault() and dialog.open_button.text() == "Open link"


def test_a_very_long_address_is_cut_in_the_middle_and_kept_whole_below(qtbot: Any) -> None:
    long = "https://example.com/start?" + "x" * 2000 + "&end=1"
    dialog = OpenLinkDialog(QUrl(long))
    qtbot.addWidget(dialog)
    shown = dialog.shown.text()
    assert shown.startswith("https://example.com/start?") and shown.endswith("&end=1")
    assert " … " in shown and len(shown) < 400
    assert dialog.full is not None and dialog.full.toPlainText() == long
    assert middle_elided("short") == "short"


@pytest.mark.parametrize(("button", "opens"), [("open_button", True), ("cancel_button", False)])
def test_the_real_dialog_answers(qtbot: Any, opened: list[str], button: str,
                                 opens: bool) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    assert open_untrusted_link(QUrl("https://example.com/x"), parent) is True
    (dialog,) = parent.findChildren(OpenLinkDialog)
    assert dialog.isVisible() and opened == []       # nothing opens before the answer
    getattr(dialog, button).click()
    assert opened == (["https://example.com/x"] if opens else [])


def test_a_refusal_is_said_plainly(qtbot: Any, opened: list[str]) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    assert open_untrusted_link(QUrl("file:///etc/passwd"), parent) is False
    (box,) = parent.findChildren(QMessageBox)
    assert box.isVisible() and box.textFormat() == Qt.TextFormat.PlainText
    assert "file:///etc/passwd" in box.text() and "Only web links" in box.text()
    assert opened == []
    box.close()
