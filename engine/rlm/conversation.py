"""Persistent sessions: follow-up questions in the same REPL, history and model clients.

As in the paper's persistent sessions, a Conversation keeps one REPL process
(so variables survive between questions), the root model's message history and
the ClientPool. Each question gets a fresh budget and its own limits. When the
REPL was stopped (cancel mid-cell, a crash, or freed to save memory), the next
question starts a fresh one and the model is told its variables are gone.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

from engine.config import Limits, SandboxSettings
from engine.context_format import PreparedContext
from engine.endpoints import Endpoint
from engine.errors import EngineError
from engine.providers.prices import PriceTable
from engine.rlm.budget import RunBudget
from engine.rlm.clients import ClientPool
from engine.rlm.loop import CallRouter, Emit, Messages, RLMRun, RunResult, add_user_turn
from engine.rlm.parsing import clip_middle
from engine.rlm.session import new_run_id, supervise
from engine.sandbox.host import ReplProcess

PREVIOUS_ANSWER_CHARS = 4000

FOLLOW_UP_TURN = """\
Follow-up question: {question}

This is a follow-up question in the same session. {repl_state}

Your answer to the previous question was:
{previous}

You have {max_iterations} iterations for this question. Look in the REPL before you answer, \
and end with FINAL(...) in a ```repl``` block as before.\
"""

REPL_KEPT = ("The REPL still holds `context`, `documents` and every variable you set for the "
             "earlier questions, so reuse what you already found.")
REPL_LOST = ("The REPL was restarted since the previous question, so the variables you set "
             "earlier are gone; `context` and `documents` are loaded again.")
STOPPED_REPLY = "[This question was stopped before I replied: {reason}.]"


class ConversationBusy(EngineError):
    """A question is already running in this conversation."""


class ConversationClosed(EngineError):
    """The conversation has ended; its REPL is closed."""


def follow_up_turn(question: str, previous: str, max_iterations: int, repl_lost: bool) -> str:
    return FOLLOW_UP_TURN.format(
        question=question, repl_state=REPL_LOST if repl_lost else REPL_KEPT,
        previous=clip_middle(previous, PREVIOUS_ANSWER_CHARS) if previous.strip()
        else "(no answer was reached)", max_iterations=max_iterations)


def _alive(repl: ReplProcess) -> bool:
    """Whether the REPL's child still runs (its variables are still there)."""
    if repl.pid is None or repl.ready is None:
        return False
    if os.name != "posix":
        return True   # no cheap check; a dead child is restarted at the next cell, with a note
    try:
        os.kill(repl.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Conversation:
    """Questions asked one after another over the same documents, in one REPL."""

    def __init__(self, *, conversation_id: str, context: PreparedContext, root: Endpoint,
                 sub: Endpoint, prices: PriceTable, limits: Limits,
                 sandbox: SandboxSettings | None = None) -> None:
        self.id = conversation_id
        self.context = context
        self.limits = limits
        self.sandbox = sandbox or SandboxSettings()
        self.pool = ClientPool(root, sub, prices, limits)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"rlm-conv-{conversation_id}-"))
        self.router = CallRouter()
        self.repl: ReplProcess | None = None
        self.messages: Messages = []
        self.questions = 0
        self.last_answer = ""
        self.busy = False
        self.closed = False

    async def ask(self, question: str, emit: Emit, cancel: asyncio.Event | None = None, *,
                  run_id: str | None = None, limits: Limits | None = None) -> RunResult:
        """Answer one question (the first, or a follow-up); cancel stops it within 2 s."""
        if self.closed:
            raise ConversationClosed(f"conversation {self.id} has ended; start a new one")
        if self.busy:
            raise ConversationBusy(f"a question is still running in conversation {self.id}; "
                                   "wait for it or cancel it first")
        limits = limits or self.limits
        limits.validate()
        self.sandbox.validate()
        self.busy = True
        try:
            return await self._ask(question, emit, cancel, run_id or new_run_id(), limits)
        finally:
            self.busy = False

    async def _ask(self, question: str, emit: Emit, cancel: asyncio.Event | None,
                   run_id: str, limits: Limits) -> RunResult:
        follow_up = bool(self.messages)
        lost = self.repl is None or not _alive(self.repl)
        if lost and self.repl is not None:
            await self.drop_repl()
        budget = RunBudget(limits)
        run = RLMRun(run_id=run_id, question=question, context=self.context, pool=self.pool,
                     budget=budget, emit=emit, workdir=self.workdir, sandbox=self.sandbox,
                     repl=self.repl, router=self.router)
        messages: Messages | None = None
        if follow_up:
            messages = self.messages
            add_user_turn(messages, follow_up_turn(question, self.last_answer,
                                                   limits.max_iterations, lost))
        try:
            result = await supervise(run, budget, cancel, run.run(messages, keep_repl=True))
        finally:
            if run.messages:
                self.messages = run.messages
            self.repl = None if run.repl_lost else run.repl
            self.questions += 1
        if self.messages and self.messages[-1]["role"] == "user":
            # Stopped while the model was thinking: close the exchange, so the next
            # question is a turn of its own rather than glued to this one.
            self.messages.append({"role": "assistant", "content": STOPPED_REPLY.format(
                reason=result.stop_reason)})
        self.last_answer = result.answer
        return result

    async def drop_repl(self) -> None:
        """Close the REPL (to free its memory); the next question starts a fresh one."""
        repl, self.repl = self.repl, None
        if repl is not None:
            await repl.close()

    async def close(self) -> None:
        """End the conversation: its REPL, HTTP clients and working folder go."""
        self.closed = True
        try:
            await self.drop_repl()
        finally:
            await self.pool.aclose()
            shutil.rmtree(self.workdir, ignore_errors=True)
