"""AI service presets (names, addresses, key variables) shared by the settings dialog and wizard."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from engine.config import DEFAULT_BASE_URL
from engine.secrets import env_var_for, is_local, provider_name
from rlm_desktop.replies import LocalServer

CUSTOM = "custom"


@dataclass(frozen=True)
class Preset:
    """One AI service a person can pick, in plain words."""

    id: str
    name: str  # shown in lists: "OpenAI"
    base_url: str  # "" for the custom entry (the person types it)
    local: bool  # runs on this computer; needs no key
    blurb: str  # one line: what it is and what it needs
    key_url: str = ""  # where to get a key
    main_example: str = ""  # a sensible main model to suggest
    helper_example: str = ""  # a sensible (cheaper) helper model to suggest


PRESETS: tuple[Preset, ...] = (
    Preset("openai", "OpenAI", DEFAULT_BASE_URL, False,
           "GPT models. Needs an OpenAI account and an API key.",
           "https://platform.openai.com/api-keys", "gpt-5", "gpt-5-mini"),
    Preset("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", False,
           "Models from many companies through one account. Needs an API key.",
           "https://openrouter.ai/keys", "openai/gpt-5", "openai/gpt-5-mini"),
    Preset("ollama", "Ollama", "http://127.0.0.1:11434/v1", True,
           "Free models running on this computer. No key needed."),
    Preset("lmstudio", "LM Studio", "http://127.0.0.1:1234/v1", True,
           "Free models running on this computer. No key needed."),
    Preset("llamacpp", "llama.cpp", "http://127.0.0.1:8080/v1", True,
           "A llama.cpp server on this computer. No key needed."),
    Preset("vllm", "vLLM", "http://127.0.0.1:8000/v1", True,
           "A vLLM server on this computer. No key needed."),
    Preset(CUSTOM, "Another service", "", False,
           "Any service that speaks the OpenAI API: type its address."),
)


def normalize_url(url: str) -> str:
    return url.strip().rstrip("/")


def preset_by_id(preset_id: str) -> Preset:
    for preset in PRESETS:
        if preset.id == preset_id:
            return preset
    raise KeyError(preset_id)


def preset_for_url(url: str, presets: tuple[Preset, ...] = PRESETS) -> Preset:
    """The preset whose address this is; an empty address means OpenAI (the engine's default)."""
    url = normalize_url(url) or DEFAULT_BASE_URL
    for preset in presets:
        if preset.base_url and normalize_url(preset.base_url) == url:
            return preset
    custom = preset_by_id(CUSTOM)
    return replace(custom, base_url=url, local=is_local(url))


def url_problem(url: str) -> str | None:
    """Why an address typed by a person cannot be used, in words that say what to do."""
    url = url.strip()
    if not url:
        return "Type the service's address, for example https://api.example.com/v1."
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return (f"“{url}” is not a web address. It should start with http:// or https://, "
                "for example https://api.example.com/v1 or http://localhost:11434/v1.")
    return None


def key_provider(url: str) -> str:
    """The name the engine keeps this service's key under ("openai", "host:port", ...)."""
    return provider_name(normalize_url(url) or DEFAULT_BASE_URL)


def key_env_var(url: str) -> str:
    """The environment variable people usually keep this service's key in."""
    return env_var_for(key_provider(url))


def needs_key(url: str) -> bool:
    return not is_local(normalize_url(url) or DEFAULT_BASE_URL)


def with_discovered(servers: list[LocalServer],
                    presets: tuple[Preset, ...] = PRESETS) -> tuple[Preset, ...]:
    """Presets with local ones moved to where their server was actually found.

    A found server whose name matches no preset becomes a preset of its own, before the
    custom entry, so it can be picked like the others.
    """
    found = {s.name.casefold(): s for s in servers if s.reachable}
    result: list[Preset] = []
    for preset in presets:
        server = found.pop(preset.name.casefold(), None)
        if preset.local and server is not None:
            preset = replace(preset, base_url=normalize_url(server.base_url))
        result.append(preset)
    extra = [Preset(f"local:{s.base_url}", s.name, normalize_url(s.base_url), True,
                    "Found running on this computer. No key needed.") for s in found.values()]
    custom_at = next(i for i, p in enumerate(result) if p.id == CUSTOM)
    return (*result[:custom_at], *extra, *result[custom_at:])


def found_summary(servers: list[LocalServer]) -> str:
    """'Found on this computer: Ollama — 3 models, LM Studio — 1 model.' or ''."""
    found = [s.describe() for s in servers if s.reachable]
    return f"Found on this computer: {', '.join(found)}." if found else ""
