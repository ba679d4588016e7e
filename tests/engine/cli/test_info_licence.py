"""``rlm info`` names the program's licence and where its third-party notices are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine import bundle
from engine.cli import info as info_cli
from engine.cli.main import main


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(info_cli, "sandbox_info", lambda: {"enforced": True})
    monkeypatch.setattr(info_cli, "models_info", lambda: {"error": "not asked in this test"})


def info(capsys: Any, *args: str) -> str:
    assert main(["info", *args]) == 0
    return str(capsys.readouterr().out)


def licence_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("licence "))


def test_from_a_checkout_the_notices_are_made_from_the_packages(
        capsys: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "data_dir", lambda: tmp_path)
    assert licence_line(info(capsys)) == ("licence          AGPL-3.0-or-later; third-party "
                                          "notices: generated from the installed packages")
    data = json.loads(info(capsys, "--json"))
    assert data["licence"] == {"licence": "AGPL-3.0-or-later", "third_party_notices": None}


def test_the_bundle_names_its_notices_file(capsys: Any, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    notices = tmp_path / "THIRD-PARTY-NOTICES.txt"
    notices.write_text("notices", encoding="utf-8")
    monkeypatch.setattr(bundle, "data_dir", lambda: tmp_path)
    assert licence_line(info(capsys)).endswith(f"third-party notices: {notices}")
    data = json.loads(info(capsys, "--json"))
    assert data["licence"]["third_party_notices"] == str(notices)
