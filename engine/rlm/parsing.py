"""Find the code cells and any prose ``FINAL(...)`` in a model's reply."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A fence opens with ``` plus a tag on its own line and closes with ``` at a line start,
# or not at all: servers that use ``` as a stop sequence end the reply before it.
_BLOCK = re.compile(r"^[ \t]*```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:^[ \t]*```[ \t]*$|\Z)",
                    re.DOTALL | re.MULTILINE)
CODE_TAGS = {"repl", "python", "py", "python3"}
# Only at the start of a line: "then I will call FINAL(answer)" in a plan is not an answer.
_FINAL_START = re.compile(r"^[ \t>*_]*FINAL(_VAR)?\(", re.MULTILINE)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ProseFinal:
    """A ``FINAL(...)`` written outside code: ``is_var`` when it was ``FINAL_VAR(name)``."""

    value: str
    is_var: bool


def code_blocks(reply: str) -> list[str]:
    """The code of every fenced block tagged repl or python, in order."""
    return [m.group(2) for m in _BLOCK.finditer(reply) if m.group(1).lower() in CODE_TAGS]


def ends_in_open_block(reply: str) -> bool:
    """True when the reply's last code fence was opened and never closed."""
    matches = list(_BLOCK.finditer(reply))
    return bool(matches) and matches[-1].group(1).lower() in CODE_TAGS \
        and not matches[-1].group(0).rstrip().endswith("```")


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


def clip_middle(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, keeping its head and tail."""
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - 2 * half
    return f"{text[:half]}\n... [{cut:,} characters cut] ...\n{text[-half:]}"
