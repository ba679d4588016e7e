"""The engine stays GUI-free, and every module says what it is for."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qtpy")


def engine_files() -> list[Path]:
    return sorted((ROOT / "engine").rglob("*.py"))


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_engine_never_imports_qt_in_source() -> None:
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p)
                                                  if m.split(".")[0] in QT_MODULES)
                 for p in engine_files()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_importing_every_engine_module_loads_no_qt() -> None:
    modules = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in engine_files()
               if p.name != "child.py"]
    modules = [m.removesuffix(".__init__") for m in modules]
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_sandbox_child_imports_only_the_standard_library() -> None:
    child = ROOT / "engine" / "sandbox" / "child.py"
    stdlib = sys.stdlib_module_names
    foreign = sorted(m for m in imported_modules(child) if m.split(".")[0] not in stdlib)
    assert foreign == []


def test_every_module_starts_with_a_docstring() -> None:
    missing = [str(p.relative_to(ROOT)) for p in engine_files()
               if ast.get_docstring(ast.parse(p.read_text(encoding="utf-8"))) is None]
    assert missing == []


def test_store_and_ingest_never_import_the_loop() -> None:
    """Imports flow rlm -> store, never back (ARCHITECTURE.md)."""
    lower = [p for p in engine_files() if p.parent.name in ("store", "ingest")]
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p)
                                                  if m.startswith(("engine.rlm", "engine.cli")))
                 for p in lower}
    assert {k: v for k, v in offenders.items() if v} == {}
