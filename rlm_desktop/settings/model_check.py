"""The "Test with a small analysis" action: the worker's model check, and its result in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from rlm_desktop.advice import in_app
from rlm_desktop.settings.widgets import Client, Notice, Reply, call, reply_error

CHECK_TOOLTIP = ("Runs a three-step analysis of a two-page test note, as a real question "
                 "would, to see whether this model can drive the analysis: look at the "
                 "documents and finish with an answer. It takes up to two minutes and costs "
                 "a fraction of a cent on a paid service.")
# Notice kinds per outcome: a model that cannot drive the analysis is a warning (it works,
# but answers would be unreliable); a service that could not be reached is an error.
_KINDS = {"drives": "ok", "no_code": "warning", "ignores_format": "warning",
          "too_slow": "warning", "unreachable": "error", "service_error": "error"}


def describe_check(model: str, reply: Reply) -> tuple[str, str]:
    """(notice kind, text) for a ``check_model`` reply."""
    if not reply.get("ok"):
        if reply.get("kind") == "sandbox":
            return "error", ("The test could not run: the safe workspace could not start on "
                             f"this computer. {reply_error(reply)}")
        return "error", f"The test could not run: {reply_error(reply)}"
    result: dict[str, Any] = reply.get("result") or {}
    kind = _KINDS.get(str(result.get("outcome")), "error")
    text = in_app(str(result.get("summary") or "The engine did not say how the test went."))
    if kind == "warning":
        text += (" Questions with it as the main model will show a warning; choose another "
                 "model for dependable answers.")
    return kind, f"{model}: {text}"


def check_model(owner: QObject, client: Client, base_url: str, model: str,
                api_key_env: str | None, notice: Notice,
                on_done: Callable[[bool], None] | None = None) -> int:
    """Ask the worker for the small test analysis and show its outcome in ``notice``."""
    notice.show_message("busy", f"Testing {model} with a small analysis (up to two "
                                "minutes)…")

    def done(reply: Reply) -> None:
        kind, text = describe_check(model, reply)
        notice.show_message(kind, text)
        if on_done is not None:
            on_done(kind == "ok")

    return call(owner, client, "check_model",
                {"base_url": base_url, "model": model, "api_key_env": api_key_env}, done)
