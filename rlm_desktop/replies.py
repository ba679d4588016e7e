"""The engine worker's replies as small typed values, read leniently from their JSON (no Qt).

One class per reply the GUI reads (see ``engine/worker/{server,library,runs,settings}.py`` for
what each command sends), holding only the fields the GUI uses. ``from_json`` accepts anything:
a missing field, or one of the wrong type, becomes the field's default (``""``, ``0``, ``None``,
empty), so a surprising reply never raises in a Qt slot. The events streamed during a run are
not here: ``rlm_desktop.run.tree`` folds those as they come.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R", bound="Reply")


# --- reading JSON values -------------------------------------------------------------

def _object(data: object) -> Mapping[str, Any]:
    return data if isinstance(data, dict) else {}


def _text(value: object) -> str:
    """A string field; a number is written out, anything else is ""."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _integer(value: object) -> int:
    """A whole-number field (a float or numeric string is converted); anything else is 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0
    try:
        return int(value)
    except (ValueError, OverflowError):   # "12 pages", NaN, infinity
        return 0


def _number(value: object) -> float | None:
    """A number field; None when it is missing or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _strings(value: object) -> tuple[str, ...]:
    """A list of strings; other items are left out, and a non-list is empty."""
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _dict(value: object) -> dict[str, Any]:
    """A JSON object kept as it is (settings, usage totals, sandbox status); else empty."""
    return value if isinstance(value, dict) else {}


def list_of(parse: Callable[[object], T], data: object) -> list[T]:
    """A reply that is a list of objects, each read with ``parse`` (say ``Document.from_json``);
    items that are not objects are left out, and anything but a list is an empty list."""
    if not isinstance(data, list):
        return []
    return [parse(item) for item in data if isinstance(item, dict)]


def _optional_text(value: object) -> str | None:
    return _text(value) or None


def _optional_bool(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


# How a field is read, by its annotation (this module's annotations are strings).
_READERS: dict[str, Callable[[object], Any]] = {
    "str": _text, "str | None": _optional_text, "int": _integer, "bool": bool,
    "bool | None": _optional_bool, "float | None": _number, "tuple[str, ...]": _strings,
    "dict[str, Any]": _dict, "list[dict[str, Any]]": lambda value: list_of(_dict, value),
}


@functools.cache
def _reader(annotation: str) -> Callable[[object], Any]:
    """The reader of a field annotated ``annotation``: a JSON value, a reply of this module
    (``Hello``), or a tuple of them (``tuple[IngestFailure, ...]``)."""
    if annotation in _READERS:
        return _READERS[annotation]
    many = re.fullmatch(r"tuple\[(\w+), \.\.\.\]", annotation)
    reply: type[Reply] = globals()[many.group(1) if many else annotation]
    if many:
        return lambda value: tuple(list_of(reply.from_json, value))
    return reply.from_json


class Reply:
    """A reply read from JSON field by field, each with the reader of its annotated type."""

    @classmethod
    def from_json(cls: type[R], data: object) -> R:
        raw = _object(data)
        values = {f.name: _reader(str(f.type))(raw.get(f.name))
                  for f in fields(cast(Any, cls))}
        return cls(**values)


# --- the engine ----------------------------------------------------------------------

@dataclass(frozen=True)
class KeyringStatus(Reply):
    """Whether the OS keyring can keep keys (in ``hello`` and ``key_status``)."""

    usable: bool | None = None   # None: the worker did not say
    detail: str = ""


@dataclass(frozen=True)
class Hello(Reply):
    """The ``hello`` result: which engine runs, and where it keeps its data."""

    version: str = ""
    pid: int = 0
    data_dir: str = ""
    config_dir: str = ""
    keyring: KeyringStatus = field(default_factory=KeyringStatus)


# --- the library ---------------------------------------------------------------------

@dataclass(frozen=True)
class Collection(Reply):
    """One item of ``collections``: a collection and the size of what it holds."""

    name: str = ""
    documents: int = 0
    pages: int = 0
    tokens: int = 0


@dataclass(frozen=True)
class Document(Reply):
    """One item of ``documents``: a document of the library and whether it could be read."""

    id: int = 0
    title: str = ""
    path: str = ""          # the real path (to open the file); may hold a newline or, for a
    display_path: str = ""  # name that is not UTF-8, surrogates: show ``shown_path`` instead
    type: str = ""
    pages: int = 0
    tokens: int = 0
    status: str = ""        # ok, warning, failed, missing
    error: str = ""
    error_kind: str = ""    # why it failed: password, corrupt, ... (engine/ingest/model.py)
    warnings: tuple[str, ...] = ()
    size: int = 0           # the file's size and modification time when it was read: the
    mtime_ns: int = 0       # viewer compares them with the file on disk now

    @property
    def shown_path(self) -> str:
        """The path as people see it: printable, newlines and odd bytes as escapes."""
        return self.display_path or self.path


@dataclass(frozen=True)
class PageText(Reply):
    """The result of ``page_text``: one page's stored text and its printed label."""

    doc_id: int = 0
    page: int = 0
    pages: int = 0
    found: bool = False     # False: the store has no such page
    label: str = ""         # the printed page label ("236"), "" when it is the page number
    kind: str = ""
    text: str = ""


@dataclass(frozen=True)
class IngestFailure(Reply):
    """A file an ingest could not read, and why."""

    path: str = ""
    kind: str = ""
    reason: str = ""


@dataclass(frozen=True)
class IngestResult(Reply):
    """The result of ``ingest`` and ``rescan``: what was added, kept, missed or not read."""

    collection: str = ""
    ingested: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: tuple[IngestFailure, ...] = ()
    missing: tuple[str, ...] = ()     # paths no longer found on disk
    pages: int = 0
    cancelled: bool = False


# --- questions -----------------------------------------------------------------------

@dataclass(frozen=True)
class AskResult(Reply):
    """The result of ``ask``: the answer, how the run ended, and what it cost."""

    run_id: str = ""
    conversation: str = ""
    answer: str = ""
    stop_reason: str = ""
    partial: bool = False
    duration_s: float | None = None
    error: str = ""
    usage: dict[str, Any] = field(default_factory=dict)     # as in a usage_totals event
    sandbox: dict[str, Any] = field(default_factory=dict)   # as in a sandbox_status event
    citations: list[dict[str, Any]] = field(default_factory=list)  # as in answer_citations


@dataclass(frozen=True)
class RunRecord(Reply):
    """A question as the store recorded it: an item of ``history`` (its answer cut to a
    preview, no usage) or the ``run`` of ``run_events``."""

    run_id: str = ""
    collection: str = ""
    question: str = ""
    answer: str = ""
    status: str = ""          # running, finished, interrupted
    stop_reason: str = ""
    partial: bool = False
    error: str = ""
    cost_usd: float | None = None
    started_at: str = ""      # UTC, ISO 8601
    duration_s: float | None = None
    usage: dict[str, Any] = field(default_factory=dict)     # as in a usage_totals event
    # In ``history``: how many of the answer's citations ended with each status.
    citation_counts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunEvents(Reply):
    """The result of ``run_events``: a recorded run and its events, to replay."""

    run: RunRecord = field(default_factory=RunRecord)
    events: list[dict[str, Any]] = field(default_factory=list)   # engine event JSON


@dataclass(frozen=True)
class SavedAnalysis(Reply):
    """The result of ``read_log``: the run a record of an analysis (a file) makes, as
    ``run_events`` gives a stored one; its events came before as the request's events."""

    run: RunRecord = field(default_factory=RunRecord)
    events_sent: int = 0
    skipped: int = 0          # damaged lines left out
    path: str = ""


@dataclass(frozen=True)
class ExportResult(Reply):
    """The result of ``export_run``: the file written and what went into it."""

    path: str = ""
    format: str = ""          # docx, pdf or md
    with_trajectory: bool = False
    run_id: str = ""
    sources: int = 0


@dataclass(frozen=True)
class DemoReplay(Reply):
    """The result of ``open_demo``: the demo's documents as the library holds them, and the
    run their recorded analysis makes (its events came before as the request's events)."""

    run: RunRecord = field(default_factory=RunRecord)
    collection: str = ""
    documents: tuple[Document, ...] = ()


# --- settings ------------------------------------------------------------------------

@dataclass(frozen=True)
class SavedSettings(Reply):
    """The result of ``settings_get``: the settings' JSON, edited by the pages and sent back
    whole with ``settings_set`` (so names the GUI does not know are kept)."""

    settings: dict[str, Any] = field(default_factory=dict)
    path: str = ""


    @property
    def root_model(self) -> str:
        """The main model's name ("" until one is chosen)."""
        return _text(_object(self.settings.get("root")).get("model"))


@dataclass(frozen=True)
class PriceTables(Reply):
    """The result of ``prices_get``: built-in prices and the person's own, by model name."""

    builtin: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyStatus(Reply):
    """The result of ``key_status``: whether and where a service's key is kept (never the key)."""

    stored: bool = False
    source: str | None = None   # keyring, session, env, or None when there is no key
    env_var: str = ""           # the variable the engine reads for this service
    keyring: KeyringStatus = field(default_factory=KeyringStatus)


@dataclass(frozen=True)
class LocalServer(Reply):
    """One item of ``discover_local``: a server on this computer and its models."""

    name: str
    base_url: str
    reachable: bool
    models: tuple[str, ...]
    error: str | None = None


    def describe(self) -> str:
        """'Ollama — 3 models' (plain words for lists and notices)."""
        count = len(self.models)
        if count == 0:
            return f"{self.name} — no models installed yet"
        return f"{self.name} — {count} model{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class ModelList(Reply):
    """The result of ``list_models``: the model names a service offers."""

    models: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConnectionTest(Reply):
    """The result of ``test_connection``: one tiny call worked, or how it failed."""

    ok: bool = False
    latency_s: float | None = None   # None: nothing was sent (no key, bad address)
    kind: str = ""                   # unreachable, auth, not_found, timeout, other
    message: str = ""

