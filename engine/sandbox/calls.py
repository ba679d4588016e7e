"""What a call from the REPL may hold on the host: the refusal its code sees, and the bytes
of call arguments a run tree keeps at once while the calls wait for answers."""

from __future__ import annotations

from contextvars import ContextVar

# Bytes of call frames the host may hold at once for unanswered calls of a run tree: else 64
# frames of up to 64 MB per REPL sat in the engine while an endpoint was slow (5.9 GB). 256 MB
# is 32 of the largest prompts (8 MB) or 4 of the largest frames. A constant, not a setting:
# it bounds runaway code, real work stays far below, and the model is told to wait for
# answers. The HTTP client's copies of prompts on their way out are not counted here.
MAX_CALL_BYTES_IN_FLIGHT = 256 * 1024 * 1024


class SubCallRefused(Exception):
    """Raised by a call handler: the child's call raises SubCallError with this message."""


def megabytes(size: int) -> str:
    """A size as the model reads it in refusals: "40 MB", "0.5 MB"."""
    return f"{size / (1024 * 1024):,.{0 if size >= 10 * 1024 * 1024 else 1}f} MB"


class CallBytes:
    """The bytes of call arguments held for calls not yet answered; one instance is shared
    by the REPLs of a run tree (``engine/rlm/budget.py``), so child runs count too."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_CALL_BYTES_IN_FLIGHT if limit is None else limit
        self.held = 0
        self.peak = 0  # for tests and figures

    def take(self, op: str, size: int) -> CallHold:
        """Hold ``size`` bytes for a call, or refuse it when the total would pass the limit."""
        if self.held + size > self.limit:
            raise SubCallRefused(
                f"{op} refused: calls still waiting for answers hold {megabytes(self.held)} "
                f"of arguments and this call adds {megabytes(size)}; the limit is "
                f"{megabytes(self.limit)} at once — wait for answers before sending more, "
                "or pass smaller slices")
        self.held += size
        self.peak = max(self.peak, self.held)
        return CallHold(self, size)


class CallHold:
    """One call's share of ``CallBytes``, given back once (when the call ends, or earlier)."""

    def __init__(self, owner: CallBytes, size: int) -> None:
        self.owner = owner
        self.size = size

    def release(self) -> None:
        self.owner.held -= self.size
        self.size = 0


# The hold of the call whose handler runs in this task: each call is handled in a task of
# its own, which copies the context, so a handler only ever sees its own call's hold.
CURRENT_HOLD: ContextVar[CallHold | None] = ContextVar("rlm_call_hold", default=None)


def release_call_args() -> None:
    """Say that the handler of the current call no longer keeps its arguments (rlm_query once
    its slice is on disk), so they stop counting against ``MAX_CALL_BYTES_IN_FLIGHT``."""
    hold = CURRENT_HOLD.get()
    if hold is not None:
        hold.release()
