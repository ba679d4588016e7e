"""Host side of the frame protocol: 4-byte big-endian length, then one UTF-8 JSON object."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from engine.errors import FrameError
from engine.sandbox.contract import HOST_CALLS

MAX_FRAME_BYTES = 64 * 1024 * 1024
HEADER_BYTES = 4
_LENGTH_LIMIT = 2**32 - 1
# Strict UTF-8 decoding refuses encoded surrogates, so a lone one can only come from a JSON
# escape; valid pairs decode to one character. Only bodies with such an escape are walked.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class PipeClosedError(FrameError):
    """The REPL process closed its end of the pipe (it exited or was killed)."""


def encode_frame(obj: dict[str, Any], max_bytes: int = MAX_FRAME_BYTES) -> bytes:
    """Encode one object as a frame; raises FrameError when it would exceed ``max_bytes``."""
    # "replace" turns lone surrogates (which UTF-8 cannot carry) into "?"; valid text is untouched.
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")
    if len(body) > min(max_bytes, _LENGTH_LIMIT):
        raise FrameError(f"frame of {len(body)} bytes exceeds the cap of {max_bytes} bytes")
    return len(body).to_bytes(HEADER_BYTES, "big") + body


def decode_body(body: bytes) -> dict[str, Any]:
    """Parse a frame body; raises FrameError unless it is UTF-8 JSON encoding one object.

    Lone surrogates (from ``\\ud800``-style escapes) become "?", so every string the host
    passes on is valid Unicode: logs, events and answers can always be written as UTF-8.
    """
    try:
        obj = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FrameError(f"frame is not valid UTF-8: {exc}") from None
    except json.JSONDecodeError as exc:
        raise FrameError(f"frame is not valid JSON: {exc}") from None
    except (RecursionError, ValueError) as exc:
        # Nesting deeper than the recursion limit, or an integer longer than
        # sys.get_int_max_str_digits(): a child can send either on purpose.
        raise FrameError(f"frame cannot be decoded: {type(exc).__name__}: {exc}") from None
    if not isinstance(obj, dict):
        raise FrameError(f"frame holds a JSON {type(obj).__name__}, not an object")
    if _SURROGATE_ESCAPE.search(body):
        _replace_surrogates(obj)
    return obj


def _clean(text: str) -> str:
    return _SURROGATE.sub("?", text)


def _replace_surrogates(obj: dict[str, Any]) -> None:
    """Replace lone surrogates in every key and string of ``obj``, in place.

    A loop, not recursion: the decoder accepts nesting deeper than Python's stack allows.
    """
    stack: list[dict[str, Any] | list[Any]] = [obj]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for index, value in enumerate(node):
                if isinstance(value, str):
                    node[index] = _clean(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
            continue
        items = list(node.items())
        node.clear()  # keys may change too: rebuilt in the same order
        for key, value in items:
            if isinstance(value, str):
                value = _clean(value)
            elif isinstance(value, dict | list):
                stack.append(value)
            node[_clean(key)] = value


async def read_frame(reader: asyncio.StreamReader,
                     max_bytes: int = MAX_FRAME_BYTES) -> dict[str, Any]:
    """Read one frame; raises FrameError on a closed pipe, an oversized length or a bad body."""
    frame, _ = await read_sized_frame(reader, max_bytes)
    return frame


async def read_sized_frame(reader: asyncio.StreamReader,
                           max_bytes: int = MAX_FRAME_BYTES) -> tuple[dict[str, Any], int]:
    """``read_frame``, with the size of the body in bytes (what a call's arguments weigh)."""
    header = await _read_exactly(reader, HEADER_BYTES, "")
    size = int.from_bytes(header, "big")
    if size > max_bytes:
        # The body is not read: the stream cannot be trusted after this.
        raise FrameError(f"frame of {size} bytes announced, over the cap of {max_bytes} bytes")
    body = await _read_exactly(reader, size, " in the middle of a frame")
    return decode_body(body), size


async def _read_exactly(reader: asyncio.StreamReader, size: int, where: str) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as exc:
        if exc.partial and not where:
            where = " in the middle of a frame header"
        raise PipeClosedError(f"the REPL process closed its pipe{where}") from None
    except (ConnectionError, OSError) as exc:
        raise PipeClosedError(f"the REPL process closed its pipe ({exc})") from None


def check_call(op: Any, args: Any) -> str | None:
    """What is wrong with a call's op and args, or None when they match the REPL contract."""
    if not isinstance(args, dict):
        return "args must be an object"
    entry = HOST_CALLS.get(op) if isinstance(op, str) else None
    if entry is None:
        return "unknown operation"
    for name, kind in entry.args:
        if not kind.accepts(args.get(name)):
            return f"{name} must be {kind.wording}"
    return None
