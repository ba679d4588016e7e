"""The words for reused helper answers and for how many helper questions go out at once,
shared by the command line and the app (VOCABULARY.md: a sub-call is a helper question)."""

from __future__ import annotations

from engine.providers.concurrency import RATE_LIMITED

REUSED = "asked before: same answer reused, at no cost"
REUSED_TIP = ("The same question was asked earlier in this analysis or conversation, word "
              "for word, so its answer was reused: nothing was sent to the AI service and it "
              "cost nothing. It still counts toward the limit on helper questions.")
PACE_TIP = ("How many helper questions are sent to the AI service at the same time. When it "
            "asks us to slow down, half as many are sent (after the wait it asks for), then "
            "one more at a time as answers come back, up to the setting.")


def pace_line(previous: int, limit: int, reason: str, ceiling: int = 0,
              pause_s: float = 0.0) -> str:
    """"helper questions at a time: 32 → 16 (the AI service asked us to slow down)"."""
    change = f"helper questions at a time: {previous} → {limit}"
    if reason == RATE_LIMITED:
        wait = f"; waiting {pause_s:g} s as it asked" if pause_s > 0 else ""
        return f"{change} (the AI service asked us to slow down{wait})"
    if ceiling and limit >= ceiling:
        return f"{change} (back to the setting)"
    return f"{change} (answers are coming through again)"


def pace_worth_a_line(limit: int, reason: str, ceiling: int = 0) -> bool:
    """Whether a change gets a progress line of its own: each slow-down, and the return to
    the setting; the steps up in between would be a line per round of answers."""
    return reason == RATE_LIMITED or (ceiling > 0 and limit >= ceiling)


def reused_count(count: int) -> str:
    """"4 reused at no cost" for a summary line, "" for none."""
    return f"{count:,} reused at no cost" if count else ""
