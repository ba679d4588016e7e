"""Untrusted text made safe for a terminal: control and format characters shown as escapes
(the one rule, in ``engine.rlm.words``, that exports follow too)."""

from __future__ import annotations

import json
import re
from typing import Any

from engine.rlm.words import printable as printable

# Written as escapes in JSON output: lone surrogates (file name bytes that are not UTF-8,
# as Python decodes them), and the C1 controls and format characters (bidi overrides,
# zero-width marks) a terminal would act on or hide; json.dumps already escapes C0 controls.
_ESCAPED = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff"
                      "\ud800-\udfff]")


def json_text(obj: Any, indent: int | None = None) -> str:
    """JSON for standard output, readable (non-ASCII kept) yet always encodable and safe on
    a terminal: the characters above are written as ``\\uXXXX`` escapes, which JSON readers
    turn back into the same string."""
    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    # Such a character can only stand inside a JSON string, where its escape means the same.
    return _ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
