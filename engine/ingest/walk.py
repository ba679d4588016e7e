"""Find the files to ingest: folders recursively, with include and exclude patterns, skipping
hidden and temporary files, safe against symlink loops and never leaving a folder through a
link unless asked."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import ConfigError
from engine.ingest.formats import format_of
from engine.store.library import FileRef

# Office lock files, editor swap files, OS litter.
TEMPORARY = ("~$*", "~*.tmp", "*.tmp", "*.temp", "*.swp", "*.swo", "*~", "*.part",
             "*.crdownload", "Thumbs.db", "desktop.ini", "Icon\r")


@dataclass
class WalkResult:
    """What a walk found: files to read, files named on purpose that we cannot read, and
    what was skipped (by suffix), with the folders walked (for spotting removed files)."""

    files: list[FileRef] = field(default_factory=list)
    unsupported: list[FileRef] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    roots: list[Path] = field(default_factory=list)
    vanished: list[Path] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


def _matches(patterns: list[str], name: str, relative: str) -> bool:
    for pattern in patterns:
        target = relative if "/" in pattern.rstrip("/") else name
        if fnmatch.fnmatch(target, pattern.rstrip("/")) or fnmatch.fnmatch(relative, pattern):
            return True
    return False


def is_hidden_or_temporary(name: str) -> bool:
    return name.startswith(".") or any(fnmatch.fnmatch(name, p) for p in TEMPORARY)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _file_ref(path: Path, st: os.stat_result) -> FileRef:
    return FileRef(path=path, size=st.st_size, mtime_ns=st.st_mtime_ns)


def walk(paths: Sequence[str | Path], include: list[str] | None = None,
         exclude: list[str] | None = None, follow_links: bool = False) -> WalkResult:
    """Resolve files and folders into the files to ingest, in a stable (sorted) order.

    A path that does not exist is a usage error (ConfigError). Files named
    directly are always taken (an unsupported type is reported, not
    skipped); inside folders, only readable types that pass the patterns are.
    """
    include = list(include or [])
    exclude = list(exclude or [])
    result = WalkResult()
    seen_files: set[tuple[int, int]] = set()
    for raw in paths:
        path = Path(os.path.abspath(os.path.expanduser(raw)))
        try:
            st = path.stat()
        except FileNotFoundError:
            raise ConfigError(f"{raw}: no such file or folder") from None
        except OSError as exc:
            raise ConfigError(f"{raw}: cannot read ({exc.strerror or exc})") from None
        if stat.S_ISDIR(st.st_mode):
            result.roots.append(path)
            _walk_folder(path, include, exclude, follow_links, result, seen_files)
        elif stat.S_ISREG(st.st_mode):
            if (st.st_dev, st.st_ino) in seen_files:
                continue
            seen_files.add((st.st_dev, st.st_ino))
            (result.files if format_of(path) else result.unsupported).append(_file_ref(path, st))
        else:
            raise ConfigError(f"{raw}: not a regular file or folder")
    return result


def _walk_folder(root: Path, include: list[str], exclude: list[str], follow_links: bool,
                 result: WalkResult, seen_files: set[tuple[int, int]]) -> None:
    root_real = os.path.realpath(root)
    visited: set[tuple[int, int]] = set()
    st = root.stat()
    visited.add((st.st_dev, st.st_ino))
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name, reverse=True)
        except OSError:
            result.skipped["(unreadable folder)"] += 1
            continue
        subfolders = []
        for entry in reversed(entries):
            name = entry.name
            if is_hidden_or_temporary(name):
                continue
            path = Path(entry.path)
            relative = path.relative_to(root).as_posix()
            if _matches(exclude, name, relative):
                continue
            try:
                is_link = entry.is_symlink()
                st = os.stat(entry.path) if is_link else entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                if is_link:
                    result.skipped["(broken link)"] += 1
                else:
                    result.vanished.append(path)
                continue
            except OSError:
                result.skipped["(unreadable)"] += 1
                continue
            if is_link:
                target = os.path.realpath(entry.path)
                if _inside(target, root_real):
                    continue   # reached anyway without the link: no duplicates, no loops
                if not follow_links:
                    result.skipped["(link out of the folder)"] += 1
                    continue
            if stat.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key not in visited:
                    visited.add(key)
                    subfolders.append(path)
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            if format_of(path) is None:
                result.skipped[path.suffix.lower() or "(no extension)"] += 1
                continue
            if include and not _matches(include, name, relative):
                continue
            if (st.st_dev, st.st_ino) in seen_files:
                continue
            seen_files.add((st.st_dev, st.st_ino))
            result.files.append(_file_ref(path, st))
        stack.extend(reversed(subfolders))
