"""The ways a benchmark question is answered: the whole context in one prompt (direct), BM25
top-k chunks in one prompt (retrieval, the desktop tools' way), and our RLM engine (rlm)."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from engine.config import Limits, SandboxSettings
from engine.context_format import PreparedContext
from engine.endpoints import Endpoint
from engine.errors import ConfigError, ProviderError
from engine.providers.prices import PriceTable
from engine.rlm.clients import ClientPool
from engine.rlm.session import RunSpec, run_question

INSTRUCTION = ("Answer the question about the text above. End with your final answer in the "
               "format the question asks for.")
OUTPUT_RESERVE = 4096   # tokens kept free in the window for the reply
WORD = re.compile(r"\w+")


@dataclass
class Outcome:
    """What one method gave for one item, with what it cost."""

    answer: str = ""
    fit: bool = True                # False: the prompt did not fit the model's window
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    stop_reason: str = "answered"
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Setup:
    """The models and limits every method of a benchmark run uses."""

    root: Endpoint
    sub: Endpoint
    prices: PriceTable
    limits: Limits
    sandbox: SandboxSettings
    top_k: int = 10
    chunk_chars: int = 2000
    # Hears every event of each rlm run (the benchmark measures the model's waits with it).
    on_event: Callable[[Any], None] | None = None
    # Characters per token of the main model, measured by ``calibrate`` (4 until then).
    chars_per_token: float = 4.0


async def _one_prompt(setup: Setup, prompt: str) -> Outcome:
    pool = ClientPool(setup.root, setup.sub, setup.prices, setup.limits)
    try:
        client = pool.root()
        window = await pool.learn_window(client)
        needed = int(len(prompt) / setup.chars_per_token) + OUTPUT_RESERVE
        if window.tokens is not None and needed > window.tokens:
            return Outcome(fit=False, stop_reason="did_not_fit",
                           error=f"about {needed:,} tokens for a window of {window.tokens:,}")
        try:
            done = await client.complete([{"role": "user", "content": prompt}])
        except ProviderError as exc:
            if exc.kind == "context_length":
                return Outcome(fit=False, calls=1, stop_reason="did_not_fit", error=str(exc))
            if exc.ends_run():  # a wrong key or model: every other question would fail too
                raise
            return Outcome(calls=1, stop_reason="provider_error", error=str(exc))
        return Outcome(answer=done.text, calls=1, prompt_tokens=done.prompt_tokens,
                       completion_tokens=done.completion_tokens, cost_usd=done.cost_usd)
    finally:
        await pool.aclose()


async def calibrate(setup: Setup) -> float | None:
    """Characters per token of the main model, from the usage of one short probe call
    (about 1,000 tokens of filler); None when the server reports no usage."""
    import random

    from engine.bench import grammar

    prompt = " ".join(grammar.filler(random.Random("calibrate"), 4000)) + "\n\nReply with OK."
    pool = ClientPool(setup.root, setup.sub, setup.prices, setup.limits)
    try:
        done = await pool.root().complete([{"role": "user", "content": prompt}], max_tokens=5)
    finally:
        await pool.aclose()
    return len(prompt) / done.prompt_tokens if done.prompt_tokens > 0 else None


async def direct(setup: Setup, context: str, question: str) -> Outcome:
    """The whole context in one prompt; a window overflow is "did not fit" (scored 0)."""
    return await _one_prompt(setup, f"{context}\n\n{question}\n\n{INSTRUCTION}")


def chunks_of(context: str, size: int) -> list[str]:
    """Whole lines gathered into pieces of about ``size`` characters."""
    pieces: list[str] = []
    current: list[str] = []
    length = 0
    for line in context.split("\n"):
        if current and length + len(line) > size:
            pieces.append("\n".join(current))
            current, length = [], 0
        current.append(line)
        length += len(line) + 1
    if current:
        pieces.append("\n".join(current))
    return pieces


def top_chunks(context: str, question: str, k: int, size: int) -> list[str]:
    """The ``k`` pieces BM25 ranks highest for the question, in their order in the text."""
    try:
        from rank_bm25 import BM25Okapi
    except ImportError:
        raise ConfigError("the retrieval method needs the rank-bm25 package: "
                          "pip install 'rlm-desktop[bench]'") from None
    pieces = chunks_of(context, size)
    index = BM25Okapi([WORD.findall(piece.lower()) for piece in pieces])
    scores = index.get_scores(WORD.findall(question.lower()))
    best = sorted(range(len(pieces)), key=lambda i: -scores[i])[:k]
    return [pieces[i] for i in sorted(best)]


async def retrieval(setup: Setup, context: str, question: str) -> Outcome:
    chosen = top_chunks(context, question, setup.top_k, setup.chunk_chars)
    excerpts = "\n\n[...]\n\n".join(chosen)
    prompt = (f"Excerpts of a longer text, chosen by a search for the question:\n\n{excerpts}"
              f"\n\n{question}\n\n{INSTRUCTION}")
    outcome = await _one_prompt(setup, prompt)
    outcome.extra["chunks"] = len(chosen)
    return outcome


async def rlm(setup: Setup, context: str, question: str,
              prepared: PreparedContext | None = None) -> Outcome:
    """Our engine: the context in the REPL, the main model writing code, helper questions;
    ``prepared``: stored context files used instead of ``context`` (their documents citable)."""
    spec = RunSpec(question=question, context=context, documents=[], root=setup.root,
                   sub=setup.sub, limits=setup.limits, prices=setup.prices,
                   sandbox=setup.sandbox, prepared=prepared)
    started = time.monotonic()
    result = await run_question(spec, setup.on_event or (lambda _event: None))
    usage = result.usage
    return Outcome(answer=result.answer, calls=int(usage.get("calls", 0)),
                   prompt_tokens=int(usage.get("prompt_tokens", 0)),
                   completion_tokens=int(usage.get("completion_tokens", 0)),
                   cost_usd=usage.get("cost_usd"), stop_reason=str(result.stop_reason),
                   error=result.error,
                   extra={"iterations": result.iterations,
                          "engine_s": round(time.monotonic() - started, 3)})


Method = Callable[[Setup, str, str], Awaitable[Outcome]]
METHODS: dict[str, Method] = {"direct": direct, "retrieval": retrieval, "rlm": rlm}
