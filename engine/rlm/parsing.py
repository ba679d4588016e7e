"""Find the code cells and any prose ``FINAL(...)`` in a model's reply."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A fence opens with ``` plus a tag on its own line and closes with ``` at a line start.
_BLOCK = re.compile(r"^[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)^[ \t]*```[ \t]*$",
                    re.DOTALL | re.MULTILINE)
CODE_TAGS = {"repl", "python", "py", "python3"}
_FINAL_START = re.compile(r"\bFINAL(_VAR)?\(")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ProseFinal:
    """A ``FINAL(...)`` written outside code: ``is_var`` when it was ``FINAL_VAR(name)``."""

    value: str
    is_var: bool


def code_blocks(reply: str) -> list[str]:
    """The code of every fenced block tagged repl or python, in order."""
    return [m.group(2) for m in _BLOCK.finditer(reply) if m.group(1).lower() in CODE_TAGS]


def strip_code(reply: str) -> str:
    """The reply without any fenced blocks (for a partial answer made of prose)."""
    return _BLOCK.sub("", reply).strip()


def _balanced_argument(text: str, start: int) -> str:
    """Text from ``start`` up to the parenthesis that closes the one before it."""
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start:i]
    return text[start:].rstrip().removesuffix(")")


def _unquote(value: str) -> str:
    value = value.strip()
    for quote in ('"""', "'''", '"', "'"):
        if len(value) >= 2 * len(quote) and value.startswith(quote) and value.endswith(quote):
            return value[len(quote):-len(quote)].strip()
    return value


def prose_final(reply: str) -> ProseFinal | None:
    """The last ``FINAL(...)`` / ``FINAL_VAR(...)`` outside fenced blocks, if any."""
    prose = strip_code(reply)
    matches = list(_FINAL_START.finditer(prose))
    if not matches:
        return None
    match = matches[-1]
    value = _unquote(_balanced_argument(prose, match.end()))
    is_var = match.group(1) is not None
    if is_var and not _IDENTIFIER.match(value):
        is_var = False  # FINAL_VAR("some literal text"): treat as the answer itself
    return ProseFinal(value=value, is_var=is_var)

