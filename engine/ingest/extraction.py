"""One ``extract`` entry point for every file, which the worker processes call: the file's
format, its limits, its reader, and errors of the operating system worded for people."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from engine.ingest.formats import FORMATS, Format, Reader, format_of, load, unsupported_reason
from engine.ingest.model import (
    MISSING,
    TOO_LARGE,
    UNREADABLE,
    UNSUPPORTED,
    Extracted,
    ExtractionFailed,
    ExtractOptions,
    ReadRequest,
)

# (format, its reader's module, "module:function" that closes what it keeps between ranges)
_RELEASES = [(f, f.ranges.release.partition(":")[0], f.ranges.release) for f in FORMATS
             if f.ranges is not None and f.ranges.release is not None]


def extract(path: Path, options: ExtractOptions,
            progress: Callable[[int], None] | None = None,
            extend: Callable[[float], None] | None = None,
            pages: tuple[int, int | None] | None = None) -> Extracted:
    """Read one file into pages, or raise ExtractionFailed with the reason a person reads.

    ``pages`` is a range of page indexes, for formats read in ranges (``Format.ranges``).
    """
    fmt = format_of(path)
    try:
        if fmt is None:
            raise ExtractionFailed(UNSUPPORTED, unsupported_reason(path))
        _release_others(fmt)
        if fmt.max_text_bytes is not None:
            size = path.stat().st_size
            if size > fmt.max_text_bytes:
                raise ExtractionFailed(TOO_LARGE, f"the file is {size / 1e6:,.0f} MB of text, "
                                       f"above the {fmt.max_text_bytes // 1024 // 1024} MB "
                                       "limit; split it")
        reader: Reader = load(fmt.reader)
        return reader(path, ReadRequest(options, pages=pages, progress=progress, extend=extend))
    except FileNotFoundError as exc:
        raise ExtractionFailed(MISSING, "the file was removed or renamed while ingesting") \
            from exc
    except IsADirectoryError as exc:
        raise ExtractionFailed(UNSUPPORTED, "this is a folder, not a file") from exc
    except PermissionError as exc:
        raise ExtractionFailed(UNREADABLE, "permission denied: the file cannot be read by "
                               "this user") from exc
    except OSError as exc:
        raise ExtractionFailed(UNREADABLE, f"cannot read the file: {exc.strerror or exc}") \
            from exc


def _release_others(fmt: Format) -> None:
    """A reader of page ranges keeps its last document open for the next range: reading a
    file of another format closes it, so a worker holds one document at a time."""
    for other, module, release in _RELEASES:
        # A reader whose module this process never imported holds nothing.
        if other is not fmt and module in sys.modules:
            load(release)()
