"""The third-party notices: from the real installed packages and from a made-up set of them."""

from __future__ import annotations

import hashlib
import importlib.metadata
import tomllib
from pathlib import Path

import pytest

from engine import notices
from engine.errors import ConfigError
from engine.notices import LICENCE_EXPRESSION, notices_text, runtime_distributions, write_notices
from engine.notices.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
RULE = "=" * 78


def entries(text: str) -> dict[str, str]:
    """Each entry of the notices by the first word of its title line, lower-cased."""
    found = {}
    for block in text.split(RULE + "\n")[1:]:
        found[block.split("\n", 1)[0].split(" ")[0].lower()] = block
    return found


@pytest.fixture(scope="module")
def real_text() -> str:
    return notices_text()


def test_pymupdf_is_listed_as_agpl_with_its_copying_text(real_text: str) -> None:
    block = entries(real_text)["pymupdf"]
    licence = block.splitlines()[1]
    assert "AFFERO GPL 3.0" in licence.upper()
    copying = importlib.metadata.distribution("pymupdf").read_text("COPYING")
    assert copying
    assert "--- COPYING ---" in block
    assert copying.strip() in block


@pytest.mark.parametrize(("name", "licence"), [
    ("pyside6_essentials", "LGPL-3.0"), ("shiboken6", "LGPL-3.0"), ("openai", "Apache-2.0"),
    ("keyring", "MIT")])
def test_each_library_shows_its_licence(real_text: str, name: str, licence: str) -> None:
    block = entries(real_text)[name]
    assert licence in block.splitlines()[1]


def test_shipped_licence_files_are_copied_whole(real_text: str) -> None:
    block = entries(real_text)["openai"]
    licence = importlib.metadata.distribution("openai").read_text("licenses/LICENSE")
    assert licence and licence.strip() in block
    # Qt's packages carry no licence file: they say so, and the Qt entry holds the LGPL.
    assert "carries no licence file" in entries(real_text)["shiboken6"]
    qt = entries(real_text)["qt"]
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in qt and "GNU GENERAL PUBLIC LICENSE" in qt
    assert "https://download.qt.io/" in qt and "replace" in qt


def test_the_fixed_entries_and_the_header(real_text: str) -> None:
    found = entries(real_text)
    assert "PSF-2.0" in found["python"]
    assert "Bootloader-exception" in found["pyinstaller"]
    assert "AGPL-3.0" in found["mupdf"] and "https://mupdf.com" in found["mupdf"]
    header = real_text.split(RULE)[0]
    assert "RLM Desktop" in header and notices.__version__ in header
    assert LICENCE_EXPRESSION in header


def test_only_runtime_dependencies_are_listed(real_text: str) -> None:
    names = set(entries(real_text))
    # pytest and mypy come with the dev extra, pypdf with the bench extra; all are installed.
    importlib.metadata.distribution("pytest")
    assert not names & {"pytest", "mypy", "pypdf", "ruff", "rank-bm25", "rank_bm25"}
    distributions, _missing = runtime_distributions()
    assert "rlm-desktop" not in {d.metadata["Name"] for d in distributions}


def test_the_text_is_sorted_and_the_same_each_time(real_text: str) -> None:
    assert notices_text() == real_text
    titles = [block.split("\n", 1)[0].lower() for block in real_text.split(RULE + "\n")[1:]]
    keys = [t.replace("_", "-").replace(".", "-") for t in titles]
    assert keys == sorted(keys)
    assert "\r" not in real_text and "\f" not in real_text


def _dist(site: Path, name: str, version: str, *headers: str,
          files: dict[str, str] | None = None) -> None:
    folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
    folder.mkdir(parents=True)
    lines = ["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}", *headers]
    (folder / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for relative, text in (files or {}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")


@pytest.fixture
def fake_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    _dist(site, "rlm-desktop", "9.9", "Requires-Dist: alpha>=1",
          "Requires-Dist: old-only; python_version < '3'",
          "Requires-Dist: gamma[Fast_Mode]", "Requires-Dist: dev-tool; extra == 'dev'",
          "Requires-Dist: not-here", "Requires-Dist: odd; weird_variable == '1'")
    _dist(site, "alpha", "1.0", "License-Expression: MIT", "License-File: LICENSE",
          files={"licenses/LICENSE": "Alpha licence text\r\nline two\f"})
    _dist(site, "gamma", "2.0", "License: BSD", "Requires-Dist: epsilon; extra == 'fast-mode'",
          "Requires-Dist: zeta; extra == 'slow'",
          "Requires-Dist: alpha; python_version >= '3.0' and (os_name == 'nt' or "
          "os_name != 'nt')")
    _dist(site, "epsilon", "3.0", "Classifier: License :: OSI Approved :: MIT License",
          files={"COPYING.txt": "Epsilon copying", "RECORD":
                 "epsilon-3.0.dist-info/COPYING.txt,,\nepsilon/__init__.py,,\n"})
    for name in ("old-only", "dev-tool", "zeta", "odd"):
        _dist(site, name, "1.0", "License: MIT")
    return site


def test_markers_and_extras_decide_the_closure(fake_site: Path) -> None:
    distributions, missing = runtime_distributions(path=[str(fake_site)])
    assert [d.metadata["Name"] for d in distributions] == ["alpha", "epsilon", "gamma", "odd"]
    assert missing == ["not-here"]


def test_a_made_up_set_of_packages(fake_site: Path) -> None:
    text = notices_text(path=[str(fake_site)])
    found = entries(text)
    assert "Alpha licence text\nline two" in found["alpha"] and "\f" not in text
    assert "Licence: MIT" in found["alpha"]
    assert "Licence: BSD" in found["gamma"] and "carries no licence file" in found["gamma"]
    assert "Licence: MIT License" in found["epsilon"] and "Epsilon copying" in found["epsilon"]
    assert "Required but not installed where this list was made: not-here" in text
    assert "zeta" not in found and "dev-tool" not in found


def test_an_uninstalled_program_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not installed"):
        runtime_distributions(path=[str(tmp_path)])


def test_write_notices_writes_the_whole_file(tmp_path: Path, real_text: str) -> None:
    target = tmp_path / "dist" / "THIRD-PARTY-NOTICES.txt"
    write_notices(target)
    assert target.read_text(encoding="utf-8") == real_text
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_the_build_step_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "notices.txt"
    assert main([str(target)]) == 0
    assert "pymupdf" in target.read_text(encoding="utf-8")
    monkeypatch.setattr(notices, "PROGRAM", "no-such-program-installed")
    assert main([str(tmp_path / "other.txt")]) == 2
    assert "not installed" in capsys.readouterr().err
    assert not (tmp_path / "other.txt").exists()


def test_the_project_licence_matches() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": LICENCE_EXPRESSION}
    assert any("GNU Affero General Public License v3 or later" in c
               for c in project["classifiers"])
    licence = (ROOT / "LICENSE").read_bytes()
    # The canonical text from gnu.org, unchanged.
    assert hashlib.md5(licence).hexdigest() == "eb1e647870add0502f8f010b19de32af"


def test_what_the_program_ships_beside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    from engine import bundle

    monkeypatch.setattr(bundle, "data_dir", lambda: tmp_path)
    monkeypatch.setattr(notices, "PROGRAM", "no-such-program-installed")
    assert notices.shipped_notices() is None
    assert notices.program_licence() is None
    (tmp_path / "LICENSE").write_text("the licence", encoding="utf-8")
    (tmp_path / "THIRD-PARTY-NOTICES.txt").write_text("the notices", encoding="utf-8")
    assert notices.shipped_notices() == tmp_path / "THIRD-PARTY-NOTICES.txt"
    assert notices.program_licence() == "the licence"
