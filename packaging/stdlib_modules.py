"""The standard library modules the bundle ships, so the REPL has what `python -I -S` has."""

from __future__ import annotations

import importlib.util
import pkgutil
import sys

# Never useful to code analysing documents, and large or drawing in system libraries.
EXCLUDED = [
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "test", "lib2to3", "ensurepip",
    "venv", "distutils", "pydoc_data", "msilib", "_msi", "curses", "_curses", "_curses_panel",
    "readline", "dbm", "_dbm", "_gdbm", "sqlite3.test", "ctypes.test", "unittest.test",
]


def names() -> list[str]:
    """Every importable standard library module and submodule of this Python, minus EXCLUDED."""
    found: list[str] = []
    for name in sorted(sys.stdlib_module_names):
        if _excluded(name) or name.startswith("__"):
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        found.append(name)
        if spec.submodule_search_locations:
            found += [info.name for info in pkgutil.walk_packages(
                spec.submodule_search_locations, prefix=f"{name}.", onerror=lambda _: None)
                if not _excluded(info.name)]
    return found


def _excluded(name: str) -> bool:
    return any(name == e or name.startswith(f"{e}.") for e in EXCLUDED) or ".test" in name \
        or ".tests" in name or "idle_test" in name
