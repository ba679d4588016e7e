"""How many tokens a model reads at once: asked of its server, else a table, else the settings."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx2

from engine.providers.tls import shared_context
from engine.secrets import is_local, provider_name

DISCOVERY_TIMEOUT_S = 2.0   # in total, per endpoint and model: a run never waits longer
# Ollama serves a model at its own default when neither the model (num_ctx) nor the server
# (OLLAMA_CONTEXT_LENGTH) says otherwise: 4,096 tokens in recent versions (2,048 before).
OLLAMA_DEFAULT_CONTEXT = 4096

# Windows of common models, in tokens; a key matches at the start of the model's name or of
# a part of it (the longest key wins), so "openai/gpt-4o-mini" and "gpt-4o-mini-2024-07-18"
# both match "gpt-4o".
KNOWN_WINDOWS: dict[str, int] = {
    "gpt-5": 400_000, "gpt-4.1": 1_047_576, "gpt-4.5": 128_000, "gpt-4o": 128_000,
    "gpt-4-turbo": 128_000, "gpt-4-32k": 32_768, "gpt-4": 8_192, "gpt-3.5-turbo": 16_385,
    "gpt-oss": 131_072,
    "o1-mini": 128_000, "o1": 200_000, "o3": 200_000, "o4-mini": 200_000,
    "claude": 200_000, "gemini-1.5": 1_000_000, "gemini-2": 1_048_576,
    "gemini-1.0-pro": 30_720, "llama-3.1": 131_072, "llama3.1": 131_072,
    "llama-3.2": 131_072, "llama3.2": 131_072, "llama-3.3": 131_072, "llama3.3": 131_072,
    "llama-3": 8_192, "llama3": 8_192, "llama-4": 1_048_576, "mistral-large": 131_072,
    "mistral-small": 32_768, "mistral-nemo": 131_072, "mixtral": 32_768,
    "qwen2.5": 32_768, "qwen3": 32_768, "qwen3-coder": 262_144, "deepseek": 128_000,
    "gemma-3": 131_072, "gemma3": 131_072, "gemma-2": 8_192, "gemma2": 8_192,
    "phi-4": 16_384, "phi4": 16_384, "phi-3": 4_096, "kimi-k2": 131_072,
    "glm-4.5": 131_072, "grok-3": 131_072, "grok-4": 256_000, "smollm": 2_048,
}


@dataclass(frozen=True)
class Window:
    """A model's window in tokens, and where the number came from."""

    tokens: int | None
    source: str = "unknown"      # "server", "table", "setting" or "unknown"
    server: str = ""             # which kind of server said so: "vLLM", "Ollama", ...
    model_max: int | None = None  # what the model could take, when the server loads less
    assumed: bool = False        # Ollama's default, assumed because nothing said otherwise

    def to_json(self) -> dict[str, Any]:
        return {"tokens": self.tokens, "source": self.source, "server": self.server,
                "model_max": self.model_max, "assumed": self.assumed}

    @property
    def is_ollama(self) -> bool:
        return self.server == "Ollama"

    def describe(self) -> str:
        """"16,384 tokens (from the server)" or "unknown"."""
        if self.tokens is None:
            return "unknown"
        where = {"server": f"reported by {self.server or 'the server'}", "table": "known model",
                 "setting": "from the settings"}.get(self.source, self.source)
        if self.assumed:
            where = f"{self.server}'s default, assumed"
        return f"{self.tokens:,} tokens ({where})"


def table_window(model: str) -> int | None:
    """The window of a common model by its name, or None: a key matches at the start of
    the name or of a part of it ("openai/o1", not "turbo1")."""
    name = model.lower()
    best = ""
    for key in KNOWN_WINDOWS:
        if len(key) > len(best) and re.search(rf"(?<![a-z0-9]){re.escape(key)}", name):
            best = key
    return KNOWN_WINDOWS[best] if best else None


def choose(found: Window | None, model: str, setting: int | None) -> Window:
    """The server's figure, else the table's, else the setting's (the order issue 13 asks)."""
    if found is not None and found.tokens:
        return found
    known = table_window(model)
    if known:
        return Window(known, "table")
    if setting:
        return Window(setting, "setting")
    return Window(None)


# --- what each server says ----------------------------------------------------------------

def _positive(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and value > 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()) or None
    return None


def _item(body: Any, model: str) -> dict[str, Any] | None:
    """The entry for ``model`` in a model list (OpenAI's ``data``, or a ``models`` list)."""
    if not isinstance(body, dict):
        return None
    items = body.get("data")
    if not isinstance(items, list):
        items = body.get("models")
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, dict) and model in (item.get("id"), item.get("model"),
                                                 item.get("name")):
            return item
    return None


def from_model_list(body: Any, model: str) -> Window | None:
    """vLLM's ``max_model_len``, OpenRouter's ``context_length`` (or its top provider's)."""
    item = _item(body, model)
    if item is None:
        return None
    tokens = _positive(item.get("max_model_len"))
    if tokens:
        return Window(tokens, "server", "vLLM")
    top = item.get("top_provider")
    tokens = _positive(item.get("context_length")) or (
        _positive(top.get("context_length")) if isinstance(top, dict) else None)
    if tokens:
        return Window(tokens, "server", "OpenRouter")
    tokens = _positive(item.get("loaded_context_length")) or _positive(
        item.get("max_context_length"))
    if tokens:
        return Window(tokens, "server", "LM Studio")
    return None


def from_lmstudio(body: Any, model: str) -> Window | None:
    """LM Studio's ``/api/v0/models``: the loaded context, else the model's maximum."""
    item = body if isinstance(body, dict) and body.get("id") == model else _item(body, model)
    if item is None:
        return None
    longest = _positive(item.get("max_context_length"))
    loaded = _positive(item.get("loaded_context_length"))
    tokens = loaded or longest
    return Window(tokens, "server", "LM Studio", model_max=longest) if tokens else None


def from_llamacpp_props(body: Any) -> Window | None:
    """llama.cpp's ``/props``: ``default_generation_settings.n_ctx`` (per slot), or ``n_ctx``."""
    if not isinstance(body, dict):
        return None
    settings = body.get("default_generation_settings")
    tokens = _positive(settings.get("n_ctx")) if isinstance(settings, dict) else None
    tokens = tokens or _positive(body.get("n_ctx"))
    return Window(tokens, "server", "llama.cpp") if tokens else None


def from_ollama(show: Any, running: Any, model: str) -> Window | None:
    """Ollama: the loaded context (``/api/ps``), else the model's ``num_ctx``, else the
    server's default; ``model_info``'s ``<arch>.context_length`` is what it could take."""
    if not isinstance(show, dict):
        return None
    info = show.get("model_info")
    longest = None
    if isinstance(info, dict):
        arch = info.get("general.architecture")
        longest = _positive(info.get(f"{arch}.context_length")) if isinstance(arch, str) \
            else None
        if longest is None:
            longest = next((_positive(v) for k, v in info.items()
                            if k.endswith(".context_length") and _positive(v)), None)
    loaded_item = _item(running, model)
    if loaded_item is None and isinstance(running, dict):   # "llama3" is "llama3:latest"
        loaded_item = _item(running, f"{model}:latest")
    loaded = _positive(loaded_item.get("context_length")) if loaded_item else None
    if loaded:
        return Window(loaded, "server", "Ollama", model_max=longest)
    parameters = show.get("parameters")
    match = re.search(r"^\s*num_ctx\s+(\d+)", parameters, re.MULTILINE) \
        if isinstance(parameters, str) else None
    if match and int(match.group(1)) > 0:
        return Window(int(match.group(1)), "server", "Ollama", model_max=longest)
    tokens = min(OLLAMA_DEFAULT_CONTEXT, longest or OLLAMA_DEFAULT_CONTEXT)
    return Window(tokens, "server", "Ollama", model_max=longest, assumed=True)


# --- asking -------------------------------------------------------------------------------

_CACHE: dict[tuple[str, str], Window | None] = {}
# Hosted services answer only the OpenAI model list: no local server's own endpoints there.
_HOSTED = ("openai", "openrouter", "azure")
_HOSTED_DOMAINS = (".anthropic.com", ".googleapis.com", ".groq.com", ".together.xyz",
                   ".mistral.ai", ".deepseek.com", ".fireworks.ai", ".x.ai")


def _server_root(base_url: str) -> str:
    """The server's own address: the base URL without its OpenAI-style /v1."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


class _Unreachable(Exception):
    """Nothing answered at all: not worth remembering, the server may start later."""


async def _json(client: httpx2.AsyncClient, method: str, url: str,
                body: dict[str, Any] | None = None) -> Any:
    """The JSON a server answers, or None for any failure: discovery never fails a run."""
    try:
        response = await client.request(method, url, json=body)
        if response.status_code != 200:
            return None
        return response.json()
    except httpx2.TransportError as exc:
        raise _Unreachable from exc
    except (httpx2.HTTPError, ValueError):
        return None


async def _ask(client: httpx2.AsyncClient, base_url: str, model: str) -> Window | None:
    found = from_model_list(await _json(client, "GET", base_url.rstrip("/") + "/models"), model)
    provider = provider_name(base_url)
    if found is not None or provider in _HOSTED or provider.endswith(_HOSTED_DOMAINS):
        return found
    root = _server_root(base_url)
    props, lmstudio, show, running = await asyncio.gather(
        _json(client, "GET", f"{root}/props"),
        _json(client, "GET", f"{root}/api/v0/models/{quote(model, safe='')}"),
        _json(client, "POST", f"{root}/api/show", {"model": model}),
        _json(client, "GET", f"{root}/api/ps"))
    return (from_ollama(show, running, model) or from_llamacpp_props(props)
            or from_lmstudio(lmstudio, model))


async def discover_window(base_url: str, model: str, api_key: str | None = None, *,
                          timeout: float = DISCOVERY_TIMEOUT_S,
                          refresh: bool = False) -> Window | None:
    """What the server at ``base_url`` says of ``model``'s window, or None; answers are kept
    for the life of the process (per endpoint and model), and it never takes more than
    ``timeout`` seconds."""
    key = (base_url.rstrip("/"), model)
    if key in _CACHE and not refresh:
        return _CACHE[key]
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        trust_env = not is_local(base_url)
        async with asyncio.timeout(timeout), httpx2.AsyncClient(
                timeout=timeout, headers=headers, trust_env=trust_env,
                verify=shared_context(trust_env)) as client:
            found = await _ask(client, base_url, model)
    except (TimeoutError, _Unreachable):
        return None   # not kept: a busy server may answer next time, a stopped one start
    _CACHE[key] = found
    return found


def forget_windows() -> None:
    """Drop what servers said (tests; a server restarted with another window)."""
    _CACHE.clear()


# --- Ollama's silent cut ------------------------------------------------------------------

RUN_HEADROOM_TOKENS = 4096   # beyond the first request: room for a few steps of work


def small_window_warning(window: Window, model: str, needed: int) -> str | None:
    """What to say before a question when the main model's window cannot hold its first
    request and a few steps: Ollama's silent cut, or any server's refusals to come."""
    if window.is_ollama:
        return ollama_warning(window, model, needed)
    if window.tokens is None or window.tokens >= needed:
        return None
    return (f"Model {model!r} reads at most {window.tokens:,} tokens at once, less than a "
            f"question needs to work (about {needed:,}): it may stop early with an error. "
            "Choose a model with a larger context window, or start its server with a larger "
            "one (llama.cpp: --ctx-size 8192 or more).")


def ollama_warning(window: Window, model: str, needed: int) -> str | None:
    """What to say when Ollama serves ``model`` with a window smaller than ``needed``
    tokens: it would cut the prompts silently, and how to give it a larger one."""
    if not window.is_ollama or window.tokens is None or window.tokens >= needed:
        return None
    size = max(8192, 1 << (needed - 1).bit_length())
    how = "its default, assumed" if window.assumed else "as loaded now"
    return (f"Ollama serves model {model!r} with a window of {window.tokens:,} tokens ({how}), "
            f"but questions need about {needed:,}: Ollama would cut the prompts silently and "
            f"the answers would suffer. Restart Ollama with OLLAMA_CONTEXT_LENGTH={size} (or "
            f"set PARAMETER num_ctx {size} in the model's Modelfile), then ask again.")
