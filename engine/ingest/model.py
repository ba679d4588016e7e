"""What a reader is given (the batch's options, a page range, callbacks) and what it returns:
a document's pages and where they are, or why it failed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.store.pagekinds import (  # noqa: F401  (re-exported for the extractors)
    BLANK,
    DAMAGED,
    GARBLED,
    NO_TEXT_OCR,
    OCR,
    OCR_FAILED,
    TEXT,
)

# Failure kinds: a stable word for programs (the GUI asks for a password on "password"),
# next to the sentence for people.
PASSWORD = "password"
UNSUPPORTED = "unsupported"
CORRUPT = "corrupt"
EMPTY = "empty"
TOO_LARGE = "too_large"
TIMEOUT = "timeout"
CRASHED = "crashed"
UNREADABLE = "unreadable"   # the operating system would not let us read it
MISSING = "missing"


@dataclass
class ExtractOptions:
    """Per-batch choices that change what extraction does (sent to each worker)."""

    passwords: list[str] = field(default_factory=list)
    ocr: str = "auto"          # "auto": OCR scanned pages when Tesseract is installed; "off"
    ocr_language: str = "eng"


@dataclass(frozen=True)
class ReadRequest:
    """What a reader is asked to do with one file (see ``engine/ingest/formats.py``)."""

    options: ExtractOptions
    pages: tuple[int, int | None] | None = None     # a range of page indexes; None: all
    progress: Callable[[int], None] | None = None   # pages read so far, now and then
    extend: Callable[[float], None] | None = None   # ask the pool for more seconds


class ExtractionFailed(Exception):
    """A file cannot be ingested; ``reason`` is the sentence shown to the user."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass
class ExtractedPage:
    """One page (or, for files without pages, one located chunk) of a document."""

    number: int
    text: str
    label: str | None = None
    kind: str = TEXT


@dataclass
class Extracted:
    """A whole document as read from one file."""

    type: str
    pages: list[ExtractedPage]
    title: str | None = None
    author: str | None = None
    warnings: list[str] = field(default_factory=list)
    # A document read in page ranges: its page count (the pipeline joins the ranges, then
    # its format finishes the whole); the rest is what a PDF's warnings are worded from.
    total_pages: int | None = None
    repaired: bool = False           # its page tree was rebuilt by us
    damaged: bool = False            # MuPDF had to repair its structure to open it
    ocr: str = ""                    # pages needed OCR and it was: "off", "missing", "available"
    # Which given password opened it (an encrypted PDF): the pipeline remembers it in the OS
    # keyring for reading the file again; it is never written to the library.
    password: str | None = None
    # Documents inside this file (an e-mail's attachments, a mailbox's messages): each is
    # stored as a document of its own at the virtual path "<file>#<name>" (see Part).
    parts: list[Part] = field(default_factory=list)

    @property
    def chars(self) -> int:
        return sum(len(p.text) for p in self.pages)


@dataclass
class Part:
    """A document read from inside a file, stored as its own document linked to the file's:
    its path is the file's with ``#name`` added ("mail.eml#contract.pdf"; a part of a part
    adds another, "box.mbox#message 3#contract.pdf"), and its content is known by the hash
    of its own bytes, so the same attachment in two messages is stored once."""

    name: str
    content_hash: str
    extracted: Extracted


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Text safe for the store and the REPL: no control characters, no lone surrogates.

    Fonts without a Unicode map make PDF readers emit control bytes; lone
    surrogates cannot be written as UTF-8. Tabs and newlines are kept,
    Windows line ends become ``\\n``.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return _SURROGATE.sub("\ufffd", text)


_JUNK_TITLE = re.compile(
    r"^(untitled.*|(word )?document\d*|doc\d*|slide \d+|title|pdf|none|null|unknown|\W*"
    r"|.*\.(docx?|pdf|tmp|rtf|odt|indd|qxd|txt|html?|ps|dvi|tex)"
    r"|microsoft (word|powerpoint) - .*)$", re.IGNORECASE)


def usable_title(title: str | None) -> str | None:
    """A metadata title worth showing, or None for the usual junk ("Untitled", "Document1")."""
    if not title:
        return None
    title = " ".join(clean_text(title).split())
    if len(title) < 3 or _JUNK_TITLE.match(title):
        return None
    return title[:300]
