"""Build the one-folder bundle for this platform (and the Linux tarball), and print its size.

    python packaging/build.py [--dist DIR] [--work DIR] [--no-archive] [--smoke]

Needs the development environment (`pip install -e ".[dev]"`, which brings PyInstaller).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "rlm-desktop.spec"
NAME = "rlm-desktop"
MB = 1024 * 1024
sys.path.insert(0, str(ROOT))  # the checkout's engine, for its version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist",
                        help="where the bundle goes (default: dist/ in the checkout)")
    parser.add_argument("--work", type=Path, default=ROOT / "build",
                        help="PyInstaller's working folder (default: build/ in the checkout)")
    parser.add_argument("--no-archive", action="store_true",
                        help="Linux: do not write the .tar.gz beside the folder")
    parser.add_argument("--smoke", action="store_true",
                        help="then run the bundle's smoke tests (tests/packaging/test_bundle.py)")
    args = parser.parse_args(argv)
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        print("PyInstaller is not installed: run `pip install -e \".[dev]\"` first.",
              file=sys.stderr)
        return 2
    started = time.monotonic()
    folder = build(args.dist.resolve(), args.work.resolve())
    print(f"Built {folder} in {time.monotonic() - started:.0f} s: {size_mb(folder):.0f} MB "
          f"({file_count(folder):,} files).")
    if sys.platform.startswith("linux") and not args.no_archive:
        archive = linux_tarball(folder)
        print(f"Wrote {archive}: {archive.stat().st_size / MB:.0f} MB.")
    if sys.platform == "win32" and not args.no_archive:
        windows_installer(folder, args.work.resolve())
    source = source_archive(folder.parent)
    if source is not None:
        print(f"Wrote {source}: the source the bundle was built from (hand it over with the "
              "bundle: the AGPL asks for it).")
    if args.smoke:
        return smoke(folder)
    return 0


def build(dist: Path, work: Path) -> Path:
    """Run PyInstaller on the spec; return the bundle folder (the .app's on macOS)."""
    assets = work / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    notices = assets / "THIRD-PARTY-NOTICES.txt"
    subprocess.run([sys.executable, "-m", "engine.notices", str(notices)], cwd=ROOT,
                   check=True)
    env["RLM_BUILD_NOTICES"] = str(notices)
    icon = platform_icon(assets)
    if icon is not None:
        env["RLM_BUILD_ICON"] = str(icon)
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(dist), "--workpath", str(work), str(SPEC)],
                   cwd=ROOT, env=env, check=True)
    folder = dist / NAME
    if sys.platform == "darwin":
        # The .app made from the folder; nothing may be added to a bundle that gets signed
        # (LICENSE and the notices are in its Contents/Resources already).
        return dist / "RLM Desktop.app"
    # Beside the executables too, where people look for them.
    shutil.copy2(ROOT / "LICENSE", folder / "LICENSE")
    shutil.copy2(notices, folder / "THIRD-PARTY-NOTICES.txt")
    if sys.platform.startswith("linux"):
        add_linux_files(folder, assets)
    return folder


def platform_icon(assets: Path) -> Path | None:
    """The icon PyInstaller puts on the executables: .ico on Windows, .icns on macOS."""
    icons = load("icons")
    if sys.platform == "win32":
        path = assets / "rlm-desktop.ico"
        icons.ico(path)
        return path
    if sys.platform == "darwin":
        path = assets / "rlm-desktop.icns"
        icons.icns(path)
        return path
    return None


def add_linux_files(folder: Path, assets: Path) -> None:
    """The desktop entry, the icon and the per-user install script, inside the folder."""
    icons = load("icons")
    icons.linux_icons(folder)
    linux = HERE / "linux"
    shutil.copy2(linux / "rlm-desktop.desktop", folder / "rlm-desktop.desktop")
    shutil.copy2(linux / "install.sh", folder / "install.sh")
    (folder / "install.sh").chmod(0o755)


def linux_tarball(folder: Path) -> Path:
    """``rlm-desktop-VERSION-linux-ARCH.tar.gz`` holding the folder, modes kept."""
    version = _version()
    archive = folder.parent / f"{NAME}-{version}-linux-{platform.machine()}.tar.gz"
    partial = archive.with_name(archive.name + ".part")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=NAME, filter=_normalised)
    partial.replace(archive)
    return archive


def source_archive(dist: Path) -> Path | None:
    """``rlm-desktop-VERSION-source.tar.gz`` of the checkout's last commit (``git archive``);
    None outside a git checkout. Uncommitted changes are not in it, and the build says so."""
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        return None
    archive = dist / f"{NAME}-{_version()}-source.tar.gz"
    done = subprocess.run(["git", "archive", "--format=tar.gz", f"--prefix={NAME}-source/",
                           "-o", str(archive), "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"No source archive: git archive failed: {done.stderr.strip()}", file=sys.stderr)
        return None
    changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                             capture_output=True, text=True).stdout.strip()
    if changed:
        print("Note: the checkout has uncommitted changes; the source archive holds the last "
              "commit only.", file=sys.stderr)
    return archive


def windows_installer(folder: Path, work: Path) -> None:
    """The Inno Setup installer, when Inno Setup's ``iscc`` is on the PATH."""
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if iscc is None:
        print("No installer: Inno Setup's iscc is not on the PATH (see packaging/windows/"
              "README.md); the folder works as it is.")
        return
    subprocess.run([iscc, f"/DAppVersion={_version()}", f"/DBundleDir={folder}",
                    f"/DSetupIcon={work / 'assets' / 'rlm-desktop.ico'}",
                    f"/DOutputDir={folder.parent}", str(HERE / "windows" / "rlm-desktop.iss")],
                   check=True)


def smoke(folder: Path) -> int:
    """The bundle's smoke tests, run on the folder just built."""
    env = dict(os.environ, RLM_BUNDLE=str(folder))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/packaging/test_bundle.py"], cwd=ROOT, env=env).returncode


def _normalised(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def load(name: str) -> ModuleType:
    """A module of packaging/ (not importable by name: `packaging` is also a PyPI library)."""
    spec = importlib.util.spec_from_file_location(f"rlm_packaging_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()
               and not p.is_symlink()) / MB


def file_count(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def _version() -> str:
    from engine import __version__

    return __version__


if __name__ == "__main__":
    sys.exit(main())
