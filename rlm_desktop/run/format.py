"""Words and numbers of the run panel and history, for a reader who does not program (no Qt)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from engine.events import StopReason
from engine.rlm.citations import replace_markers
from engine.rlm.parsing import strip_code
from rlm_desktop.advice import in_app


def plain_citations(text: str) -> str:
    """``[[cite doc=3 page=12 quote="..."]]`` as a short "[doc 3, p. 12]" (the Ask panel
    shows the clickable form with titles)."""
    return replace_markers(text, lambda cite: f"[doc {cite.doc_id}, p. {cite.page}]")


def markdown_citations(text: str) -> str:
    """Markdown whose citation markers read "[doc 3, p. 12]", as text: the brackets are
    escaped, so the answer around them can never turn them into a link."""
    return replace_markers(text, lambda cite: f"\\[doc {cite.doc_id}, p. {cite.page}\\]")


# How each way of ending reads in the panel (short) and in a sentence (long).
STOP_TEXT: dict[StopReason, tuple[str, str]] = {
    StopReason.ANSWERED: ("Answered", "The model found an answer."),
    StopReason.MAX_ITERATIONS: ("Stopped at the step limit",
                                "The run used all its steps; this is its best answer so far."),
    StopReason.BUDGET: ("Stopped at the spending limit",
                        "The run reached its spending limit; this is its best answer so far."),
    StopReason.TIMEOUT: ("Stopped at the time limit",
                         "The run reached its time limit; this is its best answer so far."),
    StopReason.MAX_SUB_CALLS: ("Stopped: too many helper questions",
                               "The run asked as many helper questions as allowed; this is its "
                               "best answer."),
    StopReason.MAX_ERRORS: ("Stopped: the model's code kept failing",
                            "The model's code failed several times in a row, so the run "
                            "stopped."),
    StopReason.CANCELLED: ("Stopped by you", "You stopped this run; what it found so far is kept."),
    StopReason.PROVIDER_ERROR: ("The AI service failed",
                                "The AI service returned an error; check the connection in "
                                "Settings."),
    StopReason.SANDBOX_ERROR: ("The safe workspace could not start",
                               "The safe workspace for the model's code could not start on this "
                               "computer."),
    StopReason.ERROR: ("Error", "The run ended: error."),
    StopReason.WORKER_DIED: ("Interrupted: the engine stopped",
                             "The engine stopped before this run finished; the steps so far are "
                             "kept."),
}
# States of the panel alone: no reply came ("failed"), or a run saved while still going.
PANEL_TEXT: dict[str, tuple[str, str]] = {
    "failed": ("Failed", "The run could not finish; the steps so far are kept."),
    "running": ("Unfinished when saved",
                "This run was still going when it was last saved; the steps so far are kept."),
}
FAILED_STOPS = {StopReason.PROVIDER_ERROR, StopReason.SANDBOX_ERROR, StopReason.WORKER_DIED}


def _text(reason: str) -> tuple[str, str] | None:
    known = StopReason.parse(reason)
    return STOP_TEXT[known] if known is not None else PANEL_TEXT.get(reason)


def stop_title(reason: str | None) -> str:
    if not reason:
        return "Unfinished"
    return (_text(reason) or (reason.replace("_", " ").capitalize(), ""))[0]


def stop_sentence(reason: str | None) -> str:
    if not reason:
        return ""
    return (_text(reason) or ("", f"The run ended: {reason}."))[1]


def stop_tone(reason: str | None) -> str:
    """A tone name for the panel's colours: calm, neutral, warn or bad."""
    known = StopReason.parse(reason)
    if known is None:
        return "bad" if reason == "failed" else "neutral"
    if known == StopReason.ANSWERED:
        return "calm"
    if known in FAILED_STOPS:
        return "bad"
    return "warn" if known.is_limit else "neutral"


def money(cost: float | None) -> str:
    """Dollars with two significant digits below a cent, so a small call never reads as free."""
    if cost is None:
        return "unknown"
    if cost <= 0:
        return "$0.00"
    if cost >= 0.1:
        return f"${cost:,.2f}"
    digits = min(8, 1 - math.floor(math.log10(cost)))
    return f"${cost:.{digits}f}"


def tokens(count: int) -> str:
    return f"{count:,}"


def compact(count: int) -> str:
    """12345 -> 12.3k: for narrow table columns."""
    if count < 1000:
        return str(count)
    if count < 1_000_000:
        return f"{count / 1000:.1f}k" if count < 100_000 else f"{count // 1000}k"
    return f"{count / 1_000_000:.1f}M"


def seconds(value: float | None) -> str:
    """A short duration: 0.42 s, 12 s, 3 min 05 s."""
    if value is None:
        return ""
    if value < 10:
        return f"{value:.1f} s" if value >= 1 else f"{value:.2f} s"
    if value < 60:
        return f"{value:.0f} s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def clock(value: float) -> str:
    """Elapsed time as a clock: 0:42, 12:05, 1:02:03."""
    total = max(0, int(value))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def characters(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f} million characters"
    return f"{count:,} characters"


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reply_prose(text: str) -> str:
    """What the model wrote around its code (the code itself is shown in the cells)."""
    return strip_code(text or "").strip()


def when(iso: str | None, now: datetime | None = None) -> str:
    """A stored UTC timestamp as local time: "Today 14:05", "Yesterday 09:12", "3 Nov 2025"."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    now = now or datetime.now().astimezone()
    if moment.date() == now.date():
        return f"Today {moment:%H:%M}"
    if moment.date() == (now - timedelta(days=1)).date():
        return f"Yesterday {moment:%H:%M}"
    if moment.year == now.year:
        return f"{moment.day} {moment:%b %H:%M}"
    return f"{moment.day} {moment:%b %Y}"


def plain_error(error: str) -> str:
    """An error as the plain view says it: one sentence, never a traceback."""
    text = error.strip()
    if "Traceback (most recent call last)" in text or '\n  File "' in text:
        return "Something went wrong in the model's code. Show details to see the error."
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= 300 else first[:299] + "…"


def notice_text(message: str) -> str:
    """A notice as the app says it: the command line's hints become the app's own places."""
    message = in_app(message)
    return message[:1].upper() + message[1:]
