"""Keep the main model's conversation inside its window: elide old turns, then summarise them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from engine.providers.tokens import TokenGauge
from engine.rlm.parsing import clip_middle

Messages = list[dict[str, str]]
# Writes the summary: given the request's messages, the model's text, or None when no call
# may be made (a limit, a failure).
Summarize = Callable[[Messages], Awaitable[str | None]]

THRESHOLD = 0.85     # compact when the next request would pass this share of the window
TARGET = 0.6         # ... down to this share, so the next steps have room again
HARD_TARGET = 0.45   # after a server said the request was too long after all
SUMMARY_SHARE = 0.6  # of the window, for the summary request's record of the work
TAIL = 4             # the last two exchanges (a reply and its outputs, twice) stay whole
MAX_STUBS = 12       # more elided turns than this and the model summarises them instead
MIN_RECORD_TOKENS = 256   # a summary request with less room for the record is not worth it
STUB_PREFIX = "[elided"
SUMMARY_HEAD = "Summary of my work so far:"

SUMMARY_REQUEST = """\
The conversation is getting too long for the model's context window, so your earlier \
steps will be replaced by a summary you write now. Below is the record of those steps.

{record}

Summarise your progress so far, for yourself to continue from:
1. Which parts of the question you have finished, and which remain.
2. The concrete results so far (numbers, names, quotes, page references, and the names of \
the REPL variables that hold them), exactly.
3. What you will do next.
Write plain prose in at most three short paragraphs. Do not write code and do not call \
FINAL now."""

SUMMARY_NOTE = ("[The earlier steps were replaced by the summary above to stay within the "
                "model's context window; the variables in the REPL are all still there "
                "(SHOW_VARS() lists them). The latest steps follow. Do not repeat finished "
                "work.]")


@dataclass(frozen=True)
class Compaction:
    """What one compaction did, for the HistoryCompacted event."""

    before_tokens: int
    after_tokens: int
    window: int
    elided: int
    summary: str | None
    harder: bool


def stub(text: str, role: str) -> str:
    what = "older output" if role == "user" else "an older reply of yours"
    return f"{STUB_PREFIX}: {len(text):,} characters of {what}; re-run code if you need it again]"


class WindowKeeper:
    """Compacts one run's messages; the question's turns (``protected``) are never touched."""

    def __init__(self, protected: list[dict[str, str]], gauge: TokenGauge) -> None:
        self.protected = {id(message) for message in protected}
        self.gauge = gauge
        self._originals: dict[int, str] = {}   # text of elided turns, for the summary
        self.count = 0

    def protect(self, message: dict[str, str]) -> None:
        self.protected.add(id(message))

    def over(self, messages: Messages, window: int) -> bool:
        return self.gauge.messages(messages) > THRESHOLD * window

    async def fit(self, messages: Messages, window: int, summarize: Summarize, *,
                  harder: bool = False) -> Compaction | None:
        """Compact ``messages`` in place when the next request would pass THRESHOLD of
        ``window`` (always when ``harder``); what was done, or None when nothing was."""
        before = self.gauge.messages(messages)
        if not harder and before <= THRESHOLD * window:
            return None
        target = int((HARD_TARGET if harder else TARGET) * window)
        elided = self._elide(messages, target)
        summary = None
        if harder or self.gauge.messages(messages) > target or self._stubs(messages) > MAX_STUBS:
            start, end = self._segment(messages)
            fresh = any(not m["content"].startswith((SUMMARY_HEAD, SUMMARY_NOTE))
                        for m in messages[start:end])   # not only the last summary again
            request = self._summary_request(messages, start, end, window) \
                if end - start >= 2 and fresh else None
            if request is not None:
                summary = await summarize(request)
                if summary:
                    self._replace(messages, start, end, summary)
        if self.gauge.messages(messages) > target:
            self._squeeze(messages, target)
        after = self.gauge.messages(messages)
        if after >= before and not summary:
            return None   # nothing could be shortened (say, a window smaller than the start)
        self.count += 1
        return Compaction(before, after, window, elided, summary or None, harder)

    # --- the steps ----------------------------------------------------------------------

    def _movable(self, messages: Messages) -> range:
        """Indices that may be elided: not the first two, not the tail, never protected."""
        return range(2, max(2, len(messages) - TAIL))

    def _elide(self, messages: Messages, target: int) -> int:
        """The oldest outputs first, then the oldest replies, until under ``target``."""
        count = 0
        total = self.gauge.messages(messages)
        for role in ("user", "assistant"):
            for index in self._movable(messages):
                if total <= target:
                    return count
                message = messages[index]
                text = message["content"]
                if (message["role"] != role or id(message) in self.protected
                        or text.startswith(STUB_PREFIX)):
                    continue
                short = stub(text, role)
                if len(short) >= len(text):
                    continue   # already shorter than a note saying it was elided
                self._originals[id(message)] = text
                message["content"] = short
                total -= self.gauge.tokens(text) - self.gauge.tokens(short)
                count += 1
        return count

    def _stubs(self, messages: Messages) -> int:
        return sum(1 for i in self._movable(messages)
                   if messages[i]["content"].startswith(STUB_PREFIX))

    def _segment(self, messages: Messages) -> tuple[int, int]:
        """The turns a summary may replace: after the last protected turn, before the tail,
        starting on a reply so the roles still alternate once it is replaced."""
        start = 2
        for index in self._movable(messages):
            if id(messages[index]) in self.protected:
                start = index + 1
        end = max(start, len(messages) - TAIL)
        while start < end and messages[start]["role"] != "assistant":
            start += 1
        if (end - start) % 2:
            end -= 1
        return start, end

    def _summary_request(self, messages: Messages, start: int, end: int,
                         window: int) -> Messages | None:
        """The system prompt and the question's turn, then the record of the steps to
        summarise in one user turn, cut in the middle to fit the window; without the system
        prompt when the window is small; None when not even that would fit."""
        lines = []
        for message in messages[start:end]:
            text = self._originals.get(id(message), message["content"])
            who = "You wrote" if message["role"] == "assistant" else "The REPL answered"
            lines.append(f"--- {who}:\n{text}")
        head = messages[:2]
        room = int(SUMMARY_SHARE * window) - self.gauge.tokens(SUMMARY_REQUEST)
        if room - self.gauge.messages(head) < MIN_RECORD_TOKENS:
            head = messages[1:2]   # the question's turn is what the summary must serve
        room -= self.gauge.messages(head)
        if room < MIN_RECORD_TOKENS:
            return None
        record = clip_middle("\n\n".join(lines), self.gauge.chars(room))
        return [*[dict(m) for m in head],
                {"role": "user", "content": SUMMARY_REQUEST.format(record=record)}]

    def _replace(self, messages: Messages, start: int, end: int, summary: str) -> None:
        for message in messages[start:end]:
            self._originals.pop(id(message), None)
        messages[start:end] = [{"role": "assistant", "content": f"{SUMMARY_HEAD}\n{summary}"},
                               {"role": "user", "content": SUMMARY_NOTE}]

    def _squeeze(self, messages: Messages, target: int) -> None:
        """Last resort: every movable turn elided, then the tail's longest texts cut in the
        middle, until the request fits (the question's turns stay whole)."""
        for index in self._movable(messages):
            message = messages[index]
            text = message["content"]
            short = stub(text, message["role"])
            if id(message) not in self.protected and len(short) < len(text) \
                    and not text.startswith(SUMMARY_HEAD):
                self._originals[id(message)] = text
                message["content"] = short
        for _ in range(TAIL * 2):
            excess = self.gauge.messages(messages) - target
            if excess <= 0:
                return
            candidates = [m for m in messages[2:] if id(m) not in self.protected]
            if not candidates:
                return
            longest = max(candidates, key=lambda m: len(m["content"]))
            keep = max(200, len(longest["content"]) - self.gauge.chars(excess) - 200)
            if keep >= len(longest["content"]):
                return
            longest["content"] = clip_middle(longest["content"], keep)
