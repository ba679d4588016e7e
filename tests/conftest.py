"""Test isolation: every test gets temporary home/config/data folders and an in-memory keyring."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import keyring
import pytest

# Qt tests never need a screen; set before pytest-qt creates the QApplication.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.memory_keyring import MemoryKeyring  # noqa: E402

KEYRING_BACKEND = "tests.support.memory_keyring.MemoryKeyring"

# Keys a developer may have exported must never reach a test.
_SECRET_VARS = ("OPENAI_API_KEY", "OPENROUTER_API_KEY", "OPENAI_BASE_URL", "RLM_API_KEY")


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory,
                         monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and the XDG folders at a temp dir and install an empty in-memory keyring."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", KEYRING_BACKEND)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in (*_SECRET_VARS, "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                 "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("RLM_TEST_KEYRING", raising=False)
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    monkeypatch.setenv("PYTHONPATH", pythonpath)
    keyring.set_keyring(MemoryKeyring())
    return home
