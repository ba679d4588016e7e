"""The bundle's launcher and engine.bundle agree, and the REPL child's import filter holds
(without building a bundle: the launcher's pieces are plain Python)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from engine import bundle
from engine.config import SandboxSettings
from engine.sandbox import policy

ROOT = Path(__file__).resolve().parents[2]


def launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rlm_launcher", ROOT / "packaging/launcher.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_launcher_and_the_engine_use_the_same_flags() -> None:
    module = launcher()
    assert module.REPL_CHILD_FLAG == bundle.REPL_CHILD_FLAG
    assert module.WORKER_FLAG == bundle.WORKER_FLAG


def test_from_a_checkout_the_child_is_python_without_site_packages() -> None:
    assert not bundle.frozen() and bundle.bundle_root() is None
    assert bundle.python_command(sys.executable) == [sys.executable, "-I", "-S", "-X", "utf8"]
    assert bundle.worker_command() == [sys.executable, "-m", "engine.worker"]
    assert (bundle.resources_dir() / "demo" / "run.jsonl").is_file()
    assert (bundle.data_dir() / "LICENSE").is_file()


def test_in_a_bundle_the_executable_becomes_the_child_and_may_be_read(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    assert bundle.python_command(sys.executable) == [sys.executable, bundle.REPL_CHILD_FLAG]
    assert bundle.worker_command() == [sys.executable, bundle.WORKER_FLAG]
    assert bundle.resources_dir() == tmp_path / "_internal" / "resources"
    # Another interpreter named by the settings is still started as a python.
    assert bundle.python_command("/usr/bin/python3")[1:] == ["-I", "-S", "-X", "utf8"]
    context = tmp_path / "context.bin"
    context.write_bytes(b"x")
    (tmp_path / "work").mkdir()
    command, _, child = policy.child_command(
        sys.executable, ROOT / "engine/sandbox/child.py", context, tmp_path, tmp_path / "work",
        SandboxSettings())
    assert command[:3] == [sys.executable, bundle.REPL_CHILD_FLAG,
                           str(ROOT / "engine/sandbox/child.py")]
    assert str(Path(sys.executable).resolve()) in child["read"]


def test_the_childs_import_filter_refuses_all_but_the_standard_library() -> None:
    finder = launcher()._StandardLibraryOnly({"contract"})
    assert finder.find_spec("json") is None and finder.find_spec("email.parser") is None
    assert finder.find_spec("contract") is None
    for name in ("pymupdf", "PySide6.QtCore", "engine.secrets", "keyring"):
        with pytest.raises(ModuleNotFoundError):
            finder.find_spec(name)
