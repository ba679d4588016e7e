"""The engine's error types, split by who can fix them: the user, the provider, or nobody."""

from __future__ import annotations


class EngineError(Exception):
    """Base class; the message is meant for a person and says what they can do."""


class ConfigError(EngineError):
    """A setting, flag or input is wrong or missing; the user can fix it (exit code 2)."""


class MissingKeyError(ConfigError):
    """No API key was found for a provider that needs one."""


class ProviderError(EngineError):
    """A model endpoint failed in a way retrying cannot fix (exit code 4).

    ``retryable`` is True when the failure was transient but retries ran out.
    ``fatal`` is True when the whole run must stop (bad key, unknown model),
    False when a sub-call may report it to the model's code and go on
    (for example a prompt that is too long for the sub-model).
    """

    def __init__(self, message: str, *, kind: str = "error", retryable: bool = False,
                 fatal: bool = True, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.fatal = fatal
        self.status = status


class SandboxError(EngineError):
    """The REPL child process could not be started or kept alive (not the model's code failing)."""


class FrameError(SandboxError):
    """A frame on the host/child pipe was malformed, too large, or the pipe closed."""
