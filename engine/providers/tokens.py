"""Sizes in tokens: characters per token learned from a server's usage, and the window a
server's "too long" error names."""

from __future__ import annotations

import re

DEFAULT_CHARS_PER_TOKEN = 4.0

_WINDOW_IN_ERROR = (
    re.compile(r"maximum context length is (\d[\d,]*)", re.IGNORECASE),
    re.compile(r"context size \((\d[\d,]*) tokens\)", re.IGNORECASE),
    re.compile(r"context (?:length|window|size) (?:of |is )?(\d[\d,]*)", re.IGNORECASE),
    re.compile(r"n_ctx\W+(\d+)", re.IGNORECASE),
)


def window_in_error(message: str) -> int | None:
    """The window a server's "context length exceeded" message names, if it names one."""
    for pattern in _WINDOW_IN_ERROR:
        match = pattern.search(message)
        if match:
            tokens = int(match.group(1).replace(",", ""))
            if tokens > 0:
                return tokens
    return None


class TokenGauge:
    """Characters per token, learned from the prompt tokens a server reports for the
    characters sent; ``DEFAULT_CHARS_PER_TOKEN`` until a server has said."""

    PER_MESSAGE = 4   # tokens of role and template around each message

    def __init__(self) -> None:
        self.chars_per_token: float = DEFAULT_CHARS_PER_TOKEN
        self.calibrated = False

    def observe(self, chars: int, messages: int, prompt_tokens: int) -> None:
        """One call: ``chars`` sent in ``messages`` messages came to ``prompt_tokens``."""
        text_tokens = prompt_tokens - self.PER_MESSAGE * messages
        if chars < 200 or text_tokens <= 0:
            return   # too small to say anything, or a server that reports no usage
        ratio = max(1.0, min(8.0, chars / text_tokens))
        # The densest text seen so far: an estimate too low risks an overflow, too high
        # only an earlier compaction.
        self.chars_per_token = ratio if not self.calibrated else min(self.chars_per_token,
                                                                     ratio)
        self.calibrated = True

    def tokens(self, text: str) -> int:
        return int(len(text) / self.chars_per_token) + 1

    def messages(self, messages: list[dict[str, str]]) -> int:
        return sum(self.tokens(m.get("content") or "") + self.PER_MESSAGE for m in messages)

    def chars(self, tokens: int) -> int:
        """About how many characters fit in ``tokens``."""
        return max(0, int(tokens * self.chars_per_token))
