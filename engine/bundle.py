"""Where the program's own files are: a source checkout, an installed package or the bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The bundle's executable started with one of these first arguments becomes the REPL child
# (a standard-library-only interpreter) or the GUI's engine worker; packaging/launcher.py
# reads them before it imports anything of the project.
REPL_CHILD_FLAG = "--rlm-repl-child"
WORKER_FLAG = "--rlm-engine-worker"


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
    """The icons and the demo (and, in a checkout, the README's screenshots)."""
    return data_dir() / "resources"


def python_command(python: str) -> list[str]:
    """The start of a command running a script on the standard library only: ``python -I -S
    -X utf8``, or the bundle's own executable in its REPL child mode (it has no ``python``)."""
    if frozen() and os.path.realpath(python) == os.path.realpath(sys.executable):
        return [python, REPL_CHILD_FLAG]
    return [python, "-I", "-S", "-X", "utf8"]


def worker_command() -> list[str]:
    """How the app starts its engine worker."""
    if frozen():
        return [sys.executable, WORKER_FLAG]
    return [sys.executable, "-m", "engine.worker"]
