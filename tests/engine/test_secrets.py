"""API keys: source order, actionable messages, local servers and keyring failures."""

from __future__ import annotations

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null

from engine import secrets
from engine.errors import ConfigError, MissingKeyError
from engine.secrets import (
    KEYRING_SERVICE,
    delete_key,
    get_key,
    is_local,
    keyring_status,
    provider_name,
    set_key,
)

OPENAI = "https://api.openai.com/v1"
OPENROUTER = "https://openrouter.ai/api/v1"


class BrokenKeyring(KeyringBackend):
    """A backend whose every operation fails, like a locked or crashed Secret Service."""

    priority = 1

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


@pytest.mark.parametrize(("url", "name"), [
    (OPENAI, "openai"),
    ("https://API.OpenAI.com/v1/", "openai"),
    (OPENROUTER, "openrouter"),
    ("https://my-team.openai.azure.com/openai/deployments/x", "azure"),
    ("http://localhost:11434/v1", "localhost:11434"),
    ("http://127.0.0.1:8080/v1", "127.0.0.1:8080"),
    ("https://llm.example.com/v1", "llm.example.com"),
    ("https://llm.example.com:443/v1", "llm.example.com"),
    ("http://llm.example.com:80/v1", "llm.example.com"),
    ("https://llm.example.com:8443/v1", "llm.example.com:8443"),
    ("http://[::1]:8000/v1", "[::1]:8000"),
    ("localhost:1234/v1", "localhost:1234"),
])
def test_provider_name(url: str, name: str) -> None:
    assert provider_name(url) == name


@pytest.mark.parametrize(("url", "local"), [
    ("http://localhost:11434/v1", True),
    ("http://LOCALHOST/v1", True),
    ("http://127.0.0.1:8080/v1", True),
    ("http://127.8.9.10/v1", True),
    ("http://[::1]:8000/v1", True),
    ("http://0.0.0.0:8000/v1", True),
    ("http://ollama.localhost/v1", True),
    ("http://192.168.1.5:8000/v1", False),
    (OPENAI, False),
    ("https://localhost.example.com/v1", False),
])
def test_is_local(url: str, local: bool) -> None:
    assert is_local(url) is local


def test_sources_in_order_flag_variable_then_keyring_then_provider_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "from-provider-var")
    assert get_key(OPENAI) == "from-provider-var"
    set_key("openai", "from-keyring")
    assert get_key(OPENAI) == "from-keyring"
    monkeypatch.setenv("MY_KEY", "from-flag-var")
    assert get_key(OPENAI, api_key_env="MY_KEY") == "from-flag-var"


def test_keyring_entries_are_per_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    set_key("openrouter", "or-key")
    assert get_key(OPENROUTER) == "or-key"
    assert keyring.get_password(KEYRING_SERVICE, "openrouter") == "or-key"
    with pytest.raises(MissingKeyError):
        get_key(OPENAI)


def test_provider_variables_and_generic_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", " or-env \n")  # pasted with whitespace
    monkeypatch.setenv("RLM_API_KEY", "generic")
    assert get_key(OPENROUTER) == "or-env"
    assert get_key("https://llm.example.com/v1") == "generic"
    with pytest.raises(MissingKeyError):
        get_key(OPENAI)  # RLM_API_KEY is for other hosts only


def test_unset_api_key_env_is_an_error_even_with_other_sources(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "present")
    monkeypatch.setenv("EMPTY_KEY", "  ")
    for name in ("NOT_SET_ANYWHERE", "EMPTY_KEY"):
        with pytest.raises(MissingKeyError, match=f"{name}.*not set"):
            get_key(OPENAI, api_key_env=name)


def test_missing_key_message_says_how_to_fix_it() -> None:
    with pytest.raises(MissingKeyError) as info:
        get_key(OPENROUTER)
    message = str(info.value)
    assert "openrouter" in message
    assert "rlm key set openrouter" in message
    assert "keyring" in message
    assert "OPENROUTER_API_KEY=" in message
    assert "--api-key-env" in message


def test_missing_key_for_another_host_names_the_generic_variable() -> None:
    with pytest.raises(MissingKeyError) as info:
        get_key("https://llm.example.com:8443/v1")
    assert "rlm key set llm.example.com:8443" in str(info.value)
    assert "RLM_API_KEY=" in str(info.value)


def test_local_servers_need_no_key_but_use_one_if_stored() -> None:
    assert get_key("http://localhost:11434/v1") is None
    assert get_key("http://127.0.0.1:8080/v1") is None
    set_key("localhost:11434", "local-secret")
    assert get_key("http://localhost:11434/v1") == "local-secret"


@pytest.mark.parametrize("error", [
    keyring.errors.KeyringLocked("locked"),
    keyring.errors.NoKeyringError("no backend"),
    RuntimeError("D-Bus went away"),
])
def test_a_failing_keyring_falls_through_to_the_environment(
        monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    keyring.set_keyring(BrokenKeyring(error))
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    assert get_key(OPENAI) == "env-key"
    assert get_key("http://localhost:8000/v1") is None
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(MissingKeyError, match="export OPENAI_API_KEY=") as info:
        get_key(OPENAI)
    assert "Note:" in str(info.value)


def test_no_keyring_backend_at_all_falls_through() -> None:
    keyring.set_keyring(fail.Keyring())
    assert get_key("http://localhost:8000/v1") is None
    with pytest.raises(MissingKeyError, match="no OS keyring"):
        get_key(OPENAI)


def test_set_and_delete_round_trip() -> None:
    set_key("openai", "sk-one")
    assert get_key(OPENAI) == "sk-one"
    set_key("openai", "sk-two")
    assert get_key(OPENAI) == "sk-two"
    assert delete_key("openai") is True
    assert delete_key("openai") is False
    with pytest.raises(MissingKeyError):
        get_key(OPENAI)


def test_set_key_rejects_empty_input() -> None:
    with pytest.raises(ConfigError, match="empty"):
        set_key("openai", "   ")
    with pytest.raises(ConfigError, match="provider"):
        set_key("", "sk-x")


def test_set_key_without_a_backend_suggests_the_environment() -> None:
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(ConfigError) as info:
        set_key("openrouter", "sk-x")
    assert "No usable OS keyring" in str(info.value)
    assert "OPENROUTER_API_KEY" in str(info.value)
    with pytest.raises(ConfigError, match="No usable OS keyring"):
        delete_key("openrouter")


def test_backend_errors_on_write_become_config_errors() -> None:
    keyring.set_keyring(BrokenKeyring(keyring.errors.PasswordSetError("locked")))
    with pytest.raises(ConfigError, match=r"Could not store the key for openai.*locked"):
        set_key("openai", "sk-x")
    keyring.set_keyring(BrokenKeyring(RuntimeError("D-Bus went away")))
    with pytest.raises(ConfigError, match="Could not delete"):
        delete_key("openai")


def test_keyring_status() -> None:
    status = keyring_status()
    assert status["backend"] == "MemoryKeyring"
    assert status["usable"] is True
    keyring.set_keyring(fail.Keyring())
    status = keyring_status()
    assert status["usable"] is False
    assert "environment variable" in str(status["detail"])
    keyring.set_keyring(BrokenKeyring(keyring.errors.KeyringLocked("locked")))
    status = keyring_status()
    assert status == {"backend": "BrokenKeyring", "usable": False,
                      "detail": "the keyring failed: locked"}


def test_windows_hint_uses_powershell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secrets.sys, "platform", "win32")
    with pytest.raises(MissingKeyError, match=r"\$env:OPENAI_API_KEY"):
        get_key(OPENAI)


@pytest.mark.parametrize(("url", "shown"), [
    ("http://user:pass@host:8080/v1?key=abc#frag", "http://host:8080/v1"),
    ("https://api.openai.com/v1", "https://api.openai.com/v1"),
    ("http://[::1]:8000/v1", "http://[::1]:8000/v1"),
    ("https://token@gateway.example/v1/", "https://gateway.example/v1/"),
    ("localhost:8080/v1?key=1", "localhost:8080/v1"),
])
def test_safe_url_drops_credentials_and_query(url: str, shown: str) -> None:
    assert secrets.safe_url(url) == shown


def test_scrub_urls_cleans_urls_and_echoed_queries_in_free_text() -> None:
    text = ("failed at 'https://u:p@x.example/v1/chat?key=zz': Invalid URL "
            "(POST /v1/?api_key=sekrit). Is it running? Yes.")
    assert secrets.scrub_urls(text) == ("failed at 'https://x.example/v1/chat': Invalid URL "
                                        "(POST /v1/). Is it running? Yes.")


class ForgetfulKeyring(KeyringBackend):
    """Accepts every key and keeps none, as a misconfigured chain of backends can."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        pass

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.PasswordDeleteError("none")


@pytest.mark.parametrize("backend", [null.Keyring(), fail.Keyring(), ForgetfulKeyring()])
def test_set_key_never_claims_a_key_the_keyring_did_not_keep(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    with pytest.raises(ConfigError) as info:
        set_key("openai", "sk-lost")
    assert "export OPENAI_API_KEY=" in str(info.value)


@pytest.mark.parametrize("backend", [null.Keyring(), fail.Keyring(),
                                     BrokenKeyring(keyring.errors.KeyringLocked("locked"))])
def test_missing_key_hint_leaves_out_an_unusable_keyring(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    with pytest.raises(MissingKeyError) as info:
        get_key(OPENAI)
    message = str(info.value)
    assert "rlm key set" not in message
    assert "export OPENAI_API_KEY=" in message and "--api-key-env" in message


@pytest.mark.parametrize("url", [
    "https://user:pa/ss@api.example.com/v1", "https://user:p?ss@api.example.com/v1",
    "https://user:p#ss@api.example.com/v1", "https://u:p@ss@api.example.com/v1?key=k#f",
])
def test_safe_url_drops_a_password_whatever_it_holds(url: str) -> None:
    assert secrets.safe_url(url) == "https://api.example.com/v1"
