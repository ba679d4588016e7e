"""Before Qt starts: name the system libraries its X11 plugin needs and the machine lacks.

Without them Qt prints a plugin error and aborts the process, which tells a person nothing
about what to install. Checked only where the X11 plugin would be used.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections.abc import Callable

# Library (as ctypes.util.find_library names it) -> the Debian/Ubuntu package that has it.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-randr": "libxcb-randr0",
    "xcb-shape": "libxcb-shape0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
}


def uses_xcb(environ: dict[str, str] | os._Environ[str] = os.environ,
             platform: str = sys.platform) -> bool:
    """Whether Qt will pick its X11 plugin: Linux, no other platform asked for, no Wayland."""
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":")[0].split(";")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def missing_packages(find: Callable[[str], str | None] = ctypes.util.find_library) -> list[str]:
    return [package for library, package in XCB_LIBRARIES.items() if not find(library)]


def problem(environ: dict[str, str] | os._Environ[str] = os.environ,
            find: Callable[[str], str | None] = ctypes.util.find_library) -> str | None:
    """A message for the person, or None when the window can open."""
    if not uses_xcb(environ):
        return None
    missing = missing_packages(find)
    if not missing:
        return None
    return ("rlm-desktop: cannot open a window: Qt's X11 support needs system libraries this "
            f"computer does not have.\nInstall them (Debian/Ubuntu): sudo apt install "
            f"{' '.join(missing)}\n(Other systems: the packages for the same libraries, e.g. "
            "xcb-util-cursor on Fedora and Arch.) The command line, `rlm`, works without them.")
