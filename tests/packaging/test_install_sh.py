"""packaging/linux/install.sh on a fake bundle: install, run, reinstall, uninstall, for one user."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.load import PACKAGING, load

LINUX = PACKAGING / "linux"
VALIDATOR = shutil.which("desktop-file-validate")
icons = load("icons")

pytestmark = pytest.mark.skipif(os.name != "posix", reason="a POSIX shell script")


class Home:
    """A home folder with its XDG folders, and where the installer puts each file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / ".local" / "share"
        self.config = root / ".config"
        self.app = self.data / "rlm-desktop-program" / "app"
        self.entry = self.data / "applications" / "rlm-desktop.desktop"
        self.png = self.data / "icons" / "hicolor" / "256x256" / "apps" / "rlm-desktop.png"
        self.svg = self.data / "icons" / "hicolor" / "scalable" / "apps" / "rlm-desktop.svg"
        self.bin = root / ".local" / "bin"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
        env.update(HOME=str(self.root), XDG_DATA_HOME=str(self.data),
                   XDG_CONFIG_HOME=str(self.config), LC_ALL="C")
        return env

    def files(self) -> set[str]:
        """Every file and link under the home folder, relative to it."""
        return {str(p.relative_to(self.root)) for p in self.root.rglob("*")
                if p.is_file() or p.is_symlink()}


def make_bundle(folder: Path, version: str, extra: str | None = None) -> Path:
    """A stand-in for the unpacked tarball: two tiny executables and _internal/, with the real
    icons, desktop template and install.sh."""
    bundle = folder / "rlm-desktop"
    (bundle / "_internal").mkdir(parents=True)
    for name in ("rlm", "rlm-desktop"):
        script = bundle / name
        script.write_text(f'#!/bin/sh\necho "fake {name} {version} $*"\n', encoding="utf-8")
        script.chmod(0o755)
    (bundle / "_internal" / "base_library.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    if extra:
        (bundle / "_internal" / extra).write_text(extra, encoding="utf-8")
    for name in ("LICENSE", "THIRD-PARTY-NOTICES.txt"):
        (bundle / name).write_text(name, encoding="utf-8")
    icons.linux_icons(bundle)  # as packaging/build.py does
    shutil.copyfile(LINUX / "rlm-desktop.desktop", bundle / "rlm-desktop.desktop")
    shutil.copyfile(LINUX / "install.sh", bundle / "install.sh")
    (bundle / "install.sh").chmod(0o755)
    return bundle


def run(command: list[str], home: Home, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=home.env(), capture_output=True, text=True,
                          timeout=60)


def entry_values(path: Path) -> dict[str, str]:
    """The Desktop Entry group's keys, string escapes (\\s \\n \\t \\r \\\\) undone."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        key, _, raw = line.partition("=")
        out, chars = [], iter(raw)
        for ch in chars:
            if ch == "\\":
                nxt = next(chars)
                out.append({"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
            else:
                out.append(ch)
        values[key] = "".join(out)
    return values


def exec_arguments(value: str) -> list[str]:
    """An Exec= value split into arguments as the Desktop Entry spec reads it."""
    args, current, quoted, i = [], "", False, 0
    while i < len(value):
        ch = value[i]
        if quoted and ch == "\\" and value[i + 1] in '"`$\\':
            current += value[i + 1]
            i += 2
            continue
        if ch == "%":
            assert value[i + 1] == "%", f"unexpected field code in {value!r}"
            current += "%"
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == " " and not quoted:
            args.append(current)
            current = ""
        else:
            current += ch
        i += 1
    assert not quoted, f"unbalanced quotes in {value!r}"
    return [*args, current]


@pytest.mark.parametrize("home_name", ["home", 'we"ird $HOME `x` 100% \\ folder'])
def test_install_reinstall_and_uninstall(tmp_path: Path, home_name: str) -> None:
    home = Home(tmp_path / home_name)
    # The user's data, made before the install; nothing may touch it.
    (home.data / "rlm-desktop").mkdir(parents=True)
    (home.data / "rlm-desktop" / "library.sqlite").write_text("library", encoding="utf-8")
    (home.config / "rlm-desktop").mkdir(parents=True)
    (home.config / "rlm-desktop" / "config.json").write_text("{}", encoding="utf-8")
    data = home.files()

    first = make_bundle(tmp_path / "download1", "v1", extra="only-in-v1.txt")
    done = run([str(first / "install.sh")], home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Installed RLM Desktop" in done.stdout
    assert str(home.data / "rlm-desktop") in done.stdout  # where the data stays

    assert (home.app / "_internal" / "only-in-v1.txt").is_file()
    assert os.access(home.app / "rlm-desktop", os.X_OK)
    assert home.png.read_bytes() == (first / "rlm-desktop.png").read_bytes()
    assert home.svg.read_bytes() == (first / "rlm-desktop.svg").read_bytes()
    values = entry_values(home.entry)
    assert exec_arguments(values["Exec"]) == [str(home.app / "rlm-desktop")]
    assert values["TryExec"] == str(home.app / "rlm-desktop")
    assert values["Icon"] == str(home.png)
    assert values["Name"] == "RLM Desktop"
    launched = subprocess.run(exec_arguments(values["Exec"]), capture_output=True, text=True,
                              timeout=30)
    assert launched.stdout == "fake rlm-desktop v1 \n"
    if VALIDATOR:
        checked = subprocess.run([VALIDATOR, "--no-hints", str(home.entry)],
                                 capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    for name in ("rlm", "rlm-desktop"):
        link = home.bin / name
        assert link.is_symlink() and os.readlink(link) == str(home.app / name)
    ran = run([str(home.bin / "rlm"), "info"], home, cwd=tmp_path)
    assert ran.stdout == "fake rlm v1 info\n"

    second = make_bundle(tmp_path / "download2", "v2")
    done = run(["sh", "./install.sh"], home, cwd=second)
    assert done.returncode == 0, done.stderr
    assert run([str(home.bin / "rlm"), "info"], home, cwd=tmp_path).stdout == "fake rlm v2 info\n"
    assert not (home.app / "_internal" / "only-in-v1.txt").exists(), "replaced, not merged"
    assert sorted(p.name for p in home.app.parent.iterdir()) == ["app"]

    done = run([str(home.app / "install.sh"), "--uninstall"], home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Removed RLM Desktop." in done.stdout
    assert str(home.config / "rlm-desktop") in done.stdout
    assert home.files() == data
    assert not home.png.parent.exists() and not home.svg.parent.exists()

    again = run([str(second / "install.sh"), "--uninstall"], home, cwd=tmp_path)
    assert again.returncode == 0
    assert "nothing to remove" in again.stdout
    assert home.files() == data


def test_uninstall_removes_the_data_home_folder_only_when_empty(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    bundle = make_bundle(tmp_path / "download", "v1")
    assert run([str(bundle / "install.sh")], home, cwd=tmp_path).returncode == 0
    assert run([str(bundle / "install.sh"), "--uninstall"], home, cwd=tmp_path).returncode == 0
    assert not (home.data / "rlm-desktop").exists()
    assert home.files() == set()


def test_someone_elses_rlm_command_is_left_alone(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    home.bin.mkdir(parents=True)
    theirs = home.bin / "rlm"
    theirs.write_text("#!/bin/sh\necho pip's rlm\n", encoding="utf-8")
    bundle = make_bundle(tmp_path / "download", "v1")
    done = run([str(bundle / "install.sh")], home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"Left {theirs} alone" in done.stdout
    assert not theirs.is_symlink() and "pip's rlm" in theirs.read_text(encoding="utf-8")
    assert (home.bin / "rlm-desktop").is_symlink()
    done = run([str(bundle / "install.sh"), "--uninstall"], home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert home.files() == {".local/bin/rlm"}


def test_the_installed_copy_does_not_install_over_itself(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    bundle = make_bundle(tmp_path / "download", "v1")
    assert run([str(bundle / "install.sh")], home, cwd=tmp_path).returncode == 0
    done = run([str(home.app / "install.sh")], home, cwd=tmp_path)
    assert done.returncode == 1
    assert "This is the installed copy" in done.stderr
    assert "--uninstall" in done.stderr
    assert (home.app / "rlm").is_file()


def test_an_incomplete_folder_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    bundle = make_bundle(tmp_path / "download", "v1")
    shutil.rmtree(bundle / "_internal")
    done = run([str(bundle / "install.sh")], home, cwd=tmp_path)
    assert done.returncode == 1
    assert "_internal is missing" in done.stderr and "Unpack the whole download" in done.stderr
    assert not home.root.exists() or home.files() == set()


def test_an_existing_icon_cache_is_refreshed(tmp_path: Path) -> None:
    if not shutil.which("gtk-update-icon-cache"):
        pytest.skip("gtk-update-icon-cache is not installed")
    home = Home(tmp_path / "home")
    cache = home.data / "icons" / "hicolor" / "icon-theme.cache"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"stale")
    bundle = make_bundle(tmp_path / "download", "v1")
    assert run([str(bundle / "install.sh")], home, cwd=tmp_path).returncode == 0
    assert b"rlm-desktop" in cache.read_bytes()


def test_no_icon_cache_is_created_where_there_was_none(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    bundle = make_bundle(tmp_path / "download", "v1")
    assert run([str(bundle / "install.sh")], home, cwd=tmp_path).returncode == 0
    assert not (home.data / "icons" / "hicolor" / "icon-theme.cache").exists()
    assert not (home.data / "applications" / "mimeinfo.cache").exists()


def test_help_and_unknown_options(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    script = str(LINUX / "install.sh")
    done = run(["sh", script, "--help"], home, cwd=tmp_path)
    assert done.returncode == 0
    assert "--uninstall" in done.stdout and str(home.app) in done.stdout
    done = run(["sh", script, "--frobnicate"], home, cwd=tmp_path)
    assert done.returncode == 2
    assert "unknown option --frobnicate" in done.stderr
    assert not home.root.exists()


def test_the_desktop_template() -> None:
    values = entry_values(LINUX / "rlm-desktop.desktop")
    assert (LINUX / "rlm-desktop.desktop").read_text(encoding="utf-8").startswith(
        "[Desktop Entry]\n")
    assert values["Type"] == "Application"
    assert values["Categories"] == "Office;"  # one main category: it is listed once
    assert "MimeType" not in values  # the app opens no file given on its command line
    assert {values["Exec"], values["TryExec"], values["Icon"]} == {
        "@EXEC@", "@TRYEXEC@", "@ICON@"}
    assert values["Comment"] and not values["Comment"].endswith(".")
    if VALIDATOR:
        checked = subprocess.run([VALIDATOR, "--no-hints", str(LINUX / "rlm-desktop.desktop")],
                                 capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stdout


def test_install_sh_is_posix_sh() -> None:
    dash = shutil.which("dash")
    if not dash:
        pytest.skip("dash (a strict POSIX shell) is not installed")
    assert subprocess.run([dash, "-n", str(LINUX / "install.sh")], timeout=30).returncode == 0
    assert (LINUX / "install.sh").read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    assert os.access(LINUX / "install.sh", os.X_OK)
    shellcheck = shutil.which("shellcheck")
    if shellcheck:
        linted = subprocess.run([shellcheck, "-s", "sh", str(LINUX / "install.sh")],
                                capture_output=True, text=True, timeout=60)
        assert linted.returncode == 0, linted.stdout


@pytest.mark.parametrize("xdg_data_home", [None, "", "relative/share"])
def test_without_a_usable_xdg_data_home_it_uses_local_share(tmp_path: Path,
                                                            xdg_data_home: str | None) -> None:
    home = Home(tmp_path / "home")
    bundle = make_bundle(tmp_path / "download", "v1")
    env = home.env()
    del env["XDG_DATA_HOME"]
    if xdg_data_home is not None:
        env["XDG_DATA_HOME"] = xdg_data_home
    done = subprocess.run([str(bundle / "install.sh")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (home.root / ".local" / "share" / "rlm-desktop-program" / "app" / "rlm").is_file()
    assert home.entry.is_file()
    assert not (tmp_path / "relative").exists()
