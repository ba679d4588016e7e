"""Where the program's own files are: a source checkout, an installed package or the bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def frozen() -> bool:
    """True inside the PyInstaller bundle the installers ship."""
    return bool(getattr(sys, "frozen", False))


def bundle_root() -> Path | None:
    """The bundle's folder (the executables, LICENSE, notices); None when not bundled."""
    if not frozen():
        return None
    return Path(sys.executable).resolve().parent


def data_dir() -> Path:
    """The folder holding ``resources/`` and ``LICENSE``: the checkout, or the bundle's data."""
    if frozen():
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).resolve().parent))
    return Path(__file__).resolve().parents[1]


def resources_dir() -> Path:
    """The icons, screenshots and the demo."""
    return data_dir() / "resources"
