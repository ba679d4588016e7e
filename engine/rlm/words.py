"""The product's words for what a run records, shared by every front end and export
(VOCABULARY.md): how a question ended, the safe workspace, money, and checked citations."""

from __future__ import annotations

import itertools
import re
import unicodedata

from engine.events import HoldReason, StopReason
from engine.rlm.citations import Citation, replace_markers
from engine.rlm.verify import CheckedCitation, CitationStatus

# How a question's end reads (VOCABULARY.md, "How a question ended"). ERROR and WORKER_DIED
# are only ever in the store (the GUI's worker records them), never in an event.
FOUND = " — here is what was found"
STOP_DESCRIPTIONS: dict[StopReason, str] = {
    StopReason.ANSWERED: "Answered",
    StopReason.MAX_ITERATIONS: "Stopped at the step limit" + FOUND,
    StopReason.BUDGET: "Stopped at the spending limit" + FOUND,
    StopReason.TIMEOUT: "Stopped at the time limit" + FOUND,
    StopReason.MAX_SUB_CALLS: "Stopped: too many helper questions" + FOUND,
    StopReason.MAX_ERRORS: "Stopped: the model's code kept failing" + FOUND,
    StopReason.CANCELLED: "Stopped by you",
    StopReason.PROVIDER_ERROR: "The AI service failed",
    StopReason.SANDBOX_ERROR: "The safe workspace could not start on this computer",
    StopReason.ERROR: "Failed: an unexpected error",
    StopReason.WORKER_DIED: "Interrupted: the engine stopped during the question",
}
# Why the model's first FINAL was held back (events.AnswerHeldBack), as every view says it.
HELD_BACK_WORDS: dict[HoldReason, str] = {
    HoldReason.UNSEEN_OUTPUT: "The model answered before reading its results; it was shown "
                              "them and asked to confirm",
    HoldReason.FIRST_REPLY: "The model answered before looking at the documents; it was "
                            "asked to look and confirm",
}
# What the model's code is kept away from, by the engine's name of each kind of isolation.
ISOLATION_WORDS = {"filesystem": "files", "network": "network", "process": "other programs"}
# What the model's code asks: a helper question (one model call) or a helper analysis (a run).
KIND_WORDS = {"llm_query": "helper question", "rlm_query": "helper analysis"}
# Control (C0, DEL, C1), format (bidi overrides and isolates, zero-width), surrogate and
# line/paragraph separator characters: a terminal would act on them (clear the screen, write
# the clipboard with OSC 52, hide a link with OSC 8, reorder a line) or choke on them, and a
# Word or PDF file cannot hold some of them.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Layout a reader needs: kept as they are in multi-line text.
_LAYOUT = frozenset("\n\t")
# A printed page number ("12", "xiv", "A-3"); any other label ("lines 101–200", "¶12–¶30")
# names the place itself and is shown alone.
_PAGE_NUMBER = re.compile(r"[0-9A-Za-z.\-]{1,12}")


def _escape(ch: str) -> str:
    return ch.encode("unicode_escape").decode("ascii")


def printable(text: str, *, keep_layout: bool = True) -> str:
    """``text`` with every control or format character as a visible escape (``\\x1b``,
    ``\\u202e``); newlines and tabs stay unless ``keep_layout`` is False (a one-line field)."""
    keep = _LAYOUT if keep_layout else frozenset()
    return "".join(_escape(ch) if ch not in keep and unicodedata.category(ch) in _UNPRINTABLE
                   else ch for ch in text)


def held_back(reason: HoldReason | str) -> str:
    """Why an answer was held back for the model to confirm, in the reader's words."""
    if isinstance(reason, HoldReason):
        return HELD_BACK_WORDS[reason]
    return "The model was asked to confirm its answer"


def describe_stop(reason: StopReason | str) -> str:
    """The words for a stop reason; one this version does not know (a log written by another
    version) as it is."""
    return STOP_DESCRIPTIONS[reason] if isinstance(reason, StopReason) else reason


def money(cost: float | None) -> str:
    """Dollars with enough digits that a sub-cent call does not read as free."""
    if cost is None:
        return "cost unknown"
    return f"${cost:.4f}" if cost >= 0.01 or cost == 0 else f"${cost:.6f}"


def safe_workspace(status: dict[str, object]) -> str:
    """"safe workspace: isolated (files, network, other programs)", or what is missing."""
    isolation = status.get("isolation")
    kinds = isolation if isinstance(isolation, dict) else {}
    kept = [ISOLATION_WORDS.get(str(k), str(k)) for k, on in kinds.items() if on]
    open_ = [ISOLATION_WORDS.get(str(k), str(k)) for k, on in kinds.items() if not on]
    if status.get("enforced"):
        return f"safe workspace: isolated ({', '.join(kept) or 'files, network, other programs'})"
    note = status.get("note") or "kernel isolation is not applied"
    return (f"safe workspace: NOT fully isolated: {note} "
            f"(protected: {', '.join(kept) or 'nothing'}; "
            f"unprotected: {', '.join(open_) or 'unknown'})")


def page_words(page: int, label: str | None) -> str:
    """"p. 12 (PDF p. 14)" when the printed number differs from the position, else "p. 14";
    a label that is no page number ("lines 101–200") is shown as it is."""
    if not label or label == str(page):
        return f"p. {page}"
    if _PAGE_NUMBER.fullmatch(label):
        return f"p. {label} (PDF p. {page})"
    return label


def status_words(citation: CheckedCitation) -> str:
    """What checking found, as people read it (VOCABULARY.md, "Citations")."""
    match citation.status:
        case CitationStatus.VERIFIED:
            return "Quote checked on this page"
        case CitationStatus.RELOCATED:
            return ("Quote found on another page — corrected to "
                    f"{page_words(citation.page, citation.page_label)}")
        case CitationStatus.NOT_FOUND:
            return "Quote not found in the documents — check this claim"
        case CitationStatus.NO_QUOTE:
            return "Page cited without a quote"
    return "Broken citation (no such document or page)"


def source_place(citation: CheckedCitation) -> str:
    """Where a source is: "Lease, p. 2"; a relocated one by its document alone (the status
    says the page); a broken one by the numbers the marker held."""
    document = citation.title or f"document {citation.doc_id}"
    if citation.status == CitationStatus.INVALID:
        return f"document {citation.doc_id}, page {citation.page}"
    if citation.status == CitationStatus.RELOCATED:
        return document
    return f"{document}, {page_words(citation.page, citation.page_label)}"


def numbered(answer: str) -> str:
    """The answer with each marker as [1], [2], ... in order of appearance."""
    counter = itertools.count(1)

    def number(_: Citation) -> str:
        return f"[{next(counter)}]"

    return replace_markers(answer, number)


def window_words(window: object) -> str:
    """A model's window from a RunStarted event's ``windows`` entry: "16k tokens" (the
    details view's word; the plain view says what it means instead)."""
    tokens = window.get("tokens") if isinstance(window, dict) else None
    if not isinstance(tokens, int) or isinstance(tokens, bool) or tokens <= 0:
        return "unknown"
    return f"{tokens // 1000:,}k tokens" if tokens >= 10_000 else f"{tokens:,} tokens"


def compaction_words(before: int, after: int, window: int, *, summarized: bool,
                     harder: bool) -> str:
    """A HistoryCompacted event in plain words: why, what was done, how full it is now."""
    def share(tokens: int) -> str:
        return f"{min(999, round(100 * tokens / window))}%" if window > 0 else "?"
    why = ("The AI service said the conversation was too long for the main model"
           if harder else "The conversation was filling the main model's memory")
    what = ("the model summarised its earlier steps" if summarized
            else "older steps were shortened")
    again = ", and it was sent again" if harder else ""
    return f"{why}, so {what}{again} (from {share(before)} full to {share(after)})."
