"""Settings: where data and config live (platformdirs), run limits, and the models to call."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from engine.errors import ConfigError

APP_NAME = "rlm-desktop"
SETTINGS_VERSION = 1
DEFAULT_BASE_URL = "https://api.openai.com/v1"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def runs_dir() -> Path:
    """Folder holding one JSON-lines trajectory log per run."""
    return data_dir() / "runs"


@dataclass
class Limits:
    """Every bound on a run; each one, when hit, ends the run with a named stop reason."""

    max_iterations: int = 30
    max_depth: int = 2
    budget_usd: float | None = None
    timeout_s: float | None = None
    max_sub_calls: int = 1000
    max_consecutive_errors: int = 5
    cell_timeout_s: float = 120.0
    output_limit_chars: int = 20_000
    batch_concurrency: int = 32
    call_timeout_s: float = 180.0
    max_retries: int = 5
    history_limit_chars: int = 400_000
    # A FINAL called before the model saw its code's output (or in its first reply) is held
    # back once: the model is shown the output and asked to confirm (engine/rlm/confirm.py).
    confirm_early_answers: bool = True

    def validate(self) -> None:
        checks = [
            (self.max_iterations >= 1, "max iterations must be at least 1"),
            (self.max_depth >= 0, "max depth cannot be negative"),
            (self.budget_usd is None or self.budget_usd > 0, "the budget must be above 0 USD"),
            (self.timeout_s is None or self.timeout_s > 0, "the timeout must be above 0 seconds"),
            (self.max_sub_calls >= 0, "max sub-calls cannot be negative"),
            (self.max_consecutive_errors >= 1, "max consecutive errors must be at least 1"),
            (self.cell_timeout_s > 0, "the cell timeout must be above 0 seconds"),
            (self.output_limit_chars >= 200, "the output limit must be at least 200 characters"),
            (self.batch_concurrency >= 1, "batch concurrency must be at least 1"),
            (self.call_timeout_s > 0, "the per-call timeout must be above 0 seconds"),
            (self.max_retries >= 0, "max retries cannot be negative"),
            (self.history_limit_chars >= 10_000, "the history limit must be at least 10,000"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)


@dataclass
class SandboxSettings:
    """How the REPL child is confined (see ``engine/sandbox/policy.py``).

    ``allow_unsandboxed`` lets model code run when the machine cannot isolate it (an old
    kernel, Windows): set it only knowingly (``rlm ask --allow-unsandboxed`` per run).
    The address-space cap is ``memory_mb`` when set, else ``memory_headroom_mb`` plus
    ``memory_per_context_byte`` times the context file's size, at most 80% of the RAM.
    """

    allow_unsandboxed: bool = False
    memory_mb: int | None = None
    memory_headroom_mb: int = 1024
    memory_per_context_byte: int = 10
    cpu_seconds: int = 3600
    open_files: int = 256

    def validate(self) -> None:
        checks = [
            (self.memory_mb is None or self.memory_mb >= 64, "sandbox memory_mb must be at "
             "least 64"),
            (self.memory_headroom_mb >= 256, "sandbox memory_headroom_mb must be at least 256"),
            (self.memory_per_context_byte >= 1, "sandbox memory_per_context_byte must be at "
             "least 1"),
            (self.cpu_seconds >= 10, "sandbox cpu_seconds must be at least 10"),
            (self.open_files >= 32, "sandbox open_files must be at least 32"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)


@dataclass
class ModelSettings:
    """One endpoint and model; empty fields fall back (sub to root, root to OpenAI)."""

    model: str = ""
    base_url: str = ""
    api_key_env: str | None = None
    # Tokens the model reads at once, for a model whose server does not say and that the
    # table of common models does not know (engine/providers/windows.py).
    context_window: int | None = None


@dataclass
class Settings:
    """What ``config.json`` in the config directory holds; CLI flags override it per run."""

    root: ModelSettings = field(default_factory=ModelSettings)
    sub: ModelSettings = field(default_factory=ModelSettings)
    limits: Limits = field(default_factory=Limits)
    version: int = SETTINGS_VERSION
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "settings") -> Settings:
        settings = cls(root=_typed(ModelSettings, data.get("root", {}), f"{source}: root"),
                       sub=_typed(ModelSettings, data.get("sub", {}), f"{source}: sub"),
                       limits=_typed(Limits, data.get("limits", {}), f"{source}: limits"),
                       version=_typed_value(data.get("version", SETTINGS_VERSION), int,
                                            f"{source}: version"),
                       sandbox=_typed(SandboxSettings, data.get("sandbox", {}),
                                      f"{source}: sandbox"))
        for role in (settings.root, settings.sub):
            if role.context_window is not None and role.context_window < 512:
                raise ConfigError(f"{source}: a model's context window must be at least 512 "
                                  "tokens; fix or delete the setting")
        try:
            settings.limits.validate()
            settings.sandbox.validate()
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from exc
        return settings


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,), "float": (int, float), "str": (str,),
    "float | None": (int, float, type(None)), "str | None": (str, type(None)),
    "bool": (bool,), "int | None": (int, type(None)),
}


def _typed_value(value: Any, expected: type | tuple[type, ...], where: str) -> Any:
    expected = expected if isinstance(expected, tuple) else (expected,)
    if (isinstance(value, bool) and bool not in expected) or not isinstance(value, expected):
        raise ConfigError(f"{where} has the wrong type ({type(value).__name__}); "
                          "fix or delete the settings file")
    return value


def _typed(cls: type[Any], data: Any, where: str) -> Any:
    """Build a settings dataclass from JSON, refusing unknown names and wrong types."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a JSON object; fix or delete the settings file")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}")
    for name, value in data.items():
        _typed_value(value, _FIELD_TYPES[str(fields[name].type)], f"{where}.{name}")
    return cls(**data)


def settings_path() -> Path:
    return config_dir() / "config.json"


def load_settings(path: Path | None = None) -> Settings:
    """Read settings, or the defaults when the file does not exist yet."""
    path = path or settings_path()
    if not path.exists():
        return Settings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read settings file {path}: {exc}; fix or delete it") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"settings file {path} must hold a JSON object; fix or delete it")
    return Settings.from_json(data, source=str(path))


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write settings atomically (a crash never leaves half a file)."""
    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(settings.to_json(), indent=2), encoding="utf-8")
    tmp.replace(path)
    return path
