"""Check whether a model can drive the analysis: a real tiny run over a generated document.

The run is an ordinary one (the real loop, prompts and safe workspace) over one short
document that holds a code word, with a question only looking can answer and a limit
of three steps and two minutes. What the model did decides the outcome (see
``classify``); a connection test comes first, so a wrong address or key is named as
such rather than blamed on the model.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine import events as ev
from engine.config import Limits, SandboxSettings
from engine.context_format import Page, SourceDocument, build_context
from engine.endpoints import Endpoint
from engine.errors import SandboxError
from engine.events import StopReason
from engine.providers import connection
from engine.providers.prices import PriceTable
from engine.rlm.loop import RunResult
from engine.rlm.model_checks import CheckOutcome, CheckResult
from engine.rlm.session import RunSpec, new_run_id, run_question
from engine.secrets import is_local, scrub_urls

PROBE_STEPS = 3
PROBE_TIMEOUT_S = 120.0
QUESTION = ("What is the code word written in the test note? Find it in the document, then "
            "answer with the code word only.")
_WORDS = ("amber", "basalt", "cobalt", "falcon", "garnet", "heron", "juniper", "lantern",
          "marble", "nutmeg", "orchid", "pewter", "quartz", "saffron", "tundra", "walnut")
_FILLER = ("This note is part of a short test of the analysis. It describes an ordinary "
           "office: a kitchen with a kettle, a meeting room booked most mornings, and a "
           "printer that jams on Fridays. ")


@dataclass
class ProbeRun:
    """What the probe saw of the run, from its events."""

    code_runs: int = 0
    replies: list[str] = field(default_factory=list)

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.CellStarted):
            self.code_runs += 1
        elif isinstance(event, ev.ModelResponse) and event.depth == 0:
            self.replies.append(event.text)


def code_word() -> str:
    """A word and four digits no model can guess: 'heron-5273'."""
    return f"{secrets.choice(_WORDS)}-{secrets.randbelow(9000) + 1000}"


def test_document(word: str) -> SourceDocument:
    """Two short pages; the code word is on the second, inside ordinary sentences."""
    pages = [Page(1, _FILLER * 2),
             Page(2, f"{_FILLER}The code word for this test is {word}. Nothing else on this "
                     "page matters.")]
    return SourceDocument(id=1, title="Test note", path="test-note.txt", type="text",
                          pages=pages)


def probe_limits(timeout_s: float) -> Limits:
    return Limits(max_iterations=PROBE_STEPS, max_depth=0, timeout_s=timeout_s,
                  max_sub_calls=4, max_consecutive_errors=PROBE_STEPS,
                  cell_timeout_s=min(30.0, timeout_s), call_timeout_s=timeout_s,
                  max_retries=1)


def found_word(answer: str, word: str) -> bool:
    """The code word in the answer, whatever the case or the quotes around it."""
    return re.search(re.escape(word), answer, re.IGNORECASE) is not None


def classify(result: RunResult, seen: ProbeRun, word: str,
             timeout_s: float) -> tuple[CheckOutcome, str]:
    """The outcome of a finished probe run and one or two sentences saying why."""
    steps = f"{result.iterations} step{'s' * (result.iterations != 1)}"
    if result.stop_reason == StopReason.TIMEOUT:
        return CheckOutcome.TOO_SLOW, (
            f"The model had not finished a three-step test after {timeout_s:g} s; a real "
            "question takes ten times as many steps.")
    if result.stop_reason == StopReason.PROVIDER_ERROR:
        return CheckOutcome.SERVICE_ERROR, (
            f"The service failed during the test: {scrub_urls(result.error or 'no reason')}.")
    answered = result.stop_reason == StopReason.ANSWERED
    if seen.code_runs and answered and found_word(result.answer, word):
        return CheckOutcome.DRIVES, (
            f"The model looked at a test document with code and answered with the code "
            f"word hidden in it, in {steps}.")
    if not seen.code_runs:
        if not any(reply.strip() for reply in seen.replies):
            return CheckOutcome.IGNORES_FORMAT, (
                "The model sent back empty replies, with no code to look at the documents.")
        return CheckOutcome.NO_CODE, (
            "The model replied in words without writing code to look at the documents, so "
            "its answers would not come from them.")
    if result.stop_reason == StopReason.MAX_ERRORS:
        return CheckOutcome.IGNORES_FORMAT, (
            f"The model's code failed at each of its {steps}, so it never found the code "
            "word in the test document.")
    if answered:
        return CheckOutcome.IGNORES_FORMAT, (
            f"The model wrote code and ended in {steps}, but its answer did not contain the "
            "code word from the test document.")
    runs = f"{seen.code_runs} piece{'s' * (seen.code_runs != 1)} of code"
    return CheckOutcome.IGNORES_FORMAT, (
        f"The model ran {runs} in {steps} but never ended with FINAL and the code word "
        "from the test document, as the analysis needs.")


def _preview(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


async def check_model(endpoint: Endpoint, prices: PriceTable, *,
                      api_key_env: str | None = None, timeout_s: float = PROBE_TIMEOUT_S,
                      sandbox: SandboxSettings | None = None,
                      on_event: Callable[[ev.Event], None] | None = None,
                      cancel: asyncio.Event | None = None) -> CheckResult:
    """Test the connection, then run the probe; raises SandboxError when the safe workspace
    cannot start (the model is not at fault, so there is nothing to report about it)."""
    started = time.monotonic()
    checked_at = datetime.now(UTC).isoformat(timespec="seconds")
    local = is_local(endpoint.base_url)

    def result(outcome: CheckOutcome, message: str, **fields: object) -> CheckResult:
        return CheckResult(base_url=endpoint.base_url, model=endpoint.model, outcome=outcome,
                           message=message, checked_at=checked_at,
                           duration_s=round(time.monotonic() - started, 2), local=local,
                           **fields)  # type: ignore[arg-type]

    reached = await connection.test_connection(endpoint.base_url, endpoint.model, api_key_env,
                                               timeout=min(timeout_s, 60.0), prices=prices)
    if not reached["ok"]:
        kind = CheckOutcome.TOO_SLOW if reached["kind"] == "timeout" else \
            CheckOutcome.UNREACHABLE
        return result(kind, reached["message"], cost_usd=None)
    word = code_word()
    text, documents = build_context([test_document(word)])
    seen = ProbeRun()

    def emit(event: ev.Event) -> None:
        seen(event)
        if on_event is not None:
            on_event(event)

    spec = RunSpec(question=QUESTION, context=text, documents=documents, root=endpoint,
                   sub=endpoint, limits=probe_limits(timeout_s), prices=prices,
                   run_id="check-" + new_run_id(), sandbox=sandbox or SandboxSettings())
    run = await run_question(spec, emit, cancel)
    if run.stop_reason == StopReason.SANDBOX_ERROR:
        raise SandboxError(run.error or "the safe workspace could not start")
    if run.stop_reason == StopReason.CANCELLED:
        raise asyncio.CancelledError
    outcome, message = classify(run, seen, word, timeout_s)
    usage = run.usage
    return result(outcome, message, cost_usd=usage.get("cost_usd") if usage.get("calls")
                  else 0.0, steps=run.iterations, code_runs=seen.code_runs,
                  stop_reason=str(run.stop_reason),
                  first_reply=_preview(seen.replies[0]) if seen.replies else "")
