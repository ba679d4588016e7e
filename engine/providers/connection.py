"""Test an endpoint and model with one tiny chat call, and say exactly what is wrong if it fails."""

from __future__ import annotations

import time
from typing import Any

from engine.errors import MissingKeyError, ProviderError
from engine.providers.client import ModelClient
from engine.providers.prices import PriceTable
from engine.secrets import env_var_for, get_key, is_local, provider_name, safe_url, scrub_urls

TEST_TIMEOUT_S = 20.0
TEST_MAX_TOKENS = 8
TEST_PROMPT = "Reply with the single word OK."

# The client's failure kinds, as the settings page groups them.
_KINDS = {"connection": "unreachable", "auth": "auth", "permission": "auth",
          "not_found": "not_found", "timeout": "timeout"}


def _outcome(ok: bool, latency: float | None, kind: str | None, message: str) -> dict[str, Any]:
    return {"ok": ok, "latency_s": None if latency is None else round(latency, 3),
            "kind": kind, "message": message}


def failure_message(kind: str, base_url: str, model: str, detail: str,
                    timeout: float) -> str:
    """What went wrong and what to do, in words for a person at the settings page."""
    provider = provider_name(base_url)
    local = is_local(base_url)
    base_url, detail = safe_url(base_url), scrub_urls(detail)   # no user:password@, no ?key=
    if kind == "unreachable":
        fix = ("Is the server running? Start it, or check the port in the address."
               if local else "Check the address and the network connection.")
        return f"Could not connect to {base_url}. {fix} ({detail})"
    if kind == "auth":
        return (f"{provider} refused the API key. Enter a valid key for {provider} (or set "
                f"{env_var_for(provider)}), and check that the account may use model "
                f"'{model}'. ({detail})")
    if kind == "not_found":
        return (f"Model '{model}' was not found at {base_url}. Check the model name against "
                f"the server's model list, and that the address ends in /v1. ({detail})")
    if kind == "timeout":
        return (f"{base_url} did not answer within {timeout:g} s. The server may be busy or "
                "still loading the model; try again in a moment.")
    return f"The call to model '{model}' at {base_url} failed: {detail}"


def _detail(exc: ProviderError, kind: str) -> str:
    """The useful part of the client's error (its own hints are for the command line)."""
    text = str(exc)
    if kind in ("auth", "not_found") and exc.status:
        return f"HTTP {exc.status}"
    marker = "gave up after 1 attempt: "
    if marker in text:
        text = text.split(marker, 1)[1].split(". ", 1)[0].rstrip(".")
    return text


async def test_connection(base_url: str, model: str, api_key_env: str | None = None, *,
                          timeout: float = TEST_TIMEOUT_S,
                          prices: PriceTable | None = None) -> dict[str, Any]:
    """One chat call of at most 8 tokens, no retries: {"ok", "latency_s", "kind", "message"}.

    ``kind`` is None on success, else unreachable, auth, not_found, timeout or other.
    """
    try:
        api_key = get_key(base_url, api_key_env)
    except MissingKeyError as exc:
        return _outcome(False, None, "auth", str(exc))
    client = ModelClient(model=model, base_url=base_url, api_key=api_key,
                         prices=prices or PriceTable(), timeout=timeout, max_retries=0)
    started = time.monotonic()
    try:
        completion = await client.complete([{"role": "user", "content": TEST_PROMPT}],
                                           max_tokens=TEST_MAX_TOKENS)
    except ProviderError as exc:
        kind = _KINDS.get(exc.kind, "other")
        return _outcome(False, time.monotonic() - started, kind,
                        failure_message(kind, base_url, model, _detail(exc, kind), timeout))
    except Exception as exc:   # anything else the SDK raises: still a sentence, never a crash
        return _outcome(False, time.monotonic() - started, "other",
                        failure_message("other", base_url, model,
                                        f"{type(exc).__name__}: {exc}", timeout))
    finally:
        await client.aclose()
    latency = time.monotonic() - started
    return _outcome(True, latency, None, f"Connected: model '{completion.model}' at "
                    f"{safe_url(base_url)} answered in {latency:.2f} s.")

