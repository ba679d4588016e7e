"""Endpoints come from flags, then settings, then fallbacks; keys never go to the wrong host."""

from __future__ import annotations

import pytest

from engine.config import ModelSettings, Settings, settings_path
from engine.endpoints import EndpointChoice, resolve_endpoints
from engine.errors import ConfigError

LOCAL = "http://127.0.0.1:8080/v1"


def settings(root: dict[str, str] | None = None, sub: dict[str, str] | None = None) -> Settings:
    return Settings(root=ModelSettings(**(root or {})), sub=ModelSettings(**(sub or {})))


def test_sub_model_from_settings_stays_on_the_roots_local_server() -> None:
    root, sub = resolve_endpoints(EndpointChoice(),
                                  settings({"model": "big", "base_url": LOCAL}, {"model": "small"}))
    assert (root.base_url, sub.base_url, sub.model) == (LOCAL, LOCAL, "small")
    assert root.api_key is None and sub.api_key is None


def test_flags_win_over_settings_field_by_field() -> None:
    saved = settings({"model": "big", "base_url": LOCAL},
                     {"model": "small", "base_url": "http://127.0.0.1:9000/v1"})
    root, sub = resolve_endpoints(EndpointChoice(base_url="http://localhost:1234/v1",
                                                 sub_model="other"), saved)
    assert root.base_url == "http://localhost:1234/v1"
    assert (sub.model, sub.base_url) == ("other", "http://127.0.0.1:9000/v1")


def test_sub_base_url_in_settings_is_used_without_a_sub_model() -> None:
    _, sub = resolve_endpoints(EndpointChoice(model="m", base_url=LOCAL),
                               settings(sub={"base_url": "http://127.0.0.1:9000/v1"}))
    assert (sub.model, sub.base_url) == ("m", "http://127.0.0.1:9000/v1")


def test_root_key_is_not_sent_to_another_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOT_KEY", "sk-openai")
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-openrouter")
    root, sub = resolve_endpoints(
        EndpointChoice(model="gpt-5", api_key_env="ROOT_KEY",
                       sub_base_url="https://openrouter.ai/api/v1"), settings())
    assert root.api_key == "sk-openai" and sub.api_key == "sk-openrouter"


def test_same_provider_shares_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOT_KEY", "sk-1")
    root, sub = resolve_endpoints(EndpointChoice(model="gpt-5", sub_model="gpt-5-mini",
                                                 api_key_env="ROOT_KEY"), settings())
    assert root.api_key == sub.api_key == "sk-1"
    assert root.base_url == "https://api.openai.com/v1"


@pytest.mark.parametrize("url", ["127.0.0.1:9/v1", "ftp://x/v1", "http:///v1", "localhost"])
def test_urls_without_scheme_or_host_are_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="not an http"):
        resolve_endpoints(EndpointChoice(model="m", base_url=url), settings())


def test_no_model_anywhere() -> None:
    with pytest.raises(ConfigError, match="no model"):
        resolve_endpoints(EndpointChoice(), settings())



def test_no_model_names_the_settings_file() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_endpoints(EndpointChoice(), settings())
    assert str(settings_path()) in str(info.value)


@pytest.mark.parametrize("url", ["https://api.example.com/v1?key=SECRET123",
                                 "https://api.example.com/v1#SECRET123"])
def test_a_base_url_with_a_query_or_fragment_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ConfigError, match="query string") as info:
        resolve_endpoints(EndpointChoice(model="m", base_url=url), settings())
    assert "SECRET123" not in str(info.value)
