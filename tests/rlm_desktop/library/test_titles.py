"""Junk metadata titles give way to the file name."""

from __future__ import annotations

import pytest

from rlm_desktop.library.titles import display_title, file_name, is_junk_title


@pytest.mark.parametrize("title", [
    "", "  ", "A5.0", "v2", "X-1", "12345", "2019-04-01", "---", "...", "§ 1.2",
    "untitled", "Untitled Document", "  untitled  ", "Microsoft Word - x.docx",
    "Microsoft PowerPoint - Board deck.pptx", "scan0001.pdf", "C:\\work\\draft.doc",
])
def test_junk_titles(title: str) -> None:
    assert is_junk_title(title)


@pytest.mark.parametrize("title", [
    "Lease agreement", "A", "ab", "Board minutes 2019", "Memo on liability", "NDA", "Q3 report",
    "Annex 5.0 to the lease", "Word of mouth - a history",
])
def test_real_titles(title: str) -> None:
    assert not is_junk_title(title)


def test_display_title_prefers_the_file_name_over_junk() -> None:
    assert display_title("A5.0", "/cases/acme/Lease 2019.pdf") == "Lease 2019.pdf"
    assert display_title("Microsoft Word - x.docx", "C:\\cases\\memo.docx") == "memo.docx"
    assert display_title("", "/a/notes.txt") == "notes.txt"
    assert display_title("Lease  agreement\n", "/a/x.pdf") == "Lease agreement"
    assert file_name("/a/b/") == "b"
