"""Service presets: recognising saved addresses, checking typed ones, placing found servers."""

from __future__ import annotations

from rlm_desktop.replies import LocalServer
from rlm_desktop.settings.providers import (
    CUSTOM,
    found_summary,
    key_env_var,
    key_provider,
    needs_key,
    preset_for_url,
    url_problem,
    with_discovered,
)


def test_saved_addresses_map_to_presets() -> None:
    assert preset_for_url("").id == "openai"  # the engine's default
    assert preset_for_url("https://api.openai.com/v1/").id == "openai"
    assert preset_for_url("https://openrouter.ai/api/v1").id == "openrouter"
    assert preset_for_url("http://127.0.0.1:11434/v1").id == "ollama"
    other = preset_for_url("https://llm.example.com/v1")
    assert other.id == CUSTOM and other.base_url == "https://llm.example.com/v1"
    assert not other.local
    assert preset_for_url("http://localhost:9999/v1").local


def test_typed_addresses_are_checked_in_plain_words() -> None:
    assert url_problem("https://llm.example.com/v1") is None
    assert "Type the service's address" in (url_problem("  ") or "")
    assert "is not a web address" in (url_problem("llm.example.com") or "")
    assert "is not a web address" in (url_problem("ftp://x/v1") or "")


def test_keys_are_filed_like_the_engine_files_them() -> None:
    assert key_provider("") == "openai"
    assert key_provider("https://openrouter.ai/api/v1") == "openrouter"
    assert key_provider("http://127.0.0.1:8080/v1") == "127.0.0.1:8080"
    assert key_env_var("https://api.openai.com/v1") == "OPENAI_API_KEY"
    assert key_env_var("https://llm.example.com/v1") == "RLM_API_KEY"
    assert needs_key("https://api.openai.com/v1") and not needs_key("http://localhost:1234/v1")


def test_found_servers_replace_their_preset_address_or_join_the_list() -> None:
    servers = [LocalServer("Ollama", "http://127.0.0.1:5555/v1/", True, ("a", "b", "c")),
               LocalServer("LM Studio", "http://127.0.0.1:1234/v1", False, ()),
               LocalServer("Jan", "http://127.0.0.1:1337/v1", True, ("x",))]
    presets = with_discovered(servers)
    by_name = {p.name: p for p in presets}
    assert by_name["Ollama"].base_url == "http://127.0.0.1:5555/v1"
    assert by_name["LM Studio"].base_url == "http://127.0.0.1:1234/v1"  # not running: as is
    assert by_name["Jan"].local and presets[-1].id == CUSTOM  # extra ones before "custom"
    assert found_summary(servers) == ("Found on this computer: Ollama — 3 models, "
                                      "Jan — 1 model.")
    assert found_summary(servers[1:2]) == ""
    assert LocalServer("vLLM", "u", True, ()).describe() == "vLLM — no models installed yet"
