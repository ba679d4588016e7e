"""What every e-mail reader shares: a message (headers, body, attachments) made into a
document whose text starts with its headers, and each attachment read by the reader of its
own format into a document of its own, recursively up to a depth limit."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from engine.ingest.formats import format_of, load
from engine.ingest.model import (
    EMPTY,
    TEXT,
    UNSUPPORTED,
    Extracted,
    ExtractedPage,
    ExtractionFailed,
    Part,
    ReadRequest,
    clean_text,
    usable_title,
)
from engine.ingest.readers.htmltext import html_to_text

# Attachments inside attachments are read this deep (a message attached to a message
# attached to ... is a crafted file, or a thread forwarded forever).
MAX_DEPTH = 3
# At most this many documents come out of one file, and this many bytes of attachments.
MAX_PARTS = 10_000
MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024 * 1024
# Each attachment is a document's worth of reading: the file's time limit grows by this much
# for each (up to the pool's ceiling), as it does for each page sent to OCR.
ATTACHMENT_SECONDS = 10.0
HEADERS = ("From", "To", "Cc", "Date", "Subject")
MESSAGE_KINDS = frozenset({"email"})


@dataclass
class Message:
    """A message as its format's reader found it, before it is made a document."""

    headers: dict[str, str]
    text: str = ""                 # the plain-text body
    html: str = ""                 # the HTML body, read when there is no plain one
    # (file name, bytes) for a file; (name, Message) for a message attached as such.
    attachments: list[tuple[str, bytes | Message]] = field(default_factory=list)
    raw_size: int = 0


@dataclass
class _Budget:
    """What reading one file has used so far, and where its attachments are copied to read
    them (one folder for the whole file: a folder per attachment cost half the time of
    reading a small message on a slow disk). ``close`` removes the folder."""

    parts: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)
    _folder: Path | None = None

    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="rlm-attachments-"))
        return self._folder

    def close(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def message_document(message: Message, request: ReadRequest, depth: int = 0,
                     budget: _Budget | None = None) -> Extracted:
    """The message as one page (headers, then body) and its attachments as parts."""
    budget = budget or _Budget()
    lines = [f"{name}: {value}" for name in HEADERS
             if (value := " ".join(clean_text(message.headers.get(name, "")).split()))]
    body = message.text
    if not body.strip() and message.html:
        body = html_to_text(message.html)[0]
    names = unique_names([name for name, _ in message.attachments])
    if names:
        lines.append("Attachments: " + ", ".join(names))
    text = clean_text("\n".join(lines) + "\n\n" + body.strip() + "\n")
    warnings: list[str] = []
    parts: list[Part] = []
    for name, (_, content) in zip(names, message.attachments, strict=True):
        try:
            parts.extend(_attachment(name, content, request, depth + 1, budget))
        except ExtractionFailed as exc:
            warnings.append(f"attachment {name!r} was not read: {exc.reason}")
    if depth == 0 and budget.skipped:
        warnings.append(budget.skipped[0] if len(budget.skipped) == 1 else
                        f"{budget.skipped[0]} (and {len(budget.skipped) - 1} more like it)")
    subject = message.headers.get("Subject")
    return Extracted(type="email", pages=[ExtractedPage(number=1, text=text, kind=TEXT)],
                     title=usable_title(subject), author=usable_title(message.headers.get(
                         "From")), warnings=warnings, parts=parts)


def _attachment(name: str, content: bytes | Message, request: ReadRequest, depth: int,
                budget: _Budget) -> list[Part]:
    """The attachment as a part, and its own parts after it (names prefixed with its own)."""
    if depth > MAX_DEPTH:
        budget.skipped.append(f"attachments nested deeper than {MAX_DEPTH} levels were not "
                              f"read ({name!r})")
        return []
    if budget.parts >= MAX_PARTS:
        budget.skipped.append(f"only the first {MAX_PARTS:,} attachments were read")
        return []
    if request.extend is not None:
        request.extend(ATTACHMENT_SECONDS)
    if isinstance(content, Message):
        data_hash = _hash(repr((content.headers, content.text, content.html,
                                [n for n, _ in content.attachments])).encode())
        extracted = message_document(content, request, depth, budget)
    else:
        budget.bytes += len(content)
        if budget.bytes > MAX_ATTACHMENT_BYTES:
            budget.skipped.append(f"attachments beyond {MAX_ATTACHMENT_BYTES // 2**20} MB "
                                  "in all were not read")
            return []
        data_hash = _hash(content)
        extracted = read_attachment(name, content, request, depth, budget)
    budget.parts += 1
    inner = [Part(f"{name}#{p.name}", p.content_hash, p.extracted) for p in extracted.parts]
    extracted.parts = []
    return [Part(name, data_hash, extracted), *inner]


def read_attachment(name: str, data: bytes, request: ReadRequest, depth: int,
                    budget: _Budget) -> Extracted:
    """An attached file read by the reader of its format (an e-mail by ours, one level
    deeper), from a temporary copy; raises ExtractionFailed when it cannot be."""
    fmt = format_of(Path(name))
    if fmt is None:
        suffix = PurePath(name).suffix.lower() or "(no extension)"
        raise ExtractionFailed(UNSUPPORTED, f"unsupported file type {suffix}")
    if not data:
        raise ExtractionFailed(EMPTY, "it is empty (0 bytes)")
    path = budget.folder() / f"{depth}{PurePath(name).suffix.lower()}"
    try:
        path.write_bytes(data)
        inner = ReadRequest(request.options, extend=request.extend)
        if fmt.kind in MESSAGE_KINDS:   # ours, one level deeper (named, as mail.py names us)
            read_message: Any = load("engine.ingest.readers.mail:read_message_file")
            return read_message(path, inner, depth, budget)
        extracted: Extracted = load(fmt.reader)(path, inner)
    finally:
        path.unlink(missing_ok=True)
    return extracted


def unique_names(names: list[str]) -> list[str]:
    """Attachment names safe for a virtual path ("#" and "/" replaced), made unique."""
    seen: dict[str, int] = {}
    out = []
    for raw in names:
        name = re.sub(r"[#/\\]", "_", " ".join(clean_text(raw).split()))[:200] or "attachment"
        count = seen.get(name.lower(), 0) + 1
        seen[name.lower()] = count
        if count > 1:
            stem, dot, ext = name.rpartition(".")
            name = f"{stem} ({count}).{ext}" if dot and stem else f"{name} ({count})"
        out.append(name)
    return out


def _hash(data: bytes) -> str:
    """As ``plan.file_hash`` hashes a file, so an attachment saved as a file is the same."""
    return hashlib.blake2b(data, digest_size=32).hexdigest()
