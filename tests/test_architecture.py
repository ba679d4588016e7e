"""The layers of ARCHITECTURE.md hold (import-linter), the engine stays GUI-free, and every
module says what it is for."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "qtpy")


def engine_files() -> list[Path]:
    return sorted((ROOT / "engine").rglob("*.py"))


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter over the tree at ``root`` with the contracts of its pyproject.toml."""
    code = ("import sys\nfrom importlinter.cli import lint_imports\n"
            "sys.exit(lint_imports(no_cache=True, no_logo=True))")
    return subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                          text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def copy_of_the_tree(tmp_path: Path) -> Path:
    for name in ("engine", "rlm_desktop"):
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_import_contracts_hold() -> None:
    pytest.importorskip("importlinter", reason="import-linter comes with the dev extra")
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("engine/store/db.py", "import engine.cli.main", "services, shared modules"),
    ("engine/providers/prices.py", "import engine.rlm.loop", "services, shared modules"),
    ("engine/config.py", "import engine.store.db", "services, shared modules"),
    ("engine/events.py", "import rlm_desktop.app", "the engine never imports the app"),
    ("engine/rlm/parsing.py", "import PySide6.QtCore", "The engine never imports Qt"),
    ("engine/sandbox/child.py", "import engine.errors",
     "The REPL child imports nothing of the project"),
    ("engine/sandbox/contract.py", "import engine.errors",
     "The REPL child imports nothing of the project"),
    ("engine/rlm/budget.py", "import engine.rlm.loop", "No import cycles between sibling modules"),
])
def test_the_contracts_catch_an_import_against_the_layers(tmp_path: Path, module: str,
                                                          line: str, broken: str) -> None:
    pytest.importorskip("importlinter", reason="import-linter comes with the dev extra")
    root = copy_of_the_tree(tmp_path)
    target = root / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # noqa\n",
                      encoding="utf-8")
    done = lint_imports(root)
    assert done.returncode != 0
    assert f"{broken} BROKEN" in done.stdout, done.stdout


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_importing_every_engine_module_loads_no_qt() -> None:
    modules = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in engine_files()
               if p.name not in ("child.py", "__main__.py")]
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

