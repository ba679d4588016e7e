"""The outcome of a model check (does this model drive the analysis?), kept per endpoint and model.

One small JSON file in the data folder, read by ``rlm ask`` and the worker before a
run starts, and written by ``rlm models check`` and the app's test button. Imports no
model client, so reading it costs nothing at the start of a run.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.config import data_dir

FILE_NAME = "model_checks.json"
FILE_VERSION = 1


class CheckOutcome(enum.StrEnum):
    """How a model did in the check; the first four say something about the model itself."""

    DRIVES = "drives"                  # looked with code, ended with FINAL and the right word
    NO_CODE = "no_code"                # replied in words, never ran code
    IGNORES_FORMAT = "ignores_format"  # code that did not find the word, or never FINAL
    TOO_SLOW = "too_slow"              # the check's time limit passed
    UNREACHABLE = "unreachable"        # could not connect (or key, or model name)
    SERVICE_ERROR = "service_error"    # the service failed part-way through


MODEL_OUTCOMES = frozenset({CheckOutcome.DRIVES, CheckOutcome.NO_CODE,
                            CheckOutcome.IGNORES_FORMAT, CheckOutcome.TOO_SLOW})

# The headline a person reads, in the app and on the command line.
HEADLINES: dict[CheckOutcome, str] = {
    CheckOutcome.DRIVES: "Drives the analysis",
    CheckOutcome.NO_CODE: "Answers without looking at the documents",
    CheckOutcome.IGNORES_FORMAT: "Ignores the format",
    CheckOutcome.TOO_SLOW: "Too slow",
    CheckOutcome.UNREACHABLE: "Could not connect",
    CheckOutcome.SERVICE_ERROR: "The AI service failed",
}


@dataclass
class CheckResult:
    """One check of one model at one endpoint."""

    base_url: str
    model: str
    outcome: CheckOutcome
    message: str            # what happened, in plain words
    checked_at: str         # ISO 8601, UTC
    duration_s: float
    cost_usd: float | None  # None: a price is unknown (or nothing was called)
    local: bool = False     # a server on this computer: no charge
    steps: int = 0
    code_runs: int = 0
    stop_reason: str | None = None
    first_reply: str = ""   # the start of the model's first reply (untrusted text)

    @property
    def passed(self) -> bool:
        return self.outcome == CheckOutcome.DRIVES

    @property
    def headline(self) -> str:
        return HEADLINES[self.outcome]

    def cost_words(self) -> str:
        if self.cost_usd is not None and (self.cost_usd > 0 or not self.local):
            return f"${self.cost_usd:.4f}"
        if self.local:
            return "no charge (a server on this computer)"
        return "cost unknown (no price for this model; add one in the prices settings)"

    def summary(self) -> str:
        """Headline, what happened, then the time and cost of the check."""
        return (f"{self.headline}. {self.message} The test took {self.duration_s:.1f} s, "
                f"cost: {self.cost_words()}.")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = str(self.outcome)
        data["headline"] = self.headline
        data["passed"] = self.passed
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckResult | None:
        """The result, or None for an entry this version cannot read."""
        try:
            outcome = CheckOutcome(data["outcome"])
            cost = data.get("cost_usd")
            return cls(base_url=str(data["base_url"]), model=str(data["model"]),
                       outcome=outcome, message=str(data.get("message", "")),
                       checked_at=str(data["checked_at"]),
                       duration_s=float(data.get("duration_s", 0.0)),
                       cost_usd=None if cost is None else float(cost),
                       local=bool(data.get("local", False)), steps=int(data.get("steps", 0)),
                       code_runs=int(data.get("code_runs", 0)),
                       stop_reason=data.get("stop_reason"),
                       first_reply=str(data.get("first_reply", "")))
        except (KeyError, TypeError, ValueError):
            return None


def checks_path() -> Path:
    return data_dir() / FILE_NAME


def _key(base_url: str, model: str) -> str:
    return f"{base_url.rstrip('/')} {model}"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}   # no file yet, or a damaged one: no checks known (the next one rewrites it)
    checks = data.get("checks") if isinstance(data, dict) else None
    return checks if isinstance(checks, dict) else {}


def last_check(base_url: str, model: str, path: Path | None = None) -> CheckResult | None:
    entry = _read(path or checks_path()).get(_key(base_url, model))
    return CheckResult.from_json(entry) if isinstance(entry, dict) else None


def all_checks(path: Path | None = None) -> list[CheckResult]:
    found = (CheckResult.from_json(e) for e in _read(path or checks_path()).values()
             if isinstance(e, dict))
    return [c for c in found if c is not None]


def record(result: CheckResult, path: Path | None = None) -> bool:
    """Keep the result as the model's latest, atomically; connection failures say nothing
    about the model and are not kept. Returns whether it was kept."""
    if result.outcome not in MODEL_OUTCOMES:
        return False
    path = path or checks_path()
    checks = _read(path)
    checks[_key(result.base_url, result.model)] = result.to_json()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".model-checks-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            json.dump({"version": FILE_VERSION, "checks": checks}, fh, indent=2)
        os.replace(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    return True


def check_date(checked_at: str) -> str:
    """'3 December 2026' from the stored timestamp (the text itself if it is not one)."""
    try:
        when = datetime.fromisoformat(checked_at)
    except ValueError:
        return checked_at
    return f"{when.day} {when.strftime('%B %Y')}"


def warning_for(base_url: str, model: str, path: Path | None = None) -> str | None:
    """The warning to show before a run whose main model failed its last check, else None."""
    check = last_check(base_url, model, path)
    if check is None or check.passed:
        return None
    return (f"The main model {model} did not drive the analysis in a test on "
            f"{check_date(check.checked_at)} ({check.headline.lower()}): its answers may be "
            "unreliable. Test it again, or choose another main model.")
