"""In-process tests of the child's pure parts: the head+tail buffer, citations, tracebacks."""

from __future__ import annotations

import pytest

from engine.sandbox import child


@pytest.mark.parametrize("limit", [0, 1, 10, 11])
@pytest.mark.parametrize("pieces", [["x" * 25], list("abcdefghijklmnopqrstuvwxy"), ["ab"] * 3])
def test_head_tail_keeps_ends_and_counts_all(limit: int, pieces: list[str]) -> None:
    text = "".join(pieces)
    sink = child.HeadTail(limit)
    for piece in pieces:
        assert sink.write(piece) == len(piece)
    head, tail = sink.parts()
    assert sink.total == len(text)
    if len(text) <= limit:
        assert (head, tail) == (text, "")
    else:
        assert head == text[: limit // 2]
        assert tail == (text[-(limit - limit // 2):] if limit - limit // 2 else "")


def test_head_tail_is_exact_at_the_limit_with_an_odd_limit() -> None:
    sink = child.HeadTail(11)
    sink.write("0123456789")
    sink.write("A")
    assert sink.parts() == ("0123456789A", "")


def test_head_tail_handles_many_small_writes_fast() -> None:
    sink = child.HeadTail(1000)
    for i in range(200_000):
        sink.write(f"{i}\n")
    head, tail = sink.parts()
    assert head.startswith("0\n1\n2\n") and tail.endswith("199998\n199999\n")
    assert len(head) == 500 and len(tail) == 500


def test_head_tail_rejects_bytes() -> None:
    with pytest.raises(TypeError):
        child.HeadTail(10).write(b"x")  # type: ignore[arg-type]


@pytest.fixture
def documents_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(child, "DOC_INDEX", {"1": ("Alpha", [1, 2]), "2": ("Beta", [1, 2, 3])})


@pytest.mark.usefixtures("documents_index")
def test_cite_markers() -> None:
    assert child.cite(1, 2) == "[[cite doc=1 page=2]]"
    assert child.cite("2", "3") == "[[cite doc=2 page=3]]"
    quoted = child.cite(2, 1, '  the  "deadline"\n is ]May 3 ')
    assert quoted == '[[cite doc=2 page=1 quote="the \\"deadline\\" is May 3"]]'
    long = child.cite(1, 1, "y" * 1000)
    assert long == '[[cite doc=1 page=1 quote="' + "y" * 300 + '"]]'


@pytest.mark.usefixtures("documents_index")
def test_cite_errors_say_what_is_valid() -> None:
    with pytest.raises(ValueError, match="no document with id 9; valid ids: 1, 2"):
        child.cite(9, 1)
    with pytest.raises(ValueError, match=r"page 5 is not in document 1 .*pages are 1-2"):
        child.cite(1, 5)
    with pytest.raises(TypeError):
        child.cite(True, 1)
    with pytest.raises(ValueError, match="must be a number"):
        child.cite(1, "two")


def test_cite_without_documents_does_not_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(child, "DOC_INDEX", {})
    assert child.cite(7, 99) == "[[cite doc=7 page=99]]"


def test_format_error_strips_child_frames() -> None:
    def inner() -> None:
        raise ValueError("boom")

    try:
        child.cite(1, "x")
    except ValueError as exc:
        text = child.format_error(exc)
    assert "child.py" not in text and text.endswith("ValueError: page must be a number, got 'x'")
    try:
        inner()
    except ValueError as exc:
        assert "in inner" in child.format_error(exc)


def test_clip_keeps_both_ends() -> None:
    assert child.clip("short", 10) == "short"
    assert child.clip("a" * 10 + "b" * 10, 10) == "aaaaa\n... [10 characters cut] ...\nbbbbb"
