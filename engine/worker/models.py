"""The worker's model-check commands: test whether a model drives the analysis, and the
warning to show before asking when the main model failed its last test."""

from __future__ import annotations

import asyncio
from typing import Any

from engine import secrets
from engine.config import DEFAULT_BASE_URL, config_dir, load_settings
from engine.endpoints import Endpoint, check_base_url
from engine.providers.prices import PriceTable
from engine.rlm import model_checks
from engine.worker.state import Request, RequestError, Services, arg_str, need_str

MAX_TIMEOUT_S = 600.0


def _timeout(req: Request, default: float) -> float:
    value = req.args.get("timeout_s", default)
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not 0 < value <= MAX_TIMEOUT_S:
        raise RequestError(f'"timeout_s" must be a number of seconds above 0 and at most '
                           f"{MAX_TIMEOUT_S:g}")
    return float(value)


async def check_model(svc: Services, req: Request) -> dict[str, Any]:
    """Run the small test analysis (engine.rlm.probe) and keep its outcome."""
    from engine.rlm.probe import PROBE_TIMEOUT_S
    from engine.rlm.probe import check_model as probe

    base_url = check_base_url(need_str(req.args, "base_url"), "base_url")
    model = need_str(req.args, "model")
    key_env = arg_str(req.args, "api_key_env", required=False)
    timeout = _timeout(req, PROBE_TIMEOUT_S)
    settings = await asyncio.to_thread(load_settings)
    key = await asyncio.to_thread(secrets.get_key, base_url, key_env)
    prices = await asyncio.to_thread(PriceTable.load, config_dir())
    cancel = asyncio.Event()
    req.on_cancel = cancel.set
    result = await probe(Endpoint(model, base_url, key), prices, api_key_env=key_env,
                         timeout_s=timeout, sandbox=settings.sandbox, cancel=cancel)
    saved = await asyncio.to_thread(model_checks.record, result)
    return {**result.to_json(), "summary": result.summary(), "saved": saved}


async def model_check_warning(svc: Services, req: Request) -> dict[str, Any]:
    """The settings' main model, and the warning a question with it should show (or None)."""
    def read() -> dict[str, Any]:
        settings = load_settings()
        model = settings.root.model
        base_url = (settings.root.base_url or DEFAULT_BASE_URL).rstrip("/")
        warning = model_checks.warning_for(base_url, model) if model else None
        return {"model": model, "base_url": base_url, "api_key_env": settings.root.api_key_env,
                "warning": warning}

    return await asyncio.to_thread(read)


HANDLERS = {"check_model": check_model, "model_check_warning": model_check_warning}
