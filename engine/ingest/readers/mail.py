"""E-mail files: a message (.eml, with the standard library's ``email``), an Outlook
message (.msg, see ``outlook.py``) and a mailbox (.mbox, one document per message).

A message is one document located as the message: its headers (from, to, cc, date,
subject) head its text, an HTML body is read as text, and each attachment becomes a
document of its own linked to the message (see ``mailparts.py``).
"""

from __future__ import annotations

import email.policy
import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message as MimeMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from engine.ingest.model import (
    CORRUPT,
    EMPTY,
    TEXT,
    Extracted,
    ExtractedPage,
    ExtractionFailed,
    Part,
    ReadRequest,
    clean_text,
)
from engine.ingest.readers.mailparts import (
    ATTACHMENT_SECONDS,
    HEADERS,
    Message,
    _Budget,
    _hash,
    message_document,
)
from engine.ingest.readers.textfiles import decode_text

# A mailbox gives at most this many documents (messages and their attachments).
MAX_MAILBOX_DOCUMENTS = 50_000
# A message whose structure nests deeper than this (multipart inside multipart ...) is
# read to this depth only.
MAX_MIME_DEPTH = 30


def read_email(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    return read_message_file(path, request, 0, None)


def read_message_file(path: Path, request: ReadRequest, depth: int,
                      budget: _Budget | None) -> Extracted:
    """A .eml, .msg or .mbox file at ``depth`` levels of attachment (0: the file itself)."""
    if budget is None:   # the file itself: its attachments' copies go when it is read
        budget = _Budget()
        try:
            return read_message_file(path, request, depth, budget)
        finally:
            budget.close()
    if path.stat().st_size == 0:
        raise ExtractionFailed(EMPTY, "the file is empty (0 bytes)")
    suffix = path.suffix.lower()
    if suffix == ".mbox":
        return read_mailbox(path, request, depth, budget)
    if suffix == ".msg":
        from engine.ingest.readers.outlook import outlook_message

        return message_document(outlook_message(path), request, depth, budget)
    return message_document(parse_eml(path.read_bytes()), request, depth, budget)


def parse_eml(data: bytes) -> Message:
    """A MIME message's headers, body and attachments (attached messages as .eml files).

    Parsed with the ``compat32`` policy, decoding only the headers shown: the default
    policy parses every header into objects, two thirds of the time of reading a message.
    """
    try:
        parsed = BytesParser(policy=email.policy.compat32).parsebytes(data)
    except Exception as exc:   # the parser is lenient: this is a broken file indeed
        raise ExtractionFailed(CORRUPT, f"not a readable e-mail message ({exc})") from exc
    if not any(parsed.get(name) for name in (*HEADERS, "Message-ID", "Received")):
        raise ExtractionFailed(CORRUPT, "not an e-mail message: it has no From, To, Date or "
                               "Subject header")
    message = Message(headers={name: _header(parsed, name) for name in HEADERS},
                      raw_size=len(data))
    _walk(parsed, message, 0)
    return message


def _walk(part: Any, message: Message, depth: int) -> None:
    """Fill the message's bodies and attachments from one MIME part and those inside it."""
    if depth > MAX_MIME_DEPTH:
        return
    content_type = part.get_content_type()
    filename = _filename(part)
    attached = part.get_content_disposition() == "attachment"
    if content_type == "message/rfc822" and (attached or filename):
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, MimeMessage):
            subject = _header(inner, "Subject") or "attached message"
            message.attachments.append((_eml_name(filename or subject), inner.as_bytes()))
        return
    if part.is_multipart():
        payload = part.get_payload()
        for inner in payload if isinstance(payload, list) else ():
            _walk(inner, message, depth + 1)
        return
    if attached or (filename and part.get_content_maintype() != "text"):
        message.attachments.append((filename or "attachment", _payload(part)))
        return
    if content_type == "text/plain" and not message.text:
        message.text = _text(part)
    elif content_type == "text/html" and not message.html:
        message.html = _text(part)
    elif filename:
        message.attachments.append((filename, _payload(part)))


def _decoded(value: Any) -> str:
    """A header's text with its encoded words (=?utf-8?...?=) decoded."""
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:   # a malformed encoded word or an unknown charset: the raw text
        return str(value)


def _header(message: Any, name: str) -> str:
    return ", ".join(_decoded(v) for v in message.get_all(name, failobj=[]))


def _filename(part: Any) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    return _decoded(name) if name else None


def _payload(part: Any) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _text(part: Any) -> str:
    data = _payload(part)
    charset = part.get_content_charset()
    if charset:
        try:
            return data.decode(charset, errors="replace")
        except LookupError:   # an unknown charset: as a text file would be
            pass
    return decode_text(data)


def _eml_name(name: str) -> str:
    name = " ".join(name.split())[:120]
    return name if name.lower().endswith(".eml") else f"{name}.eml"


def read_mailbox(path: Path, request: ReadRequest, depth: int, budget: _Budget) -> Extracted:
    """A mailbox: an index page listing its messages, each message a document of its own
    ("box.mbox#message 3"), its attachments after it ("box.mbox#message 3#contract.pdf")."""
    index: list[str] = []
    parts: list[Part] = []
    warnings: list[str] = []
    for number, data in enumerate(mbox_messages(path), start=1):
        if len(parts) >= MAX_MAILBOX_DOCUMENTS:
            warnings.append(f"only the first {MAX_MAILBOX_DOCUMENTS:,} messages and "
                            "attachments were read")
            break
        name = f"message {number}"
        try:
            extracted = message_document(parse_eml(data), request, depth, budget)
        except ExtractionFailed as exc:
            warnings.append(f"{name} was not read: {exc.reason}")
            continue
        headline = extracted.pages[0].text.split("\n\n", 1)[0].replace("\n", "; ")
        index.append(f"{name}: {headline}")
        warnings.extend(f"{name}: {w}" for w in extracted.warnings)
        inner = [Part(f"{name}#{p.name}", p.content_hash, p.extracted)
                 for p in extracted.parts]
        extracted.parts = []
        parts.extend([Part(name, _hash(data), extracted), *inner])
        if number % 100 == 0:   # a large mailbox is many documents: more time, and progress
            if request.extend is not None:
                request.extend(ATTACHMENT_SECONDS)
            if request.progress is not None:
                request.progress(number)
    if not index:
        why = f" ({warnings[0]})" if warnings else ""
        raise ExtractionFailed(CORRUPT, f"not a mailbox: no message could be read in it{why}")
    text = clean_text(f"Mailbox of {len(index)} message{'s' * (len(index) != 1)}\n"
                      + "\n".join(index) + "\n")
    return Extracted(type="mailbox", pages=[ExtractedPage(number=1, text=text, kind=TEXT)],
                     warnings=warnings[:50], parts=parts)


_ESCAPED_FROM = re.compile(rb"^>(>*From )")


def mbox_messages(path: Path) -> Iterator[bytes]:
    """The messages of an mbox file, one at a time: each starts at a "From " line at the
    start of the file or after an empty line (">From " lines inside are unescaped). The file
    is only read, never opened for writing or locked as ``mailbox.mbox`` does."""
    lines: list[bytes] = []
    previous_blank = True
    with open(path, "rb") as fh:
        for line in fh:
            if line.startswith(b"From ") and previous_blank:
                if lines:
                    yield b"".join(lines)
                lines = []
            elif lines or not line.startswith(b"From "):
                lines.append(_ESCAPED_FROM.sub(rb"\1", line))
            previous_blank = not line.strip()
    if lines:
        yield b"".join(lines)
