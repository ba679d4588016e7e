"""The document formats rlm reads: one entry per format, which the walk, the pipeline, the
pool and the help texts read instead of asking what kind of file something is.

Adding a format takes a reader module and one entry:

1. Write ``engine/ingest/readers/<name>.py`` with a function
   ``read_<name>(path: Path, request: ReadRequest) -> Extracted`` that returns the
   document's pages (each with a number, or a label a person can find, such as
   "lines 101–200") or raises ``ExtractionFailed(kind, reason)`` with a sentence saying
   what to do. Import heavy libraries inside functions: this registry names readers as
   "module:function", and only a process that reads such a file imports its module.
2. Add a ``Format`` to ``FORMATS`` below: kind, suffixes, the reader's name, the label
   for "rlm reads ..." and any limits. Readers run in worker processes under a time and
   memory limit; only pure-Python readers that cannot crash or hang on bad bytes may
   read small files in the calling process (``in_process_max_bytes``).
3. Test the reader in ``tests/engine/ingest/readers/``; ``test_formats.py`` fails when an
   entry names a function that does not exist. The desktop app's file dialog offers
   every suffix in the table.

A format whose long files are worth reading by several workers at once (PDF) also
gives ``ranges``: its reader honours ``request.pages``, sets ``Extracted.total_pages``,
and ``Ranges.finish`` turns the joined ranges into the whole document.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.ingest.model import Extracted, ReadRequest

Reader = Callable[[Path, ReadRequest], Extracted]


@dataclass(frozen=True)
class Ranges:
    """How a format read in page ranges is put together: ``finish`` ("module:function")
    takes the joined ranges, words the warnings and may refuse the whole with
    ExtractionFailed; ``release`` closes what the reader keeps open for a next range."""

    finish: str
    release: str | None = None


@dataclass(frozen=True)
class Format:
    """One format: which files it covers and how they are read.

    ``reader`` names a Reader as "module:function"; ``label`` is what "rlm reads ..."
    calls the format (None: not advertised); ``failed_type`` is the type a file that
    could not be read is listed with (None: its suffix). Files up to
    ``in_process_max_bytes`` are read in the calling process (None: every file in a
    worker); files above ``max_text_bytes`` are refused unread (they would fit no context).
    ``preload`` names modules the workers' fork server imports once, so that every
    worker starts with them. ``parts``: its documents may hold documents of their own
    (``Extracted.parts``: an e-mail's attachments), stored at "<file>#<name>". ``about``
    names a function ("module:function") saying what reads it and whether an optional
    tool it needs is installed, for ``rlm info``.
    """

    kind: str
    suffixes: frozenset[str]   # lower case, with the dot
    reader: str
    label: str | None = None
    failed_type: str | None = None
    in_process_max_bytes: int | None = None
    max_text_bytes: int | None = None
    ranges: Ranges | None = None
    preload: tuple[str, ...] = ()
    parts: bool = False
    about: str | None = None

    def reads_in_process(self, size: int) -> bool:
        return self.in_process_max_bytes is not None and size <= self.in_process_max_bytes


MB = 1024 * 1024
TEXT_IN_PROCESS_MAX_BYTES = 4 * MB
MAX_TEXT_BYTES = 512 * MB

FORMATS: tuple[Format, ...] = (
    Format(kind="pdf", suffixes=frozenset({".pdf"}),
           reader="engine.ingest.readers.pdf:read_pdf", label="PDF", failed_type="pdf",
           ranges=Ranges(finish="engine.ingest.readers.pdf:finish_pdf",
                         release="engine.ingest.readers.pdf:release_kept"),
           preload=("engine.ingest.readers.pdf", "pymupdf")),
    Format(kind="word", suffixes=frozenset({".docx", ".docm", ".dotx", ".dotm"}),
           reader="engine.ingest.readers.wordfile:read_word", label="Word (.docx)"),
    # Word 97–2003 from its piece table; a .docx, RTF or HTML file misnamed .doc is read too.
    Format(kind="legacy_word", suffixes=frozenset({".doc", ".dot"}),
           reader="engine.ingest.readers.legacyword:read_legacy_word",
           label="Word 97–2003 (.doc)", failed_type="word97",
           about="engine.ingest.readers.about:about_legacy_word"),
    Format(kind="rtf", suffixes=frozenset({".rtf"}),
           reader="engine.ingest.readers.rtf:read_rtf", label="RTF", failed_type="rich_text",
           about="engine.ingest.readers.about:about_rtf"),
    Format(kind="odt", suffixes=frozenset({".odt", ".ott"}),
           reader="engine.ingest.readers.odt:read_odt", label="OpenDocument text (.odt)",
           failed_type="opendocument", about="engine.ingest.readers.about:about_odt"),
    Format(kind="text",
           suffixes=frozenset({".txt", ".text", ".md", ".markdown", ".rst", ".csv", ".tsv",
                               ".log", ".json", ".xml", ".yaml", ".yml", ".ini", ".tex"}),
           reader="engine.ingest.readers.textfiles:read_text",
           label="plain text, Markdown, CSV", failed_type="text",
           in_process_max_bytes=TEXT_IN_PROCESS_MAX_BYTES, max_text_bytes=MAX_TEXT_BYTES),
    Format(kind="html", suffixes=frozenset({".html", ".htm", ".xhtml"}),
           reader="engine.ingest.readers.htmltext:read_html", label="HTML",
           failed_type="html", in_process_max_bytes=TEXT_IN_PROCESS_MAX_BYTES,
           max_text_bytes=MAX_TEXT_BYTES),
    # E-mail, spreadsheets, slides and pictures (issue 16): each read in a worker.
    Format(kind="email", suffixes=frozenset({".eml", ".msg", ".mbox"}),
           reader="engine.ingest.readers.mail:read_email", label="e-mail (.eml, .msg, .mbox)",
           failed_type="email", parts=True,
           about="engine.ingest.readers.about:about_email"),
    Format(kind="spreadsheet", suffixes=frozenset({".xlsx", ".xlsm"}),
           reader="engine.ingest.readers.spreadsheet:read_xlsx", label="Excel (.xlsx)",
           failed_type="spreadsheet", about="engine.ingest.readers.about:about_spreadsheet"),
    Format(kind="slides", suffixes=frozenset({".pptx"}),
           reader="engine.ingest.readers.slides:read_pptx", label="PowerPoint (.pptx)",
           failed_type="slides", about="engine.ingest.readers.about:about_slides"),
    Format(kind="image", suffixes=frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"}),
           reader="engine.ingest.readers.images:read_image", label="pictures (OCR)",
           failed_type="image", about="engine.ingest.readers.about:about_images"),
)

BY_SUFFIX: dict[str, Format] = {s: f for f in FORMATS for s in f.suffixes}
SUPPORTED_SUFFIXES = frozenset(BY_SUFFIX)
_LABELS = [f.label for f in FORMATS if f.label]
SUPPORTED_TEXT = ", ".join(_LABELS[:-1]) + " and " + _LABELS[-1]


def format_of(path: Path) -> Format | None:
    """The format of a file, by its suffix; None for files we do not read."""
    return BY_SUFFIX.get(path.suffix.lower())


def unsupported_reason(path: Path) -> str:
    suffix = path.suffix.lower() or "(no extension)"
    return f"unsupported file type {suffix}; rlm reads {SUPPORTED_TEXT} files"


@functools.cache
def load(name: str) -> Callable[..., Any]:
    """The function named "module:function", imported on first use."""
    module, _, function = name.partition(":")
    found: Callable[..., Any] = getattr(importlib.import_module(module), function)
    return found
