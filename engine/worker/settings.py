"""The worker's settings commands: settings, prices, API keys, local servers, connection tests.

The worker is the only process holding API keys: none of these ever returns one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from engine import secrets
from engine.config import Settings, config_dir, load_settings, save_settings, settings_path
from engine.endpoints import check_base_url
from engine.errors import ConfigError
from engine.providers.prices import USER_FILE_NAME, PriceTable, read_price_file
from engine.worker.state import Request, RequestError, Services, arg_dict, arg_str, need_str

KEY_PLACES = ("keyring", "session")


async def settings_get(svc: Services, req: Request) -> dict[str, Any]:
    settings = await asyncio.to_thread(load_settings)
    return {"settings": settings.to_json(), "path": str(settings_path())}


def _checked_settings(data: dict[str, Any]) -> Settings:
    # Settings.from_json ignores unknown top-level names; here a typo must not pass silently.
    unknown = sorted(set(data) - {f.name for f in dataclasses.fields(Settings)})
    if unknown:
        raise ConfigError(f"settings: unknown setting(s) {', '.join(unknown)}; nothing was "
                          "saved")
    settings = Settings.from_json(data)
    for where, model in (("root", settings.root), ("sub", settings.sub)):
        if model.base_url:
            check_base_url(model.base_url, f"{where}.base_url")
    return settings


async def settings_set(svc: Services, req: Request) -> dict[str, Any]:
    settings = _checked_settings(arg_dict(req.args, "settings"))
    path = await asyncio.to_thread(save_settings, settings)
    return {"path": str(path)}


def _price_json(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {model: dataclasses.asdict(price) for model, price in table.items()}


def _prices_file() -> Path:
    return config_dir() / USER_FILE_NAME


async def prices_get(svc: Services, req: Request) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        builtin = PriceTable.builtin()
        path = _prices_file()
        overrides = read_price_file(path) if path.is_file() else {}
        return {"builtin": _price_json({m: builtin.lookup(m) for m in builtin}),
                "overrides": _price_json(dict(overrides)), "path": str(path)}

    return await asyncio.to_thread(read)


async def prices_set(svc: Services, req: Request) -> dict[str, Any]:
    overrides = arg_dict(req.args, "overrides")

    def write() -> str:
        path = _prices_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".prices-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as fh:
                json.dump(overrides, fh, indent=2)
            read_price_file(Path(temp))    # the same check a run makes: refuse what it would
            os.replace(temp, path)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        return str(path)

    return {"path": await asyncio.to_thread(write)}


def _provider(req: Request) -> str:
    provider = secrets.normalize_provider(need_str(req.args, "provider"))
    if not provider:
        raise RequestError('"provider" is empty: give a name such as openai')
    return provider


async def key_status(svc: Services, req: Request) -> dict[str, Any]:
    provider = _provider(req)

    def status() -> dict[str, Any]:
        source = secrets.key_source(provider)
        return {"provider": provider, "stored": source in KEY_PLACES, "source": source,
                "env_var": secrets.env_var_for(provider), "keyring": secrets.keyring_status()}

    return await asyncio.to_thread(status)


async def key_set(svc: Services, req: Request) -> dict[str, Any]:
    provider = _provider(req)
    secret = need_str(req.args, "secret")
    where = arg_str(req.args, "where", required=False, default="keyring")
    if where not in KEY_PLACES:
        raise RequestError('"where" must be "keyring" or "session"')
    if where == "session":
        secrets.set_session_key(provider, secret)
    else:
        await asyncio.to_thread(secrets.set_key, provider, secret)
        secrets.delete_session_key(provider)   # the stored key is the one to use from now on
    return {"where": where}


async def key_delete(svc: Services, req: Request) -> dict[str, Any]:
    provider = _provider(req)
    in_session = secrets.delete_session_key(provider)
    try:
        in_keyring = await asyncio.to_thread(secrets.delete_key, provider)
    except ConfigError:
        if not in_session:   # no keyring and nothing to forget: say why
            raise
        in_keyring = False
    return {"deleted": in_session or in_keyring}


async def discover_local(svc: Services, req: Request) -> list[dict[str, Any]]:
    from engine.providers.discovery import Candidate, discover

    raw = req.args.get("candidates")
    candidates = None
    if raw is not None:
        if not isinstance(raw, list) or not all(
                isinstance(c, dict) and isinstance(c.get("name"), str)
                and isinstance(c.get("base_url"), str) for c in raw):
            raise RequestError('"candidates" must be a list of {"name", "base_url"} objects')
        candidates = [Candidate(c["name"], check_base_url(c["base_url"], "base_url"))
                      for c in raw]
    return await discover(candidates)


async def list_models(svc: Services, req: Request) -> dict[str, Any]:
    from engine.providers.discovery import list_models as fetch

    base_url = check_base_url(need_str(req.args, "base_url"), "base_url")
    key_env = arg_str(req.args, "api_key_env", required=False)
    key = await asyncio.to_thread(secrets.get_key, base_url, key_env)
    return {"models": await fetch(base_url, key)}


async def test_connection(svc: Services, req: Request) -> dict[str, Any]:
    from engine.providers import connection

    base_url = check_base_url(need_str(req.args, "base_url"), "base_url")
    model = need_str(req.args, "model")
    key_env = arg_str(req.args, "api_key_env", required=False)
    timeout = req.args.get("timeout_s", connection.TEST_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise RequestError('"timeout_s" must be a number of seconds above 0')
    return await connection.test_connection(base_url, model, key_env, timeout=float(timeout))


HANDLERS = {"settings_get": settings_get, "settings_set": settings_set,
            "prices_get": prices_get, "prices_set": prices_set, "key_status": key_status,
            "key_set": key_set, "key_delete": key_delete, "discover_local": discover_local,
            "list_models": list_models, "test_connection": test_connection}
