"""Folder walking: patterns, hidden and temporary files, links, odd names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.ingest.walk import walk


def names(paths: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def tree(root: Path) -> Path:
    for name in ("a.pdf", "b.txt", "notes.md", "sub/c.docx", "sub/deep/d.html",
                 "drafts/e.pdf", ".hidden.pdf", ".git/x.txt", "~$lock.docx", "f.docx.tmp",
                 "image.svg", "sub/archive.zip"):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return root


def test_recursive_walk_skips_hidden_temporary_and_unknown(tmp_path: Path) -> None:
    found = walk([tree(tmp_path)])
    assert names([f.path for f in found.files], tmp_path) == \
        ["a.pdf", "b.txt", "notes.md", "drafts/e.pdf", "sub/c.docx", "sub/deep/d.html"]
    assert found.skipped == {".svg": 1, ".zip": 1}
    assert found.roots == [tmp_path]
    assert found.unsupported == []


def test_include_and_exclude_patterns(tmp_path: Path) -> None:
    tree(tmp_path)
    only_pdf = walk([tmp_path], include=["*.pdf"])
    assert names([f.path for f in only_pdf.files], tmp_path) == ["a.pdf", "drafts/e.pdf"]
    no_drafts = walk([tmp_path], exclude=["drafts", "*.md", "sub/deep/*"])
    assert names([f.path for f in no_drafts.files], tmp_path) == ["a.pdf", "b.txt",
                                                                  "sub/c.docx"]


def test_symlink_loops_and_links_out_of_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "sub" / "in.txt").write_text("in")
    (outside / "secret.txt").write_text("out")
    (root / "sub" / "loop").symlink_to(root)                 # a loop back up
    (root / "again.txt").symlink_to(root / "sub" / "in.txt")  # inside: found anyway
    (root / "out").symlink_to(outside)                        # leaves the folder
    (root / "dangling.txt").symlink_to(tmp_path / "nowhere")
    found = walk([root])
    assert names([f.path for f in found.files], root) == ["sub/in.txt"]
    assert found.skipped["(link out of the folder)"] == 1
    assert found.skipped["(broken link)"] == 1
    followed = walk([root], follow_links=True)
    assert names([f.path for f in followed.files], root) == ["out/secret.txt", "sub/in.txt"]


def test_named_files_are_taken_and_missing_paths_are_usage_errors(tmp_path: Path) -> None:
    sheet = tmp_path / "budget.xls"
    sheet.write_bytes(b"x")
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"x")
    found = walk([sheet, pdf, pdf])
    assert [f.path for f in found.unsupported] == [sheet]
    assert [f.path for f in found.files] == [pdf]      # named twice, taken once
    with pytest.raises(ConfigError, match="no such file or folder"):
        walk([tmp_path / "nope"])


def test_names_with_newlines_and_non_utf8_bytes(tmp_path: Path) -> None:
    odd = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9\nmenu.txt")
    Path(odd).write_text("menu")
    (found,) = walk([tmp_path]).files
    assert found.key == os.fsencode(odd)
    assert found.display.endswith("caf\\xe9\\nmenu.txt")
    assert found.size == 4
