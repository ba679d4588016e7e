"""Plain text, Markdown and CSV: decoding in common encodings, and pages a citation can use.

Form feeds (``\\f``) separate pages when a file has them; otherwise long files
are cut every ``LINES_PER_PAGE`` lines and each page is labelled with its line
range ("lines 101–200"), so a citation names a real place in the file.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from engine.ingest.model import Extracted, ExtractedPage, ReadRequest, clean_text

LINES_PER_PAGE = 100
# Files at most this long (and without form feeds) stay one page.
ONE_PAGE_CHARS = 8000

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def detect_encoding(data: bytes) -> tuple[str, int]:
    """The encoding of ``data`` and the length of its byte-order mark.

    UTF-8 (with or without BOM), UTF-16/32 by BOM, UTF-16 without BOM by its
    zero bytes, else Windows-1252 (a superset of Latin-1, what Western
    Windows programs write).
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, len(bom)
    sample = data[:4096]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
            return "utf-16-le", 0
        if even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
            return "utf-16-be", 0
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A file cut inside its last character is still UTF-8, if UTF-8 characters came before.
        cut_at_end = exc.reason == "unexpected end of data" and exc.start >= len(data) - 3
        if not (cut_at_end and not data[:exc.start].isascii()):
            return "cp1252", 0
    return "utf-8", 0


def decode_text(data: bytes) -> str:
    """Decode bytes as text in their detected encoding; never fails (bad bytes become U+FFFD)."""
    encoding, skip = detect_encoding(data)
    return data[skip:].decode(encoding, errors="replace")


def text_pages(text: str) -> list[ExtractedPage]:
    """Pages from form feeds, else line-numbered chunks for long text."""
    text = clean_text_keep_ff(text)
    if "\f" in text:
        return [ExtractedPage(number=i, text=clean_text(chunk))
                for i, chunk in enumerate(text.split("\f"), start=1)]
    text = clean_text(text)
    if len(text) <= ONE_PAGE_CHARS:
        return [ExtractedPage(number=1, text=text)]
    lines = text.splitlines(keepends=True)
    pages = []
    for number, first in enumerate(range(0, len(lines), LINES_PER_PAGE), start=1):
        chunk = lines[first:first + LINES_PER_PAGE]
        last = first + len(chunk)
        label = f"line {first + 1}" if len(chunk) == 1 else f"lines {first + 1}–{last}"
        pages.append(ExtractedPage(number=number, text="".join(chunk), label=label))
    return pages


def clean_text_keep_ff(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


TEXT_TYPES = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".tsv": "csv"}


def read_text(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    return extract_text(path)


def extract_text(path: Path, data: bytes | None = None) -> Extracted:
    """A text, Markdown or CSV file; the first Markdown heading becomes the title."""
    raw = path.read_bytes() if data is None else data
    text = decode_text(raw)
    kind = TEXT_TYPES.get(path.suffix.lower(), "text")
    title = None
    if kind == "markdown":
        for line in text.splitlines()[:50]:
            if line.startswith("# ") and line[2:].strip():
                title = clean_text(line[2:].strip())[:300]
                break
    return Extracted(type=kind, pages=text_pages(text), title=title)

