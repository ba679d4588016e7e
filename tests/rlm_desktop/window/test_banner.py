"""The banner: its button runs the action shown with the message, then the banner closes."""

from __future__ import annotations

from typing import Any

from rlm_desktop.window.banner import Banner, BannerAction


def test_the_button_runs_the_current_action_and_closes(qtbot: Any) -> None:
    banner = Banner()
    qtbot.addWidget(banner)
    ran: list[str] = []
    first = BannerAction("Restart engine", lambda: ran.append("restart"))
    second = BannerAction("Restart engine", lambda: ran.append("other"))  # same words
    banner.show_message("The engine stopped.", "failed", first)
    assert banner.isVisible() and banner.action.isVisibleTo(banner)
    assert banner.action.text() == "Restart engine" and banner.current_action is first
    banner.show_message("Stopped again.", "failed", second)
    banner.action.click()
    assert ran == ["other"] and not banner.isVisible()


def test_a_message_without_an_action_has_no_button(qtbot: Any) -> None:
    banner = Banner()
    qtbot.addWidget(banner)
    banner.show_message("Set up a model.", "info", BannerAction("Set up a model", lambda: None))
    banner.show_message("Just so you know.", "info")
    assert banner.isVisible() and not banner.action.isVisibleTo(banner)
    assert banner.current_action is None and banner.action.text() == ""
