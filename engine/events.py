"""Typed events: the one protocol that the GUI, the CLI, trajectory logs and run records all read.

Every event is a frozen dataclass with a ``type`` name and a JSON form
(``to_json`` / ``event_from_json``). Each is written once: no event carries
the whole message history again. ``StopReason`` names every way a run ends,
for the events, the store and every view's wording.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event; ``ts`` is seconds since the epoch."""

    type: ClassVar[str] = "event"
    ts: float = field(default_factory=time.time)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        EVENT_TYPES[cls.type] = cls

    def to_json(self) -> dict[str, Any]:
        data = {"type": self.type}
        data.update(dataclasses.asdict(self))
        return data


def event_from_json(data: dict[str, Any]) -> Event:
    """Rebuild an event from its JSON form; unknown fields are ignored (newer logs)."""
    cls = EVENT_TYPES.get(str(data.get("type")))
    if cls is None:
        raise ValueError(f"unknown event type {data.get('type')!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


# --- runs -----------------------------------------------------------------

class StopReason(enum.StrEnum):
    """Every way a run can end. The values are the strings in events, the store and replies."""

    ANSWERED = "answered"
    MAX_ITERATIONS = "max_iterations"
    BUDGET = "budget"
    TIMEOUT = "timeout"
    MAX_SUB_CALLS = "max_sub_calls"
    MAX_ERRORS = "max_errors"
    CANCELLED = "cancelled"
    PROVIDER_ERROR = "provider_error"
    SANDBOX_ERROR = "sandbox_error"
    ERROR = "error"                  # the run raised; recorded by the worker, never emitted
    WORKER_DIED = "worker_died"      # the worker stopped mid-run; recorded on its next start

    @classmethod
    def parse(cls, value: object) -> StopReason | None:
        """The member for ``value``, or None for a reason this version does not know
        (a store or log written by another version)."""
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                pass
        return None

    @property
    def is_limit(self) -> bool:
        """A limit stopped the run (it may still have a partial answer)."""
        return self in LIMIT_REASONS


LIMIT_REASONS = frozenset({StopReason.MAX_ITERATIONS, StopReason.BUDGET, StopReason.TIMEOUT,
                           StopReason.MAX_SUB_CALLS, StopReason.MAX_ERRORS})


@dataclass(frozen=True, kw_only=True)
class RunEvent(Event):
    """Common fields of every run event: which run, how deep, and who started it."""

    run_id: str
    depth: int = 0
    parent_run_id: str | None = None
    parent_call_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RunStarted(RunEvent):
    type: ClassVar[str] = "run_started"
    question: str
    root_model: str
    sub_model: str
    context_chars: int
    documents: int
    limits: dict[str, Any]
    system_prompt: str = ""
    first_message: str = ""
    # The models' windows: {"root": {"model", "tokens", "source", ...}, "sub": {...}}
    windows: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SandboxStatus(RunEvent):
    """Which isolation layers the REPL child reports as active."""

    type: ClassVar[str] = "sandbox_status"
    status: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class IterationStarted(RunEvent):
    type: ClassVar[str] = "iteration_started"
    iteration: int
    max_iterations: int


@dataclass(frozen=True, kw_only=True)
class ModelResponse(RunEvent):
    """One reply of the root model of a run (the text is logged here, once)."""

    type: ClassVar[str] = "model_response"
    iteration: int
    model: str
    text: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0


@dataclass(frozen=True, kw_only=True)
class CellStarted(RunEvent):
    type: ClassVar[str] = "cell_started"
    iteration: int
    cell: int
    code: str


@dataclass(frozen=True, kw_only=True)
class CellFinished(RunEvent):
    """A code cell ran; ``error`` holds the traceback when the model's code raised."""

    type: ClassVar[str] = "cell_finished"
    iteration: int
    cell: int
    output: str
    error: str | None = None
    duration_s: float = 0.0
    cut_chars: int = 0
    timed_out: bool = False
    restarted: bool = False


@dataclass(frozen=True, kw_only=True)
class SubCallStarted(RunEvent):
    """A call made by the model's code: ``kind`` is ``llm_query`` or ``rlm_query``."""

    type: ClassVar[str] = "subcall_started"
    call_id: str
    kind: str
    model: str
    prompt_preview: str
    prompt_chars: int
    iteration: int = 0
    cell: int = 0


@dataclass(frozen=True, kw_only=True)
class SubCallFinished(RunEvent):
    type: ClassVar[str] = "subcall_finished"
    call_id: str
    kind: str
    model: str
    response_preview: str = ""
    response_chars: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    error: str | None = None
    # Answered from the answers of identical calls already made in this run tree or
    # conversation (engine/rlm/subcall_cache.py): nothing was sent, tokens and cost are 0.
    cached: bool = False


@dataclass(frozen=True, kw_only=True)
class ConcurrencyChanged(RunEvent):
    """The number of helper questions sent at once to an endpoint changed (see
    engine/providers/concurrency.py): ``reason`` is "rate_limited" (halved after a 429;
    ``pause_s`` is the wait the service asked for) or "recovered" (one more after a round
    of answers); ``ceiling`` is the setting it grows back to."""

    type: ClassVar[str] = "concurrency_changed"
    previous: int
    limit: int
    reason: str
    ceiling: int = 0
    pause_s: float = 0.0


@dataclass(frozen=True, kw_only=True)
class UsageTotals(RunEvent):
    """Running totals of the whole run tree; ``cost_usd`` is None while any price is unknown."""

    type: ClassVar[str] = "usage_totals"
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_usd: float | None
    known_cost_usd: float
    unpriced_models: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Notice(RunEvent):
    """Something a person watching should know (a retry, a restarted REPL, an unknown price)."""

    type: ClassVar[str] = "notice"
    level: str
    message: str


@dataclass(frozen=True, kw_only=True)
class HistoryCompacted(RunEvent):
    """The main model's conversation was shortened to stay within its window: old turns
    elided and, when that was not enough, replaced by a summary the model wrote (a model
    call counted in the usage; its text is here). ``harder``: after the server refused a
    request as too long."""

    type: ClassVar[str] = "history_compacted"
    iteration: int
    before_tokens: int
    after_tokens: int
    window: int
    elided: int = 0
    summarized: bool = False
    summary: str = ""
    harder: bool = False
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None


@dataclass(frozen=True, kw_only=True)
class AnswerReady(RunEvent):
    """The answer of a run; ``partial`` when a limit stopped it before ``FINAL``."""

    type: ClassVar[str] = "answer"
    text: str
    partial: bool = False


class HoldReason(enum.StrEnum):
    """Why a ``FINAL`` answer was held back for the model to confirm."""

    UNSEEN_OUTPUT = "unseen_output"  # code in the same reply printed output the model had not seen
    FIRST_REPLY = "first_reply"      # the model answered before it had looked at the documents


@dataclass(frozen=True, kw_only=True)
class AnswerHeldBack(RunEvent):
    """A ``FINAL`` not accepted yet: the model is shown what it had not seen and asked to
    confirm or correct ``answer``; its next ``FINAL`` ends the run."""

    type: ClassVar[str] = "answer_held_back"
    iteration: int
    answer: str
    reason: HoldReason | str  # a plain str only for a reason this version does not know
    unseen_chars: int = 0  # characters of output shown to the model with the request

    def __post_init__(self) -> None:
        if self.reason in set(HoldReason):
            object.__setattr__(self, "reason", HoldReason(self.reason))


@dataclass(frozen=True, kw_only=True)
class AnswerCitations(RunEvent):
    """The answer's citations, resolved and checked (``engine.rlm.verify``), in the order the
    markers appear: each a dict with ``n``, ``doc_id``, ``path``, ``title``, ``page``,
    ``page_label``, ``quote``, ``status`` and ``cited_page`` (set when relocated)."""

    type: ClassVar[str] = "answer_citations"
    citations: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class RunFinished(RunEvent):
    """How a run ended; ``stop_reason`` is a plain str only when read from another version's
    log with a reason this version does not know."""

    type: ClassVar[str] = "run_finished"
    stop_reason: StopReason | str
    duration_s: float
    error: str | None = None

    def __post_init__(self) -> None:
        known = StopReason.parse(self.stop_reason)
        if known is not None:
            object.__setattr__(self, "stop_reason", known)


# --- ingest ---------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class IngestStarted(Event):
    type: ClassVar[str] = "ingest_started"
    files: int
    collection: str | None = None
    bytes_total: int = 0
    skipped: dict[str, int] = field(default_factory=dict)   # files not read, by extension


@dataclass(frozen=True, kw_only=True)
class FileDone(Event):
    """A file is in the library; ``status`` is "ingested", "updated" or "unchanged"."""

    type: ClassVar[str] = "file_done"
    path: str
    pages: int
    chars: int
    status: str = "ingested"
    document_id: int | None = None
    title: str = ""
    warning: str | None = None      # e.g. scanned pages without OCR
    seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class FileFailed(Event):
    """A file could not be read; ``kind`` is a stable word ("password", "corrupt", ...)."""

    type: ClassVar[str] = "file_failed"
    path: str
    reason: str
    kind: str = ""
    document_id: int | None = None
    unchanged: bool = False         # failed before and has not changed since


@dataclass(frozen=True, kw_only=True)
class FileMissing(Event):
    """A stored document's file is gone from its folder (``pruned``: removed from the store)."""

    type: ClassVar[str] = "file_missing"
    path: str
    document_id: int
    pruned: bool = False


@dataclass(frozen=True, kw_only=True)
class IngestProgress(Event):
    type: ClassVar[str] = "ingest_progress"
    files_done: int
    files_total: int
    pages_done: int
    bytes_done: int = 0
    bytes_total: int = 0
    elapsed_s: float = 0.0


@dataclass(frozen=True, kw_only=True)
class IngestFinished(Event):
    type: ClassVar[str] = "ingest_finished"
    ingested: int
    unchanged: int
    failed: int
    duration_s: float
    updated: int = 0
    missing: int = 0
    pruned: int = 0
    pages: int = 0
    collection: str | None = None
    cancelled: bool = False         # stopped early; what was stored so far is kept


# --- review tables ------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class ReviewStarted(Event):
    """A review begins: how many answers it will look for and about what they will cost."""

    type: ClassVar[str] = "review_started"
    review_id: str
    total: int
    estimate_usd: float | None = None
    long_documents: int = 0        # cells of documents read step by step (an RLM run each)


@dataclass(frozen=True, kw_only=True)
class ReviewCellDone(Event):
    """One answer found (or failed), as stored; the review's progress after it."""

    type: ClassVar[str] = "review_cell"
    review_id: str
    cell: dict[str, Any]
    done: int
    total: int
    failed: int = 0
    cost_usd: float | None = None   # the review's so far; None while a price is unknown


@dataclass(frozen=True, kw_only=True)
class ReviewFinished(Event):
    type: ClassVar[str] = "review_finished"
    review_id: str
    ran: int
    stopped: str | None = None      # "budget" or "cancelled" when it did not finish
    cost_usd: float | None = None
    seconds: float = 0.0
