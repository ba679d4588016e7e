"""Tests of the host side of the frame protocol."""

from __future__ import annotations

import asyncio
import json

import pytest

from engine.errors import FrameError
from engine.sandbox import child
from engine.sandbox.frames import (
    PipeClosedError,
    check_call,
    decode_body,
    encode_frame,
    read_frame,
)


def read_from(data: bytes, *, eof: bool = True, max_bytes: int | None = None) -> dict:
    """Feed ``data`` to a StreamReader and read one frame from it."""

    async def main() -> dict:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        if eof:
            reader.feed_eof()
        if max_bytes is None:
            return await asyncio.wait_for(read_frame(reader), 2)
        return await asyncio.wait_for(read_frame(reader, max_bytes), 2)

    return asyncio.run(main())


def test_round_trip_keeps_unicode_and_nesting() -> None:
    obj = {"type": "exec", "id": 7, "code": "print('héllo ✓ 中文')", "nested": [1, {"a": None}]}
    data = encode_frame(obj)
    body = data[4:]
    assert int.from_bytes(data[:4], "big") == len(body)
    assert body == json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    assert read_from(data) == obj


def test_frames_are_read_in_sequence() -> None:
    async def main() -> list[dict]:
        reader = asyncio.StreamReader()
        reader.feed_data(encode_frame({"n": 1}) + encode_frame({"n": 2}))
        reader.feed_eof()
        return [await read_frame(reader), await read_frame(reader)]

    assert asyncio.run(main()) == [{"n": 1}, {"n": 2}]


def test_lone_surrogates_do_not_break_encoding() -> None:
    assert read_from(encode_frame({"text": "a\ud800b"})) == {"text": "a?b"}


def test_lone_surrogate_escapes_are_replaced_where_frames_are_decoded() -> None:
    # A child writing its own frames can send escapes that json.loads turns into lone
    # surrogates; nothing downstream (logs, events, answers) could write them as UTF-8.
    body = (b'{"type":"call","k\\udfff":["a\\ud800b",{"x":"\\uDBFF"}],'
            b'"pair":"\\ud83d\\ude00","deep":' + b'[' * 800 + b'"\\ud800"' + b']' * 800 + b'}')
    frame = read_from(len(body).to_bytes(4, "big") + body)
    assert frame["k?"] == ["a?b", {"x": "?"}]
    assert frame["pair"] == "\U0001f600"  # a valid pair is one character, kept
    deep = frame["deep"]
    while isinstance(deep, list):
        deep = deep[0]
    assert deep == "?"
    assert json.dumps(frame, ensure_ascii=False).encode("utf-8")


def test_encode_refuses_oversized_frame() -> None:
    with pytest.raises(FrameError, match="exceeds the cap of 100 bytes"):
        encode_frame({"text": "x" * 200}, max_bytes=100)


def test_read_refuses_oversized_length_without_reading_body() -> None:
    # No body and no EOF follow: reading the body would hang (wait_for would fire).
    header = (10_000).to_bytes(4, "big")
    with pytest.raises(FrameError, match=r"10000 bytes.*cap of 1000 bytes"):
        read_from(header, eof=False, max_bytes=1000)


@pytest.mark.parametrize("data", [b"", b"\x00\x00", encode_frame({"a": 1})[:-2]])
def test_closed_pipe_is_a_frame_error(data: bytes) -> None:
    with pytest.raises(PipeClosedError, match="closed its pipe"):
        read_from(data)
    assert issubclass(PipeClosedError, FrameError)


@pytest.mark.parametrize(("body", "problem"), [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe{}", "not valid UTF-8"),
    (b"[1, 2]", "not an object"),
])
def test_malformed_bodies_are_refused(body: bytes, problem: str) -> None:
    with pytest.raises(FrameError, match=problem):
        read_from(len(body).to_bytes(4, "big") + body)
    with pytest.raises(FrameError, match=problem):
        decode_body(body)


def test_child_copy_of_the_frame_code_matches_the_host() -> None:
    obj = {"type": "result", "head": "ü\n", "total_chars": 2, "final": None}
    assert child.encode_frame(obj) == encode_frame(obj)
    with pytest.raises(child.FrameTooLargeError):
        child.encode_frame({"text": "x" * 200}, max_bytes=100)


@pytest.mark.parametrize(("op", "args", "problem"), [
    ("llm_query", {"prompt": "p", "model": "m"}, None),
    ("llm_query", {"prompt": "p"}, None),
    ("llm_query_batched", {"prompts": [], "model": None}, None),
    ("rlm_query", {"prompt": "p", "context": "c"}, None),
    ("llm_query", ["prompt"], "args must be an object"),
    ("read_keys", {}, "unknown operation"),
    (["llm_query"], {}, "unknown operation"),
    ("llm_query", {"prompt": 5}, "prompt must be a string"),
    ("llm_query", {"model": "m"}, "prompt must be a string"),
    ("llm_query", {"prompt": "p", "model": 3}, "model must be a string or null"),
    ("rlm_query", {"prompt": "p", "context": ["c"]}, "context must be a string or null"),
    ("llm_query_batched", {"prompts": "abc"}, "prompts must be a list of strings"),
    ("llm_query_batched", {"prompts": ["a", 1]}, "prompts must be a list of strings"),
    ("llm_query_batched", {"prompts": ["a"], "model": {}}, "model must be a string or null"),
])
def test_calls_are_checked_against_the_repl_contract(op: object, args: object,
                                                     problem: str | None) -> None:
    assert check_call(op, args) == problem
