"""Find model servers running on this machine, and list the models an endpoint offers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx2

from engine.errors import ProviderError
from engine.secrets import is_local, provider_name, safe_url, scrub_urls

PROBE_TIMEOUT_S = 1.5
LIST_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Candidate:
    name: str
    base_url: str


DEFAULT_CANDIDATES = (
    Candidate("Ollama", "http://127.0.0.1:11434/v1"),
    Candidate("LM Studio", "http://127.0.0.1:1234/v1"),
    Candidate("llama.cpp", "http://127.0.0.1:8080/v1"),
    Candidate("vLLM", "http://127.0.0.1:8000/v1"),
)


def model_ids(body: Any) -> list[str]:
    """Model names from a /models answer: OpenAI's ``data`` list, or a ``models`` list
    (Ollama's and llama.cpp's own forms); sorted, without duplicates."""
    if not isinstance(body, dict):
        raise ValueError("the answer is not a JSON object")
    items = body.get("data")
    if not isinstance(items, list):
        items = body.get("models")
    if not isinstance(items, list):
        raise ValueError("the answer has no 'data' list of models")
    names = set()
    for item in items:
        if isinstance(item, str):
            names.add(item)
        elif isinstance(item, dict):
            for field in ("id", "model", "name"):
                value = item.get(field)
                if isinstance(value, str) and value:
                    names.add(value)
                    break
    return sorted(names)


async def _get_models(client: httpx2.AsyncClient, base_url: str,
                      api_key: str | None) -> list[str]:
    """GET {base_url}/models; raises ProviderError with a sentence saying what went wrong."""
    url = base_url.rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    where = safe_url(base_url)   # messages never carry user:password@ or ?key=
    try:
        response = await client.get(url, headers=headers)
    except httpx2.TimeoutException:
        raise ProviderError(f"{where} did not answer within the time limit; the server may "
                            "be busy or still starting", kind="timeout") from None
    except httpx2.HTTPError as exc:
        hint = ("start the server, or check the port in the address" if is_local(base_url)
                else "check the address and the network connection")
        raise ProviderError(f"nothing answered at {where} ({type(exc).__name__}: "
                            f"{scrub_urls(str(exc))}); "
                            f"{hint}", kind="connection") from None
    if response.status_code in (401, 403):
        raise ProviderError(f"{where} refused the API key (HTTP {response.status_code}); "
                            f"enter a valid key for {provider_name(base_url)}", kind="auth",
                            status=response.status_code)
    if response.status_code == 404:
        raise ProviderError(f"{where} has no model list (GET /models returned 404); check "
                            "the address, which usually ends in /v1", kind="not_found",
                            status=404)
    if response.status_code >= 400:
        raise ProviderError(f"{where} answered HTTP {response.status_code} to GET /models: "
                            f"{scrub_urls(response.text[:200])}", kind="error",
                            status=response.status_code)
    try:
        return model_ids(response.json())
    except ValueError as exc:
        raise ProviderError(f"{where} answered, but not with a model list ({exc}); is it an "
                            "OpenAI-compatible server?", kind="malformed") from None


async def probe(candidate: Candidate, client: httpx2.AsyncClient,
                timeout: float = PROBE_TIMEOUT_S) -> dict[str, Any]:
    """One candidate server: reachable or not, its models, and what went wrong."""
    found = {"name": candidate.name, "base_url": candidate.base_url, "reachable": False,
             "models": [], "error": None}
    try:
        async with asyncio.timeout(timeout):   # in total: a trickling server cannot hold it
            found["models"] = await _get_models(client, candidate.base_url, None)
        found["reachable"] = True
    except TimeoutError:
        found["error"] = (f"{safe_url(candidate.base_url)} did not answer within {timeout:g} s; "
                          "the server may be busy or still starting")
    except ProviderError as exc:
        # A server that answers, even with an error, is there: say so.
        found["reachable"] = exc.kind not in ("connection", "timeout")
        found["error"] = str(exc)
    return found


async def discover(candidates: list[Candidate] | None = None,
                   timeout: float = PROBE_TIMEOUT_S) -> list[dict[str, Any]]:
    """Probe every candidate at once (default: the usual local servers); results in order."""
    chosen = list(DEFAULT_CANDIDATES) if candidates is None else candidates
    async with httpx2.AsyncClient(timeout=timeout, trust_env=False) as client:
        return list(await asyncio.gather(*(probe(c, client, timeout) for c in chosen)))


async def list_models(base_url: str, api_key: str | None = None,
                      timeout: float = LIST_TIMEOUT_S) -> list[str]:
    """The models ``base_url`` offers; ProviderError says what went wrong."""
    async with httpx2.AsyncClient(timeout=timeout, trust_env=not is_local(base_url)) as client:
        return await _get_models(client, base_url, api_key)
