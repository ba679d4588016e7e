"""The README's install instructions name what the app itself checks for."""

from __future__ import annotations

from pathlib import Path

from rlm_desktop.preflight import XCB_LIBRARIES

README = Path(__file__).resolve().parent.parent / "README.md"


def install_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("## Install", 1)[1].split("\n## ", 1)[0]


def test_install_lists_every_library_the_preflight_check_names() -> None:
    section = install_section()
    missing = [package for package in XCB_LIBRARIES.values() if package not in section]
    assert missing == []
