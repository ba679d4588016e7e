"""Lint and type checks run with the tests, so CI holds the code to them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_ruff_is_clean() -> None:
    pytest.importorskip("ruff", reason="ruff comes with the dev extra")
    done = run_tool("ruff", "check", "engine", "rlm_desktop", "tests")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_is_clean() -> None:
    pytest.importorskip("mypy", reason="mypy comes with the dev extra")
    done = run_tool("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
