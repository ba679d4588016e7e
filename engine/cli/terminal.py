"""Untrusted text made safe for a terminal: control and format characters shown as escapes
(the one rule, in ``engine.rlm.words``, that exports follow too)."""

from __future__ import annotations

from engine.rlm.words import printable as printable
