"""The check that names missing X11 libraries before Qt would abort."""

from __future__ import annotations

from rlm_desktop.preflight import XCB_LIBRARIES, missing_packages, problem, uses_xcb


def test_only_the_x11_plugin_on_linux_is_checked() -> None:
    assert uses_xcb({"DISPLAY": ":0"}, "linux")
    assert not uses_xcb({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert uses_xcb({"WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not uses_xcb({}, "darwin")
    assert not uses_xcb({}, "win32")


def test_missing_libraries_are_named_with_their_packages() -> None:
    def without_cursor(name: str) -> str | None:
        return None if name == "xcb-cursor" else f"lib{name}.so"

    assert missing_packages(without_cursor) == ["libxcb-cursor0"]
    message = problem({"DISPLAY": ":0"}, without_cursor)
    assert message is not None
    assert "sudo apt install libxcb-cursor0" in message
    assert problem({"DISPLAY": ":0"}, lambda name: f"lib{name}.so") is None
    assert problem({"QT_QPA_PLATFORM": "offscreen"}, lambda name: None) is None
    assert len(XCB_LIBRARIES) == len(set(XCB_LIBRARIES.values()))
