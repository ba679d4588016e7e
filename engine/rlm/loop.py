"""One recursive-language-model run: the root model writes code, the REPL runs it, until FINAL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.config import SandboxSettings
from engine.context_format import PreparedContext
from engine.errors import ProviderError, SandboxError
from engine.events import StopReason
from engine.providers.client import Completion, ModelClient
from engine.rlm import prompts
from engine.rlm.budget import LimitReached, RunBudget, UsageTotals
from engine.rlm.clients import ClientPool
from engine.rlm.confirm import AnswerGate
from engine.rlm.parsing import (
    ProseFinal,
    clip_middle,
    code_blocks,
    ends_in_open_block,
    prose_final,
    strip_code,
)
from engine.rlm.subcalls import SubCalls
from engine.rlm.unfinished import Findings
from engine.rlm.verify import PageIndex, check_citations
from engine.rlm.window_guard import WindowGuard, learn_windows
from engine.sandbox.host import CallHandler, CellResult, ReplProcess
from engine.sandbox.policy import SandboxRefusedError

Emit = Callable[[ev.Event], None]
Messages = list[dict[str, str]]

# Reasons after which one more root call may still fetch the model's best answer, as the
# last-chance prompt names them.
_ASK_FOR_ANSWER = {
    StopReason.MAX_ITERATIONS: "iteration limit reached",
    StopReason.MAX_SUB_CALLS: "sub-call limit reached",
    StopReason.MAX_ERRORS: "too many failing code cells in a row",
}


@dataclass
class RunResult:
    run_id: str
    answer: str
    stop_reason: StopReason
    partial: bool
    iterations: int
    duration_s: float
    usage: dict[str, Any] = field(default_factory=dict)
    sandbox: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)


class CallRouter:
    """A REPL's call handler that forwards to whichever run drives the REPL now, so one REPL
    can serve several runs in turn (the questions of a conversation)."""

    def __init__(self) -> None:
        self.target: CallHandler | None = None

    async def __call__(self, op: str, args: dict[str, Any]) -> Any:
        assert self.target is not None, "a REPL call arrived with no run driving the REPL"
        return await self.target(op, args)


class RLMRun:
    """A run at some depth; child runs (``rlm_query``) are RLMRuns sharing the budget and pool.

    A conversation hands a follow-up run the REPL (``repl``, made with ``router`` as its call
    handler) and message history of the questions before it; see ``run``.
    """

    def __init__(self, *, run_id: str, question: str, context: PreparedContext,
                 pool: ClientPool, budget: RunBudget, emit: Emit, workdir: Path,
                 parent: RLMRun | None = None, parent_call_id: str | None = None,
                 sandbox: SandboxSettings | None = None, repl: ReplProcess | None = None,
                 router: CallRouter | None = None) -> None:
        self.run_id = run_id
        self.question = question
        self.context = context
        self.pool = pool
        self.budget = budget
        self.limits = budget.limits
        self.emit_raw = emit
        self.workdir = workdir
        self.parent = parent
        # Child runs confine their REPLs as their parent does.
        self.sandbox: SandboxSettings = sandbox or (parent.sandbox if parent else SandboxSettings())
        self.depth: int = parent.depth + 1 if parent else 0
        self.parent_call_id = parent_call_id
        self.iteration = 0
        self.cell = 0
        self.last_reply = ""
        self.sandbox_status: dict[str, Any] = {}
        self.started = time.monotonic()
        self.repl: ReplProcess | None = repl
        self.router = router or CallRouter()
        self.messages: Messages = []
        # True when the REPL was stopped mid-start or mid-cell (cancel, engine failure): its
        # state is unknown, so it is closed even when the caller asked to keep it.
        self.repl_lost = False
        self._repl_busy = False
        self.subtree = UsageTotals()  # calls made by this run and its children
        self.provider_error: ProviderError | None = None
        self._priced_warned: set[str] = set()
        self._page_index: PageIndex | None = None
        self._checked: tuple[str, list[dict[str, Any]]] | None = None  # answer, its citations
        self.window_guard: WindowGuard | None = None
        self.gate = AnswerGate(self.limits.confirm_early_answers)
        self.findings = Findings()  # what a run without FINAL shows instead of an answer

    # --- events ---------------------------------------------------------

    def ids(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "depth": self.depth,
                "parent_run_id": self.parent.run_id if self.parent else None,
                "parent_call_id": self.parent_call_id}

    def emit(self, cls: type[ev.RunEvent], **fields: Any) -> None:
        self.findings.observe(cls, fields)
        self.emit_raw(cls(**self.ids(), **fields))

    def notice(self, message: str, level: str = "info") -> None:
        self.emit(ev.Notice, level=level, message=message)

    def retry_notice(self, message: str) -> None:
        """Given to the model client per call, so a retry is reported by the run that made it."""
        self.notice(message, level="warning")

    def record_usage(self, completion: Completion) -> None:
        """Add a call to the shared and subtree totals; say once per model when it is unpriced."""
        numbers = (completion.model, completion.prompt_tokens, completion.completion_tokens,
                   completion.cached_tokens, completion.cost_usd)
        self.budget.record(*numbers)
        run: RLMRun | None = self
        while run is not None:
            run.subtree.add(*numbers)
            run = run.parent
        if completion.cost_usd is None and completion.model not in self._priced_warned:
            self._priced_warned.add(completion.model)
            self.notice(f"the price of model {completion.model!r} is unknown, so its cost is "
                        "not counted; add it with --prices FILE", level="warning")
        u = self.budget.usage
        self.emit(ev.UsageTotals, calls=u.calls, prompt_tokens=u.prompt_tokens,
                  completion_tokens=u.completion_tokens, cached_tokens=u.cached_tokens,
                  cost_usd=u.cost_usd, known_cost_usd=round(u.known_cost_usd, 8),
                  unpriced_models=sorted(u.unpriced_models))

    # --- the run ----------------------------------------------------------

    def spawn_child(self, *, run_id: str, question: str, context: PreparedContext,
                    parent_call_id: str) -> RLMRun:
        """A child run (``rlm_query``) sharing this run's budget, clients and work folder."""
        return RLMRun(run_id=run_id, question=question, context=context, pool=self.pool,
                      budget=self.budget, emit=self.emit_raw, workdir=self.workdir,
                      parent=self, parent_call_id=parent_call_id)

    def page_index(self) -> PageIndex:
        """The pages of this run's context, read once when first needed (citations,
        ``locate``); a child run over its parent's context shares the parent's."""
        if self.parent is not None and self.parent.context is self.context:
            return self.parent.page_index()
        if self._page_index is None:
            self._page_index = PageIndex.from_files(self.context.context_path,
                                                    self.context.documents)
        return self._page_index

    def root_client(self) -> ModelClient:
        # Child runs use the sub-model as their root, as the paper does.
        return self.pool.root() if self.depth == 0 else self.pool.sub()

    def new_repl(self) -> ReplProcess:
        """A REPL child over this run's context (not started yet)."""
        return ReplProcess(
            self.context.context_path, self.context.documents_path,
            call_handler=self.router, cell_timeout=self.limits.cell_timeout_s,
            output_limit=self.limits.output_limit_chars, sandbox=self.sandbox,
            call_bytes=self.budget.call_bytes)

    async def run(self, messages: Messages | None = None, *,
                  keep_repl: bool = False) -> RunResult:
        """Run to an answer or a limit; never raises for model, limit or provider trouble.

        Without ``messages`` the run starts its own history (system prompt, first turn).
        A follow-up passes the conversation's history with its new user turn last, and
        the REPL (``self.repl``) the earlier questions used. ``keep_repl`` leaves the REPL
        open afterwards unless its state was lost (``repl_lost``).
        """
        client = self.root_client()
        system = prompts.SYSTEM_PROMPT
        if messages is None:
            first = prompts.first_turn(self.question, self.context.chars,
                                       self.context.documents, self.limits.max_iterations)
            messages = [{"role": "system", "content": system},
                        {"role": "user", "content": first}]
        else:
            first = messages[-1]["content"] if messages and messages[-1]["role"] == "user" \
                else ""
        self.messages = messages
        windows = await learn_windows(self.pool, client)
        self.window_guard = WindowGuard(self, client, messages)
        self.emit(ev.RunStarted, question=self.question, root_model=client.model,
                  sub_model=self.pool.sub().model, context_chars=self.context.chars,
                  documents=len(self.context.documents), limits=vars(self.limits).copy(),
                  system_prompt=system if self.depth == 0 else "", first_message=first,
                  windows=windows)
        if self.depth == 0:
            self.window_guard.warn_small(messages)
        if self.repl is None:
            self.repl = self.new_repl()
        # A REPL kept from an earlier question counts its calls with this run's tree.
        self.repl.call_bytes = self.budget.call_bytes
        self.router.target = SubCalls(self).handle
        try:
            try:
                ready = await self._start_repl()
            except SandboxRefusedError as exc:  # say what was missing, in every view
                self.sandbox_status = dict(exc.status)
                self.emit(ev.SandboxStatus, status=self.sandbox_status)
                raise
            self.sandbox_status = {"pid": ready.get("pid"), "python": ready.get("python"),
                                   "load_s": ready.get("load_s"), **ready.get("lockdown", {})}
            self.emit(ev.SandboxStatus, status=self.sandbox_status)
            return await self._iterate(client, messages)
        except LimitReached as exc:
            self.notice(str(exc), level="warning")
            return await self._stop(exc.reason, client, messages)
        except ProviderError as exc:
            self.provider_error = exc
            return self.finish(StopReason.PROVIDER_ERROR, await self.unfinished_answer(),
                               partial=True, error=str(exc))
        except SandboxError as exc:
            self.repl_lost = True
            return self.finish(StopReason.SANDBOX_ERROR, self.partial_answer(), partial=True,
                               error=str(exc))
        finally:
            if self._repl_busy:  # stopped mid-start or mid-cell: the REPL's state is unknown
                self.repl_lost = True
            if not keep_repl or self.repl_lost:
                await self.repl.close()

    async def _start_repl(self) -> dict[str, Any]:
        assert self.repl is not None
        self._repl_busy = True
        ready = await self.repl.start()  # returns at once for a REPL already running
        self._repl_busy = False
        return ready

    async def _iterate(self, client: ModelClient, messages: Messages) -> RunResult:
        consecutive_errors = 0
        max_iterations = self.limits.max_iterations
        # A follow-up's model has looked at the documents in the questions before it.
        self.gate.looked = any(m["role"] == "assistant" for m in messages)
        for iteration in range(1, max_iterations + 1):
            self.iteration = iteration
            self.budget.check()
            self.emit(ev.IterationStarted, iteration=iteration, max_iterations=max_iterations)
            completion = await self._ask_root(client, messages)
            reply = completion.text
            messages.append({"role": "assistant", "content": reply or "(empty reply)"})
            blocks = code_blocks(reply)
            written_final = prose_final(reply)
            has_next = iteration < max_iterations
            cut_off = completion.finish_reason == "length" and ends_in_open_block(reply)
            if cut_off:  # the model ran out of output mid-block: running half a cell helps no one
                blocks = blocks[:-1]
            prose_beside_code = written_final is not None and bool(blocks)
            note: str | None = None  # set when this reply's FINAL is held back
            if not blocks:
                if written_final and not written_final.is_var:
                    note = self._hold(written_final.value, has_next=has_next)
                    if note is None:
                        return await self.finish_checked(StopReason.ANSWERED,
                                                         written_final.value)
                    add_user_turn(messages, self._turn([note], iteration, has_next))
                    continue
                if written_final:  # FINAL_VAR(name) in prose: let the REPL resolve the name
                    blocks = [f"FINAL_VAR({written_final.value!r})"]
                else:
                    if has_next:
                        reminder = (prompts.CUT_OFF_REMINDER
                                    if completion.finish_reason == "length"
                                    else prompts.NO_CODE_REMINDER)
                        add_user_turn(messages, reminder.format(
                            iteration=iteration + 1, max_iterations=max_iterations))
                    continue
            reports = []
            unseen = 0  # characters of output this reply's cells printed before its FINAL
            for index, code in enumerate(blocks, 1):
                result = await self._run_cell(code)
                reports.append(prompts.cell_report(self.cell, result.output, result.error))
                if result.final_set:
                    answer = result.final or ""
                    unseen += result.printed_before_final + int(result.restarted)
                    note = self._hold(answer, unseen=unseen, has_next=has_next)
                    if note is None:
                        return await self.finish_checked(StopReason.ANSWERED, answer)
                    if index < len(blocks):
                        reports.append(prompts.BLOCKS_AFTER_FINAL_NOTE)
                    break
                unseen += len(result.output.strip()) + len(result.error or "")
                consecutive_errors = consecutive_errors + 1 if result.error else 0
                if consecutive_errors >= self.limits.max_consecutive_errors:
                    add_user_turn(messages, self._outputs(reports))
                    return await self._stop(StopReason.MAX_ERRORS, client, messages)
            if written_final and prose_beside_code and note is None:
                if not self.gate.enabled:
                    reports.append(prompts.PROSE_FINAL_WITH_CODE)
                else:  # the same as a FINAL called after the reply's cells
                    answer = await self._prose_answer(written_final)
                    note = self._hold(answer, unseen=unseen, has_next=has_next)
                    if note is None:
                        return await self.finish_checked(StopReason.ANSWERED, answer)
            if cut_off:
                reports.append(prompts.CUT_OFF_NOTE)
            if note is not None:
                reports.append(note)
            self.gate.looked = True
            add_user_turn(messages, self._turn(reports, iteration, has_next))
            compact_history(messages, self.limits.history_limit_chars)
        return await self._stop(StopReason.MAX_ITERATIONS, client, messages)

    def _turn(self, reports: list[str], iteration: int, has_next: bool) -> str:
        """The user turn after an iteration: its outputs and notes, then where the run is."""
        outputs = self._outputs(reports)
        if has_next:
            outputs = prompts.ITERATION_TURN.format(
                iteration=iteration + 1, max_iterations=self.limits.max_iterations,
                outputs=outputs)
        return outputs

    def _hold(self, answer: str, *, unseen: int = 0, has_next: bool) -> str | None:
        """None when this FINAL ends the run; else the note asking the model to confirm it
        (``AnswerGate``), with the held answer in the trajectory."""
        reason = self.gate.reason(unseen=unseen > 0, has_next=has_next)
        if reason is None:
            return None
        self.emit(ev.AnswerHeldBack, iteration=self.iteration, answer=answer, reason=reason,
                  unseen_chars=unseen)
        return self.gate.hold(answer, reason)

    async def _prose_answer(self, written: ProseFinal) -> str:
        """A prose FINAL's answer; FINAL_VAR(name) is read from the REPL."""
        if not written.is_var:
            return written.value
        result = await self._run_cell(f"FINAL_VAR({written.value!r})")
        return (result.final or "") if result.final_set else written.value

    def _outputs(self, reports: list[str]) -> str:
        # One turn's outputs stay within half the history budget, however many cells ran.
        return clip_middle("\n\n".join(reports), self.limits.history_limit_chars // 2)

    async def _run_cell(self, code: str) -> CellResult:
        assert self.repl is not None
        self.cell += 1
        self.emit(ev.CellStarted, iteration=self.iteration, cell=self.cell, code=code)
        self._repl_busy = True
        result = await self.repl.run_cell(code)
        self._repl_busy = False
        self.emit(ev.CellFinished, iteration=self.iteration, cell=self.cell,
                  output=result.output, error=result.error,
                  duration_s=round(result.duration_s, 4), cut_chars=result.cut_chars,
                  timed_out=result.timed_out, restarted=result.restarted)
        if result.restarted:
            self.notice("the REPL process was restarted; the model's variables were lost",
                        level="warning")
        return result

    async def _ask_root(self, client: ModelClient, messages: Messages) -> Completion:
        if self.depth > 0:  # a child's own model calls count against the sub-call limit too
            self.budget.take_sub_calls(1)
        if self.window_guard is None:
            self.window_guard = WindowGuard(self, client, messages)
        completion = await self.window_guard.complete(messages)
        self.last_reply = completion.text
        self.emit(ev.ModelResponse, iteration=self.iteration, model=completion.model,
                  text=completion.text, prompt_tokens=completion.prompt_tokens,
                  completion_tokens=completion.completion_tokens,
                  cached_tokens=completion.cached_tokens, cost_usd=completion.cost_usd,
                  latency_s=round(completion.latency_s, 4))
        self.record_usage(completion)
        return completion

    async def _stop(self, reason: StopReason, client: ModelClient, messages: Messages) -> RunResult:
        """End on a limit with the best answer there is: asked for once when a call is allowed."""
        if reason in _ASK_FOR_ANSWER:
            try:
                self.budget.check()
                add_user_turn(messages, prompts.LAST_CHANCE.format(
                    reason=_ASK_FOR_ANSWER[reason]))
                reply = (await self._ask_root(client, messages)).text
                return await self.finish_checked(reason, await self._last_answer(reply),
                                                 partial=True)
            except (LimitReached, ProviderError, SandboxError) as exc:
                self.notice(f"could not ask for a final answer: {exc}", level="warning")
        return self.finish(reason, await self.unfinished_answer(), partial=True)

    async def _last_answer(self, reply: str) -> str:
        """The answer in a last-chance reply: FINAL in prose, or FINAL/FINAL_VAR run in the REPL
        (still open, so a long answer built in a variable is not lost)."""
        blocks = code_blocks(reply)
        written = prose_final(reply)
        if written and not written.is_var and not blocks:
            return written.value
        if written and written.is_var:
            blocks = [*blocks, f"FINAL_VAR({written.value!r})"]
        for code in blocks:
            result = await self._run_cell(code)
            if result.final_set:
                return result.final or ""
        return written.value if written else await self.unfinished_answer(strip_code(reply))

    async def unfinished_answer(self, last_words: str = "") -> str:
        """``partial_answer``, with the REPL's variables read first while it is still open."""
        if self.repl is not None and not self.repl_lost \
                and not self._repl_busy and self.repl.ready is not None:
            self._repl_busy = True
            await self.findings.read_variables(self.repl)
            self._repl_busy = False
        return self.partial_answer(last_words)

    def partial_answer(self, last_words: str = "") -> str:
        """The answer of a run that ended without FINAL: a report that the model did not
        finish, of the answer it held back unconfirmed if any, and of what it had found
        (never its last prose passed off as an answer)."""
        return self.findings.report(last_words, held=self.gate.held)

    def finish(self, reason: StopReason, answer: str, *, partial: bool = False,
               error: str | None = None) -> RunResult:
        duration = time.monotonic() - self.started
        citations: list[dict[str, Any]] = []
        if answer or reason == StopReason.ANSWERED:
            self.emit(ev.AnswerReady, text=answer, partial=partial)
            citations = self._check_citations(answer)
        self.emit(ev.RunFinished, stop_reason=reason, duration_s=round(duration, 4), error=error)
        return RunResult(run_id=self.run_id, answer=answer, stop_reason=reason, partial=partial,
                         iterations=self.iteration, duration_s=duration,
                         usage=self.budget.usage.as_json(), sandbox=self.sandbox_status,
                         error=error, citations=citations)

    async def finish_checked(self, reason: StopReason, answer: str, *,
                             partial: bool = False) -> RunResult:
        """``finish``, with the answer's citations checked in a thread first: reading a large
        context and searching it must not hold up the event loop (the worker's other
        requests). ``finish`` alone (a limit, a cancel) checks them in place."""
        if self._wants_check(answer):
            try:
                checked = await asyncio.to_thread(
                    lambda: check_citations(answer, self.page_index()))
            except (OSError, ValueError):
                pass   # finish tries again and says why it could not
            else:
                self._checked = (answer, [c.to_json() for c in checked])
        return self.finish(reason, answer, partial=partial)

    def _wants_check(self, answer: str) -> bool:
        # A helper's answer is read by its parent, whose own answer is checked.
        return self.depth == 0 and "[[cite" in answer

    def _check_citations(self, answer: str) -> list[dict[str, Any]]:
        """Resolve and check the answer's citation markers, and say so in an event."""
        if not self._wants_check(answer):
            return []
        if self._checked is not None and self._checked[0] == answer:
            citations = self._checked[1]
        else:
            try:
                checked = check_citations(answer, self.page_index())
            except (OSError, ValueError) as exc:
                self.notice(f"could not check the answer's citations: {exc}", level="warning")
                return []
            citations = [c.to_json() for c in checked]
        if citations:
            self.emit(ev.AnswerCitations, citations=citations)
        return citations


def add_user_turn(messages: Messages, text: str) -> None:
    """Append a user turn, joining it to a user turn already last: some local chat
    templates (llama.cpp, Llama, Mistral) refuse two user messages in a row."""
    if messages and messages[-1]["role"] == "user":
        messages[-1]["content"] += "\n\n" + text
    else:
        messages.append({"role": "user", "content": text})


def compact_history(messages: Messages, limit: int) -> int:
    """Elide the oldest outputs, then the oldest replies, once the history passes ``limit``.

    The system prompt, the question and the latest exchange stay whole. Returns
    the number of characters removed.
    """
    total = sum(len(m["content"]) for m in messages)
    removed = 0
    middle = messages[2:-2]
    for role in ("user", "assistant"):
        for message in middle:
            if total - removed <= limit:
                return removed
            if message["role"] == role and not message["content"].startswith("[elided"):
                size = len(message["content"])
                what = "older output" if role == "user" else "an older reply of yours"
                message["content"] = (f"[elided: {size:,} characters of {what}; "
                                      "re-run code if you need it again]")
                removed += max(0, size - len(message["content"]))
    return removed
