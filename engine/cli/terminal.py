"""Untrusted text made safe for a terminal: control and format characters shown as escapes."""

from __future__ import annotations

import unicodedata

# Control (C0, DEL, C1), format (bidi overrides and isolates, zero-width), surrogate and
# line/paragraph separator characters: a terminal would act on them (clear the screen, write
# the clipboard with OSC 52, hide a link with OSC 8, reorder a line) or choke on them.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Layout a reader needs: kept as they are in multi-line text.
_LAYOUT = frozenset("\n\t")


def _escape(ch: str) -> str:
    return ch.encode("unicode_escape").decode("ascii")


def printable(text: str, *, keep_layout: bool = True) -> str:
    """``text`` with every control or format character as a visible escape (``\\x1b``,
    ``\\u202e``); newlines and tabs stay unless ``keep_layout`` is False (a one-line field)."""
    keep = _LAYOUT if keep_layout else frozenset()
    return "".join(_escape(ch) if ch not in keep and unicodedata.category(ch) in _UNPRINTABLE
                   else ch for ch in text)
