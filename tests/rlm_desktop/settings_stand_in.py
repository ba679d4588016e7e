"""An in-process stand-in for the worker's settings commands, answering asynchronously like it.

It keeps settings, price overrides and keys in memory, validates settings with the engine's
own ``Settings.from_json``, and records every request, so settings tests run in milliseconds.
The real worker is exercised by the round-trip tests.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

from PySide6.QtCore import QObject, QTimer

from engine.config import Settings
from engine.errors import ConfigError

Handler = Callable[[dict[str, Any]], Any]
NO_KEYRING_DETAIL = "No usable OS keyring was found (test)."


class Refused(Exception):
    """Makes the stand-in answer with an error reply of this kind."""

    def __init__(self, message: str, kind: str = "config") -> None:
        super().__init__(message)
        self.kind = kind


def builtin_prices() -> dict[str, Any]:
    text = resources.files("engine.providers").joinpath("prices.json").read_text("utf-8")
    return {k: v for k, v in json.loads(text).items() if isinstance(v, dict)}


class SettingsStandIn(QObject):
    """``request(cmd, args, on_event=, on_done=)`` as WorkerClient has; replies a turn later."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings: dict[str, Any] = Settings().to_json()
        self.overrides: dict[str, Any] = {}
        self.keys: dict[str, tuple[str, str]] = {}  # provider -> (secret, where)
        self.keyring_usable = True
        self.env: dict[str, str] = {}  # environment variables the "worker" sees
        self.servers: list[dict[str, Any]] = []
        self.models: dict[str, list[str]] = {}  # base_url -> models (missing: unreachable)
        self.tests: dict[str, Any] = {}  # model -> test_connection result
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.handlers: dict[str, Handler] = {
            "hello": self._hello, "settings_get": self._settings_get,
            "settings_set": self._settings_set, "prices_get": self._prices_get,
            "prices_set": self._prices_set, "key_status": self._key_status,
            "key_set": self._key_set, "key_delete": self._key_delete,
            "discover_local": self._discover, "list_models": self._list_models,
            "test_connection": self._test}

    def request(self, cmd: str, args: dict[str, Any] | None = None, *,
                on_event: Callable[[dict[str, Any]], None] | None = None,
                on_done: Callable[[dict[str, Any]], None] | None = None) -> int:
        args = copy.deepcopy(args or {})
        self.requests.append((cmd, args))
        try:
            reply = {"ok": True, "result": self.handlers[cmd](args)}
        except Refused as exc:
            reply = {"ok": False, "error": str(exc), "kind": exc.kind}
        if on_done is not None:
            QTimer.singleShot(0, self, lambda: on_done(reply))
        return len(self.requests)

    def sent(self, cmd: str) -> list[dict[str, Any]]:
        return [args for name, args in self.requests if name == cmd]

    # --- commands -------------------------------------------------------------------

    def _keyring(self) -> dict[str, Any]:
        if self.keyring_usable:
            return {"backend": "MemoryKeyring", "usable": True, "detail": "in memory"}
        return {"backend": "Keyring", "usable": False, "detail": NO_KEYRING_DETAIL}

    def _hello(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"version": "test", "pid": 1, "data_dir": "/tmp/rlm-data",
                "config_dir": "/tmp/rlm-config", "store": "/tmp/rlm-data/library.db",
                "keyring": self._keyring()}

    def _settings_get(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"settings": copy.deepcopy(self.settings), "path": "/tmp/rlm-config/config.json"}

    def _settings_set(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            Settings.from_json(args["settings"])
        except ConfigError as exc:
            raise Refused(str(exc)) from None
        self.settings = copy.deepcopy(args["settings"])
        return {"path": "/tmp/rlm-config/config.json"}

    def _prices_get(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"builtin": builtin_prices(), "overrides": copy.deepcopy(self.overrides),
                "path": "/tmp/rlm-config/prices.json"}

    def _prices_set(self, args: dict[str, Any]) -> dict[str, Any]:
        self.overrides = copy.deepcopy(args["overrides"])
        return {"path": "/tmp/rlm-config/prices.json"}

    def _key_status(self, args: dict[str, Any]) -> dict[str, Any]:
        provider = args["provider"]
        env_var = {"openai": "OPENAI_API_KEY",
                   "openrouter": "OPENROUTER_API_KEY"}.get(provider, "RLM_API_KEY")
        source = self.keys[provider][1] if provider in self.keys else (
            "env" if env_var in self.env else None)
        return {"provider": provider, "stored": source is not None, "source": source,
                "env_var": env_var, "keyring": self._keyring()}

    def _key_set(self, args: dict[str, Any]) -> dict[str, Any]:
        if args["where"] == "keyring" and not self.keyring_usable:
            raise Refused("No usable OS keyring was found.")
        self.keys[args["provider"]] = (args["secret"], args["where"])
        return {"where": args["where"]}

    def _key_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"deleted": self.keys.pop(args["provider"], None) is not None}

    def _discover(self, args: dict[str, Any]) -> list[dict[str, Any]]:
        return copy.deepcopy(self.servers)

    def _list_models(self, args: dict[str, Any]) -> dict[str, Any]:
        models = self.models.get(args["base_url"])
        if models is None:
            raise Refused(f"Cannot reach {args['base_url']}.", "provider")
        return {"models": list(models)}

    def _test(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.tests.get(args["model"]) or {
            "ok": True, "latency_s": 0.25, "kind": None, "message": "ok"}
