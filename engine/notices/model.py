"""One component's notice: its name, version, licence, web addresses and licence texts."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Notice:
    name: str
    version: str
    licence: str
    urls: tuple[str, ...] = ()
    texts: tuple[tuple[str, str], ...] = ()   # (file name, full text)
    note: str = ""

    def render(self) -> str:
        lines = ["=" * 78, f"{self.name} {self.version}".strip(), f"Licence: {self.licence}"]
        lines += [f"Web: {url}" for url in self.urls]
        if self.note:
            lines += ["", self.note]
        for file_name, text in self.texts:
            lines += ["", f"--- {file_name} ---", "", clean(text).strip("\n")]
        return "\n".join(lines)


def clean(text: str) -> str:
    """Plain text with one kind of line end and no control characters (form feeds included)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
