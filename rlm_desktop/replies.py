"""The engine worker's replies as small typed values, read leniently from their JSON (no Qt).

One class per reply the GUI reads (see ``engine/worker/{server,library,runs,settings}.py`` for
what each command sends), holding only the fields the GUI uses. ``from_json`` accepts anything:
a missing field, or one of the wrong type, becomes the field's default (``""``, ``0``, ``None``,
empty), so a surprising reply never raises in a Qt slot. The events streamed during a run are
not here: ``rlm_desktop.run.tree`` folds those as they come.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


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


# --- the engine ----------------------------------------------------------------------

@dataclass(frozen=True)
class KeyringStatus:
    """Whether the OS keyring can keep keys (in ``hello`` and ``key_status``)."""

    usable: bool | None = None   # None: the worker did not say
    detail: str = ""

    @classmethod
    def from_json(cls, data: object) -> KeyringStatus:
        raw = _object(data)
        usable = raw.get("usable")
        return cls(usable=usable if isinstance(usable, bool) else None,
                   detail=_text(raw.get("detail")))


@dataclass(frozen=True)
class Hello:
    """The ``hello`` result: which engine runs, and where it keeps its data."""

    version: str = ""
    pid: int = 0
    data_dir: str = ""
    config_dir: str = ""
    keyring: KeyringStatus = field(default_factory=KeyringStatus)

    @classmethod
    def from_json(cls, data: object) -> Hello:
        raw = _object(data)
        return cls(version=_text(raw.get("version")), pid=_integer(raw.get("pid")),
                   data_dir=_text(raw.get("data_dir")), config_dir=_text(raw.get("config_dir")),
                   keyring=KeyringStatus.from_json(raw.get("keyring")))


# --- the library ---------------------------------------------------------------------

@dataclass(frozen=True)
class Collection:
    """One item of ``collections``: a collection and the size of what it holds."""

    name: str = ""
    documents: int = 0
    pages: int = 0
    tokens: int = 0

    @classmethod
    def from_json(cls, data: object) -> Collection:
        raw = _object(data)
        return cls(name=_text(raw.get("name")), documents=_integer(raw.get("documents")),
                   pages=_integer(raw.get("pages")), tokens=_integer(raw.get("tokens")))


@dataclass(frozen=True)
class Document:
    """One item of ``documents``: a document of the library and whether it could be read."""

    id: int = 0
    title: str = ""
    path: str = ""
    type: str = ""
    pages: int = 0
    tokens: int = 0
    status: str = ""        # ok, warning, failed, missing
    error: str = ""
    error_kind: str = ""    # why it failed: password, corrupt, ... (engine/ingest/model.py)
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: object) -> Document:
        raw = _object(data)
        return cls(id=_integer(raw.get("id")), title=_text(raw.get("title")),
                   path=_text(raw.get("path")), type=_text(raw.get("type")),
                   pages=_integer(raw.get("pages")), tokens=_integer(raw.get("tokens")),
                   status=_text(raw.get("status")), error=_text(raw.get("error")),
                   error_kind=_text(raw.get("error_kind")),
                   warnings=_strings(raw.get("warnings")))


@dataclass(frozen=True)
class IngestFailure:
    """A file an ingest could not read, and why."""

    path: str = ""
    kind: str = ""
    reason: str = ""

    @classmethod
    def from_json(cls, data: object) -> IngestFailure:
        raw = _object(data)
        return cls(path=_text(raw.get("path")), kind=_text(raw.get("kind")),
                   reason=_text(raw.get("reason")))


@dataclass(frozen=True)
class IngestResult:
    """The result of ``ingest`` and ``rescan``: what was added, kept, missed or not read."""

    collection: str = ""
    ingested: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: tuple[IngestFailure, ...] = ()
    missing: tuple[str, ...] = ()     # paths no longer found on disk
    pages: int = 0
    cancelled: bool = False

    @classmethod
    def from_json(cls, data: object) -> IngestResult:
        raw = _object(data)
        return cls(collection=_text(raw.get("collection")),
                   ingested=_integer(raw.get("ingested")), updated=_integer(raw.get("updated")),
                   unchanged=_integer(raw.get("unchanged")),
                   failed=tuple(list_of(IngestFailure.from_json, raw.get("failed"))),
                   missing=_strings(raw.get("missing")), pages=_integer(raw.get("pages")),
                   cancelled=bool(raw.get("cancelled")))


# --- questions -----------------------------------------------------------------------

@dataclass(frozen=True)
class AskResult:
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

    @classmethod
    def from_json(cls, data: object) -> AskResult:
        raw = _object(data)
        return cls(run_id=_text(raw.get("run_id")), conversation=_text(raw.get("conversation")),
                   answer=_text(raw.get("answer")), stop_reason=_text(raw.get("stop_reason")),
                   partial=bool(raw.get("partial")), duration_s=_number(raw.get("duration_s")),
                   error=_text(raw.get("error")), usage=_dict(raw.get("usage")),
                   sandbox=_dict(raw.get("sandbox")))


@dataclass(frozen=True)
class RunRecord:
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

    @classmethod
    def from_json(cls, data: object) -> RunRecord:
        raw = _object(data)
        return cls(run_id=_text(raw.get("run_id")), collection=_text(raw.get("collection")),
                   question=_text(raw.get("question")), answer=_text(raw.get("answer")),
                   status=_text(raw.get("status")), stop_reason=_text(raw.get("stop_reason")),
                   partial=bool(raw.get("partial")), error=_text(raw.get("error")),
                   cost_usd=_number(raw.get("cost_usd")),
                   started_at=_text(raw.get("started_at")),
                   duration_s=_number(raw.get("duration_s")), usage=_dict(raw.get("usage")))


@dataclass(frozen=True)
class RunEvents:
    """The result of ``run_events``: a recorded run and its events, to replay."""

    run: RunRecord = field(default_factory=RunRecord)
    events: list[dict[str, Any]] = field(default_factory=list)   # engine event JSON

    @classmethod
    def from_json(cls, data: object) -> RunEvents:
        raw = _object(data)
        return cls(run=RunRecord.from_json(raw.get("run")),
                   events=list_of(_dict, raw.get("events")))


# --- settings ------------------------------------------------------------------------

@dataclass(frozen=True)
class SavedSettings:
    """The result of ``settings_get``: the settings' JSON, edited by the pages and sent back
    whole with ``settings_set`` (so names the GUI does not know are kept)."""

    settings: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    @classmethod
    def from_json(cls, data: object) -> SavedSettings:
        raw = _object(data)
        return cls(settings=_dict(raw.get("settings")), path=_text(raw.get("path")))

    @property
    def root_model(self) -> str:
        """The main model's name ("" until one is chosen)."""
        return _text(_object(self.settings.get("root")).get("model"))


@dataclass(frozen=True)
class PriceTables:
    """The result of ``prices_get``: built-in prices and the person's own, by model name."""

    builtin: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: object) -> PriceTables:
        raw = _object(data)
        return cls(builtin=_dict(raw.get("builtin")), overrides=_dict(raw.get("overrides")))


@dataclass(frozen=True)
class KeyStatus:
    """The result of ``key_status``: whether and where a service's key is kept (never the key)."""

    stored: bool = False
    source: str | None = None   # keyring, session, env, or None when there is no key
    env_var: str = ""           # the variable the engine reads for this service
    keyring: KeyringStatus = field(default_factory=KeyringStatus)

    @classmethod
    def from_json(cls, data: object) -> KeyStatus:
        raw = _object(data)
        return cls(stored=bool(raw.get("stored")), source=_text(raw.get("source")) or None,
                   env_var=_text(raw.get("env_var")),
                   keyring=KeyringStatus.from_json(raw.get("keyring")))


@dataclass(frozen=True)
class LocalServer:
    """One item of ``discover_local``: a server on this computer and its models."""

    name: str
    base_url: str
    reachable: bool
    models: tuple[str, ...]
    error: str | None = None

    @classmethod
    def from_json(cls, data: object) -> LocalServer:
        raw = _object(data)
        return cls(name=_text(raw.get("name")), base_url=_text(raw.get("base_url")),
                   reachable=bool(raw.get("reachable")), models=_strings(raw.get("models")),
                   error=_text(raw.get("error")) or None)

    def describe(self) -> str:
        """'Ollama — 3 models' (plain words for lists and notices)."""
        count = len(self.models)
        if count == 0:
            return f"{self.name} — no models installed yet"
        return f"{self.name} — {count} model{'s' if count != 1 else ''}"


@dataclass(frozen=True)
class ModelList:
    """The result of ``list_models``: the model names a service offers."""

    models: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: object) -> ModelList:
        return cls(models=_strings(_object(data).get("models")))


@dataclass(frozen=True)
class ConnectionTest:
    """The result of ``test_connection``: one tiny call worked, or how it failed."""

    ok: bool = False
    latency_s: float | None = None   # None: nothing was sent (no key, bad address)
    kind: str = ""                   # unreachable, auth, not_found, timeout, other
    message: str = ""

    @classmethod
    def from_json(cls, data: object) -> ConnectionTest:
        raw = _object(data)
        return cls(ok=bool(raw.get("ok")), latency_s=_number(raw.get("latency_s")),
                   kind=_text(raw.get("kind")), message=_text(raw.get("message")))
