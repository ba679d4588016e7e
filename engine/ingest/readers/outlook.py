"""Outlook messages (.msg) read with olefile: the MAPI properties of a message stored in an
OLE compound file ([MS-OXMSG]), its attachments and the messages attached to it.

Not extract-msg: it is GPL-licensed and brings seven more packages (RTF decoders, tzlocal,
BeautifulSoup ...) for what is a few property streams here.
"""

from __future__ import annotations

import codecs
import datetime as dt
import struct
from pathlib import Path
from typing import Any

from engine.ingest.model import CORRUPT, PASSWORD, ExtractionFailed
from engine.ingest.readers.htmltext import decode_html
from engine.ingest.readers.mailparts import MAX_DEPTH, Message
from engine.ingest.readers.textfiles import decode_text

# MAPI property ids ([MS-OXPROPS]) and the types their streams are stored in.
SUBJECT, SENDER_NAME, SENDER_EMAIL, SENDER_SMTP = 0x0037, 0x0C1A, 0x0C1F, 0x5D01
DISPLAY_TO, DISPLAY_CC, BODY, BODY_HTML, HEADERS = 0x0E04, 0x0E03, 0x1000, 0x1013, 0x007D
CLIENT_SUBMIT_TIME, DELIVERY_TIME = 0x0039, 0x0E06
# The code page of the message's 8-bit strings (PR_MESSAGE_CODEPAGE, PR_INTERNET_CPID).
MESSAGE_CODEPAGE, INTERNET_CPID = 0x3FFD, 0x3FDE
ATTACH_LONG_FILENAME, ATTACH_FILENAME, DISPLAY_NAME, ATTACH_DATA = 0x3707, 0x3704, 0x3001, 0x3701
PT_UNICODE, PT_STRING8, PT_BINARY, PT_OBJECT, PT_SYSTIME = 0x001F, 0x001E, 0x0102, 0x000D, 0x0040
PT_LONG = 0x0003
ATTACH_PREFIX = "__attach_version1.0_#"
PROPERTIES = "__properties_version1.0"
EMBEDDED = f"__substg1.0_{ATTACH_DATA:04X}{PT_OBJECT:04X}"
# Attachments read from one message (the rest are left out with the depth limit's words).
MAX_ATTACHMENTS = 500


def outlook_message(path: Path) -> Message:
    """The message in an Outlook .msg file, or ExtractionFailed saying why not."""
    import olefile

    try:
        if not olefile.isOleFile(str(path)):
            raise ExtractionFailed(CORRUPT, "not an Outlook message: the file is not an OLE "
                                   "compound file (damaged, or another kind of file)")
        ole = olefile.OleFileIO(str(path))
    except ExtractionFailed:
        raise
    except Exception as exc:
        raise ExtractionFailed(CORRUPT, f"not a readable Outlook message ({exc})") from exc
    try:
        if ole.exists("EncryptedPackage") or ole.exists("EncryptionInfo"):
            raise ExtractionFailed(PASSWORD, "this is a password-protected Office file with a "
                                   ".msg name, not an Outlook message")
        if not ole.exists(f"__substg1.0_{SUBJECT:04X}{PT_UNICODE:04X}") and not any(
                entry[0].startswith("__substg1.0_") for entry in ole.listdir()):
            raise ExtractionFailed(CORRUPT, "not an Outlook message: the file has no message "
                                   "properties (another Office file with a .msg name)")
        return _message(ole, [], 0)
    finally:
        ole.close()


def _message(ole: Any, base: list[str], depth: int) -> Message:
    """The message stored under the storage ``base`` ([] for the file's own)."""
    props = _Properties(ole, base, header=32 if not base else 24)
    sender = props.string(SENDER_NAME)
    address = props.string(SENDER_SMTP) or props.string(SENDER_EMAIL)
    # An Exchange address ("/O=ORG/OU=.../CN=NAME") says nothing a person reads.
    if address and "@" in address and not address.startswith("/") and address not in sender:
        sender = f"{sender} <{address}>" if sender else address
    sent = props.time(CLIENT_SUBMIT_TIME) or props.time(DELIVERY_TIME)
    headers = {"From": sender, "To": props.string(DISPLAY_TO), "Cc": props.string(DISPLAY_CC),
               "Date": sent.strftime("%a, %d %b %Y %H:%M:%S +0000") if sent else
               _transport_date(props.string(HEADERS)), "Subject": props.string(SUBJECT)}
    html = props.string(BODY_HTML) or _html(props.binary(BODY_HTML), props.codepage())
    message = Message(headers=headers, text=props.string(BODY), html=html)
    storages = sorted({entry[len(base)] for entry in ole.listdir(streams=True, storages=True)
                       if len(entry) > len(base) and entry[:len(base)] == base
                       and entry[len(base)].startswith(ATTACH_PREFIX)})
    for storage in storages[:MAX_ATTACHMENTS]:
        where = [*base, storage]
        attach = _Properties(ole, where, header=8, codepage=props.codepage())
        name = attach.string(ATTACH_LONG_FILENAME) or attach.string(ATTACH_FILENAME) or \
            attach.string(DISPLAY_NAME) or "attachment"
        if ole.exists("/".join([*where, EMBEDDED])):
            if depth < MAX_DEPTH:
                inner = _message(ole, [*where, EMBEDDED], depth + 1)
                subject = inner.headers.get("Subject") or name
                message.attachments.append((subject if subject.lower().endswith(".msg")
                                            else f"{subject}.msg", inner))
            continue
        message.attachments.append((name, attach.binary(ATTACH_DATA)))
    return message


def _html(data: bytes, codepage: str | None) -> str:
    """An HTML body stored as bytes: in its declared charset, else the message's code page."""
    if not data:
        return ""
    if codepage and b"charset" not in data[:4096].lower():
        return data.decode(codepage, errors="replace")
    return decode_html(data)


def _transport_date(headers: str) -> str:
    for line in headers.splitlines():
        if line.lower().startswith("date:"):
            return line[5:].strip()
    return ""


class _Properties:
    """The properties of one message, recipient or attachment storage: variable-length
    ones in their own streams, fixed-length ones (times) in the properties stream."""

    def __init__(self, ole: Any, base: list[str], header: int,
                 codepage: str | None = None) -> None:
        self.ole = ole
        self.base = base
        self.header = header
        self._fixed: dict[int, tuple[int, bytes]] | None = None
        self._codepage = codepage

    def _stream(self, name: str) -> bytes | None:
        path = "/".join([*self.base, name])
        if not self.ole.exists(path):
            return None
        data: bytes = self.ole.openstream(path).read()
        return data

    def string(self, prop: int) -> str:
        data = self._stream(f"__substg1.0_{prop:04X}{PT_UNICODE:04X}")
        if data is not None:
            return data.decode("utf-16-le", errors="replace").rstrip("\x00")
        data = self._stream(f"__substg1.0_{prop:04X}{PT_STRING8:04X}")
        if not data:
            return ""
        codepage = self.codepage()
        try:   # a message claiming UTF-8 may still hold Windows-1252 strings
            text = data.decode(codepage, errors="strict" if codepage == "utf-8" else "replace") \
                if codepage else decode_text(data)
        except UnicodeDecodeError:
            text = decode_text(data)
        return text.rstrip("\x00")

    def codepage(self) -> str | None:
        """The Python codec of this storage's 8-bit strings, when the message names one."""
        if self._codepage is None:
            for prop in (INTERNET_CPID, MESSAGE_CODEPAGE):
                raw = self._value(prop, PT_LONG)
                if raw is None:
                    continue
                number = struct.unpack_from("<I", raw)[0]
                name = "utf-8" if number == 65001 else f"cp{number}"
                try:
                    codecs.lookup(name)
                except LookupError:
                    continue
                self._codepage = name
                break
            else:
                self._codepage = ""
        return self._codepage or None

    def binary(self, prop: int) -> bytes:
        return self._stream(f"__substg1.0_{prop:04X}{PT_BINARY:04X}") or b""

    def _value(self, prop: int, kind: int) -> bytes | None:
        """A fixed-length property's 8 bytes from the properties stream."""
        if self._fixed is None:
            self._fixed = {}
            data = self._stream(PROPERTIES) or b""
            for offset in range(self.header, len(data) - 15, 16):
                tag, _flags, value = struct.unpack_from("<II8s", data, offset)
                self._fixed[tag >> 16] = (tag & 0xFFFF, value)
        found = self._fixed.get(prop)
        return found[1] if found is not None and found[0] == kind else None

    def time(self, prop: int) -> dt.datetime | None:
        raw = self._value(prop, PT_SYSTIME)
        if raw is None:
            return None
        ticks = struct.unpack("<Q", raw)[0]   # 100 ns since 1601-01-01 (a FILETIME)
        if not ticks:
            return None
        try:
            return dt.datetime(1601, 1, 1) + dt.timedelta(microseconds=ticks // 10)
        except OverflowError:
            return None
