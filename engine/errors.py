"""The engine's error types, split by who can fix them: the user, the provider, or nobody."""

from __future__ import annotations


class EngineError(Exception):
    """Base class; the message is meant for a person and says what they can do."""


class ConfigError(EngineError):
    """A setting, flag or input is wrong or missing; the user can fix it (exit code 2)."""


class MissingKeyError(ConfigError):
    """No API key was found for a provider that needs one."""


# Provider failures that no prompt can fix: a rejected key, a missing permission, an account
# out of credit, a model that does not exist.
_RUN_ENDING_KINDS = frozenset({"auth", "permission", "quota", "not_found"})


class ProviderError(EngineError):
    """A model endpoint failed in a way retrying cannot fix (exit code 4).

    ``kind`` names the failure (auth, quota, permission, not_found, context_length,
    bad_request, timeout, connection, rate_limit, server, malformed, error);
    ``retryable`` is True when the failure was transient but retries ran out.
    """

    def __init__(self, message: str, *, kind: str = "error", retryable: bool = False,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.status = status

    def ends_run(self, *, model_named_by_code: bool = False) -> bool:
        """Whether a sub-call meeting this failure stops the whole run.

        The root model's failures always end its run (there is no reply to go on with). A
        sub-call's failure is the model's code's to handle (a prompt too long or refused, a
        server that stays down, a model the code named that does not exist), unless no
        prompt can fix it: then every other call would fail the same way.
        """
        if self.kind == "not_found" and model_named_by_code:
            return False
        return self.kind in _RUN_ENDING_KINDS


class SandboxError(EngineError):
    """The REPL child process could not be started or kept alive (not the model's code failing)."""


class FrameError(SandboxError):
    """A frame on the host/child pipe was malformed, too large, or the pipe closed."""
