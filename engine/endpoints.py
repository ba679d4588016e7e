"""Decide the root and sub-model endpoints from flags and saved settings, with their keys.

One fixed order for every field: the flag, then the saved setting, then the
fallback (the sub-model falls back to the root's model, URL and key variable;
the root's URL to OpenAI). A key is only reused for the sub-model when it goes
to the same provider, so a key is never sent to a host it was not meant for.
Imports no model client, so commands that never call a model start fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from engine import secrets
from engine.config import DEFAULT_BASE_URL, Settings, settings_path
from engine.errors import ConfigError


@dataclass(frozen=True)
class Endpoint:
    """Where a model lives; ``api_key`` is None for local servers that need none."""

    model: str
    base_url: str
    api_key: str | None = None
    # The window the settings give for this model (tokens), used when neither its server
    # nor the table of common models knows it.
    context_window: int | None = None

    def describe(self) -> dict[str, Any]:
        return {"model": self.model, "base_url": self.base_url}


@dataclass
class EndpointChoice:
    """What the user asked for; None means 'not given, use the settings or the fallback'."""

    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    sub_model: str | None = None
    sub_base_url: str | None = None
    sub_api_key_env: str | None = None


def check_base_url(url: str, flag: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{flag} {secrets.safe_url(url)!r} is not an http(s) URL; for example "
                          "https://api.openai.com/v1 or http://localhost:11434/v1")
    if parts.query or parts.fragment:
        # The client appends /chat/completions to the base URL, after any query string.
        raise ConfigError(f"{flag} {secrets.safe_url(url)!r} has a query string (?...) or "
                          "fragment (#...), which an API address cannot carry: remove it "
                          "(a key is kept separately, never in the address)")
    return url.rstrip("/")


def resolve_endpoints(choice: EndpointChoice, settings: Settings) -> tuple[Endpoint, Endpoint]:
    """The two endpoints with their keys, or ConfigError saying what to set."""
    model = choice.model or settings.root.model
    if not model:
        raise ConfigError("no model: pass --model NAME (e.g. --model gpt-5), or set "
                          f'"root": {{"model": NAME}} in the settings file {settings_path()}')
    base_url = check_base_url(choice.base_url or settings.root.base_url or DEFAULT_BASE_URL,
                              "--base-url")
    sub_model = choice.sub_model or settings.sub.model or model
    sub_base_url = check_base_url(choice.sub_base_url or settings.sub.base_url or base_url,
                                  "--sub-base-url")
    key_env = choice.api_key_env or settings.root.api_key_env
    same_provider = secrets.provider_name(sub_base_url) == secrets.provider_name(base_url)
    sub_key_env = (choice.sub_api_key_env or settings.sub.api_key_env
                   or (key_env if same_provider else None))
    root_key = secrets.get_key(base_url, key_env)
    if same_provider and sub_key_env == key_env:
        sub_key = root_key
    else:
        sub_key = secrets.get_key(sub_base_url, sub_key_env)
    window = settings.root.context_window
    sub_window = settings.sub.context_window or (window if sub_model == model else None)
    return (Endpoint(model, base_url, root_key, window),
            Endpoint(sub_model, sub_base_url, sub_key, sub_window))

