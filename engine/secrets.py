"""API keys: session keys, a named variable, the OS keyring, then the environment; the only
keyring user."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import sys
from urllib.parse import SplitResult, urlsplit

import keyring
import keyring.errors
from keyring.backends import fail, null

from engine.errors import ConfigError, MissingKeyError

log = logging.getLogger(__name__)

KEYRING_SERVICE = "rlm-desktop"
# Passwords of encrypted PDFs, by the hash of the file's content: kept apart from API keys.
PDF_PASSWORD_SERVICE = "rlm-desktop-pdf"
PROVIDER_ENV = {
    "openai": "OPENAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "azure": "AZURE_OPENAI_API_KEY",
}
GENERIC_ENV = "RLM_API_KEY"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
_CREDENTIALS = re.compile(r"(?<=//)[^/@\s]*@")
_QUERY = re.compile(r"\?[^\s'\"<>()?]*=[^\s'\"<>()]*")
# Keys given for this process only (the app's "for this session" choice): never written anywhere.
_SESSION_KEYS: dict[str, str] = {}
_NO_BACKEND_HELP = (
    "No usable OS keyring was found (on Linux this needs a running Secret Service such as "
    "GNOME Keyring or KWallet, which servers and containers usually lack). "
    "Put the key in an environment variable instead: {fix}"
)


def provider_name(base_url: str) -> str:
    """The provider behind a base URL: "openai", "openrouter", "azure", else host[:port]."""
    parts = _split(base_url)
    host = (parts.hostname or "").lower()
    if host == "openai.com" or host.endswith(".openai.com"):
        return "openai"
    if host == "openrouter.ai" or host.endswith(".openrouter.ai"):
        return "openrouter"
    if host.endswith(".openai.azure.com"):
        return "azure"
    port = _port(parts)
    shown = f"[{host}]" if ":" in host else host  # IPv6 literals keep their brackets
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{shown}:{port}"
    return host


def safe_url(url: str) -> str:
    """A URL fit to show a person, a log or the model: no ``user:password@``, no query string
    or fragment (some providers take the key as ``?key=``); scheme, host, port and path stay."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        # Not a URL we can take apart: drop anything that looks like credentials or a query.
        return _CREDENTIALS.sub("", url).split("?", 1)[0].split("#", 1)[0]
    # Cut at the last "@" of the whole rest, not of the parsed netloc: a password holding
    # "/", "?" or "#" ends the netloc early, and the rest of it would be read as the path.
    rest = url.strip().split("://", 1)[-1]
    rest = rest.rsplit("@", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    return f"{parts.scheme}://{rest}"


def scrub_urls(text: str) -> str:
    """Every URL inside free text (an error a server or a library wrote) made safe_url."""
    text = _URL.sub(lambda match: safe_url(match.group(0)), text)
    # Servers echo the path they got ("Invalid URL (POST /v1/?key=...)"): drop query strings.
    return _QUERY.sub("", text)


def is_local(base_url: str) -> bool:
    """True for servers on this machine (localhost, loopback, 0.0.0.0), which need no key."""
    host = (_split(base_url).hostname or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def env_var_for(provider: str) -> str:
    """The environment variable people usually keep this provider's key in."""
    return PROVIDER_ENV.get(provider, GENERIC_ENV)


def get_key(base_url: str, api_key_env: str | None = None) -> str | None:
    """The key for base_url: a session key, the --api-key-env variable, the keyring, the
    provider's variable; None for a local server without one."""
    provider = provider_name(base_url)
    if provider in _SESSION_KEYS:
        return _SESSION_KEYS[provider]
    if api_key_env:
        value = _env(api_key_env)
        if value is None:
            raise MissingKeyError(
                f"--api-key-env names the environment variable {api_key_env}, but it is not set "
                f"(or is empty). Set it with: {_export_hint(api_key_env)}"
            )
        return value
    stored, keyring_problem = _keyring_get(provider)
    if stored:
        return stored
    keyring_problem = keyring_problem or _keyring_unusable()
    value = _env(env_var_for(provider))
    if value is not None:
        return value
    if is_local(base_url):
        return None
    raise MissingKeyError(_missing_key_message(provider, base_url, keyring_problem))


def set_key(provider: str, secret: str) -> None:
    """Store a provider's key in the OS keyring."""
    provider, secret = provider.strip(), secret.strip()
    if not provider:
        raise ConfigError("give a provider name, for example: rlm key set openai")
    if not secret:
        raise ConfigError(f"the key for {provider} is empty; nothing was stored")
    if _keyring_unusable():
        raise ConfigError(_no_backend_message(provider))
    try:
        keyring.set_password(KEYRING_SERVICE, provider, secret)
        # Some backends (the null one, a chain with nothing in it) accept a key and keep
        # nothing: only a read-back proves it was stored.
        kept = keyring.get_password(KEYRING_SERVICE, provider)
    except keyring.errors.NoKeyringError:
        raise ConfigError(_no_backend_message(provider)) from None
    except Exception as exc:  # backends raise their own error types (D-Bus, Keychain, ...)
        raise ConfigError(_keyring_failure("store", provider, exc)) from None
    if kept != secret:
        backend = type(keyring.get_keyring()).__name__
        raise ConfigError(f"The OS keyring ({backend}) did not keep the key for {provider}, so "
                          "nothing was stored. Put the key in an environment variable instead: "
                          f"{_export_hint(env_var_for(provider))}")


def delete_key(provider: str) -> bool:
    """Remove a provider's key from the OS keyring; False if none was stored."""
    provider = provider.strip()
    try:
        keyring.delete_password(KEYRING_SERVICE, provider)
    except keyring.errors.NoKeyringError:
        raise ConfigError(_no_backend_message(provider)) from None
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise ConfigError(_keyring_failure("delete", provider, exc)) from None
    return True


def remember_pdf_password(content_hash: str, password: str) -> bool:
    """Keep the password that opened an encrypted PDF (by its content's hash) in the OS
    keyring, so reading it again needs no password; False when no keyring can keep it."""
    if _keyring_unusable():
        return False
    try:
        keyring.set_password(PDF_PASSWORD_SERVICE, content_hash, password)
    except Exception as exc:   # best effort: the document is stored either way
        log.debug("could not remember a PDF password: %s", exc)
        return False
    return True


def pdf_password(content_hash: str) -> str | None:
    """The remembered password of an encrypted PDF with this content, if any; never raises."""
    if _keyring_unusable():
        return None
    try:
        return keyring.get_password(PDF_PASSWORD_SERVICE, content_hash) or None
    except Exception as exc:
        log.debug("could not read a remembered PDF password: %s", exc)
        return None


def forget_pdf_password(content_hash: str) -> None:
    """Delete a remembered PDF password (its document left the library); never raises."""
    if _keyring_unusable():
        return
    try:
        keyring.delete_password(PDF_PASSWORD_SERVICE, content_hash)
    except Exception as exc:   # none kept, or a keyring that refuses: nothing to undo
        log.debug("could not forget a PDF password: %s", exc)


def normalize_provider(provider: str) -> str:
    """A provider name as keys are filed under; a base URL is turned into its provider."""
    provider = provider.strip()
    return provider_name(provider) if "://" in provider else provider


def set_session_key(provider: str, secret: str) -> None:
    """Keep a key in this process's memory only; it is forgotten when the process exits."""
    provider, secret = normalize_provider(provider), secret.strip()
    if not provider:
        raise ConfigError("give a provider name, for example openai")
    if not secret:
        raise ConfigError(f"the key for {provider} is empty; nothing was kept")
    _SESSION_KEYS[provider] = secret


def delete_session_key(provider: str) -> bool:
    return _SESSION_KEYS.pop(normalize_provider(provider), None) is not None


def key_source(provider: str) -> str | None:
    """Where the key for ``provider`` would come from: "session", "keyring", "env" or None.
    (An --api-key-env variable named per run is not known here.)"""
    provider = normalize_provider(provider)
    if provider in _SESSION_KEYS:
        return "session"
    stored, _ = _keyring_get(provider)
    if stored:
        return "keyring"
    if _env(env_var_for(provider)) is not None:
        return "env"
    return None


def keyring_status() -> dict[str, object]:
    """Which keyring backend is in use and whether it works: {"backend", "usable", "detail"}."""
    backend = keyring.get_keyring()
    name = type(backend).__name__
    if isinstance(backend, fail.Keyring):
        return {"backend": name, "usable": False, "detail": _no_backend_message("openai")}
    if isinstance(backend, null.Keyring):
        return {"backend": name, "usable": False,
                "detail": "the keyring is disabled (null backend); keys are read from "
                          "environment variables only"}
    try:
        # A read of an absent entry proves the backend answers (it may ask to unlock).
        backend.get_password(KEYRING_SERVICE, "__status_probe__")
    except Exception as exc:
        return {"backend": name, "usable": False, "detail": f"the keyring failed: {exc}"}
    module = type(backend).__module__
    return {"backend": name, "usable": True, "detail": f"keys are stored in {module}.{name}"}


# --- helpers -----------------------------------------------------------------

def _split(base_url: str) -> SplitResult:
    # Without a scheme, urlsplit reads "localhost:8080/v1" as scheme "localhost".
    url = base_url.strip()
    return urlsplit(url if "://" in url else "http://" + url)


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # a malformed port: treat as absent rather than crash
        return None


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _keyring_get(provider: str) -> tuple[str | None, str | None]:
    """(key or None, description of a keyring failure or None); never raises."""
    try:
        value = keyring.get_password(KEYRING_SERVICE, provider)
    except keyring.errors.NoKeyringError:
        return None, "no OS keyring is available"
    except Exception as exc:  # any backend failure falls through to the environment
        log.debug("keyring read failed for %s: %s", provider, exc)
        return None, f"the OS keyring could not be read ({type(exc).__name__}: {exc})"
    return (value.strip() or None) if value else None, None


def _keyring_unusable() -> str | None:
    """Why no key can be kept in the OS keyring here (no backend, or the null one), or None."""
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return "no OS keyring is available"
    if isinstance(backend, null.Keyring):
        return "the OS keyring is turned off (its null backend is selected)"
    return None


def _export_hint(variable: str) -> str:
    if sys.platform == "win32":
        return f'$env:{variable} = "..."   (PowerShell)'
    return f"export {variable}=..."


def _missing_key_message(provider: str, base_url: str, keyring_problem: str | None) -> str:
    fixes = [
        (f"rlm key set {provider}", "stores the key in the OS keyring"),
        (_export_hint(env_var_for(provider)), "for this shell session"),
        ("--api-key-env VAR", "reads the key from the environment variable VAR"),
    ]
    if keyring_problem:   # the keyring cannot help now: offer only what works
        fixes = fixes[1:]
    width = max(len(command) for command, _ in fixes) + 3
    lines = [f"No API key found for {provider} ({safe_url(base_url)}). "
             "Fix it in one of these ways:"]
    lines += [f"  {command.ljust(width)}({why})" for command, why in fixes]
    if keyring_problem:
        lines.append(f"Note: {keyring_problem}, so use one of the environment routes.")
    return "\n".join(lines)


def _no_backend_message(provider: str) -> str:
    return _NO_BACKEND_HELP.format(fix=_export_hint(env_var_for(provider)))


def _keyring_failure(action: str, provider: str, exc: Exception) -> str:
    backend = type(keyring.get_keyring()).__name__
    return (f"Could not {action} the key for {provider} in the OS keyring ({backend}): "
            f"{type(exc).__name__}: {exc}. "
            f"Unlock the keyring and try again, or use an environment variable instead: "
            f"{_export_hint(env_var_for(provider))}")
