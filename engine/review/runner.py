"""Running a review: every missing cell answered concurrently under one limit, one budget and
one cancel, each finished cell written to the store at once.

A cell takes the cheapest strategy that reads the whole document: one call to the helper
model with the document's text when it fits comfortably in that model's window
(``DIRECT_SHARE``), else a run of the recursive engine over that one document in its own
safe workspace. Either way the reply is read by the engine (``answers.parse_answer``), its
quotes are checked against the document's pages, and a model's failure costs one cell.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.config import Limits, SandboxSettings
from engine.errors import ProviderError, SandboxError
from engine.events import StopReason
from engine.providers.concurrency import LimitChange
from engine.review.answers import AnswerType, ParsedAnswer, parse_answer
from engine.review.prompting import CellReply, direct_messages, read_reply, rlm_question
from engine.rlm.budget import LimitReached, RunBudget
from engine.rlm.citations import format_marker, parse_markers
from engine.rlm.clients import ClientPool
from engine.rlm.loop import RLMRun
from engine.rlm.session import new_run_id
from engine.rlm.verify import PageIndex, PageRef, check_citations
from engine.sandbox.policy import SandboxRefusedError
from engine.store import reviews as store
from engine.store.contexts import page_text, prepare_context
from engine.store.library import DocumentRecord, Library
from engine.store.trajectory import TrajectoryLog

# A document is answered in one call when its tokens (and the question's) fill at most this
# share of the helper model's window; the rest is left for the reply and the tokenizer's
# disagreement with our estimate of four characters a token.
DIRECT_SHARE = 0.6
# The window assumed when the server does not say: small enough for most local servers.
DEFAULT_WINDOW_TOKENS = 32_000
PROMPT_OVERHEAD_TOKENS = 600
REPLY_TOKENS = 400           # what a cell's reply is estimated at, for the cost estimate
RLM_ROOT_CALLS = 8           # the root calls an RLM cell is estimated at
RLM_ROOT_CALL_TOKENS = 6_000
DEFAULT_CONCURRENCY = 16


@dataclass
class ReviewProgress:
    """Where a review stands, after each finished cell."""

    total: int
    done: int = 0
    failed: int = 0
    cost_usd: float = 0.0
    unpriced: bool = False


@dataclass
class ReviewOutcome:
    review_id: str
    ran: int
    stopped_reason: str | None      # budget, cancelled, or None when every cell ran
    progress: ReviewProgress
    seconds: float


@dataclass
class CellPlan:
    doc: DocumentRecord
    column: store.ColumnRecord
    strategy: str                    # "direct" or "rlm"


@dataclass
class _CellCost:
    usd: float = 0.0
    unpriced: bool = False


@dataclass
class _Shared:
    spent: float = 0.0
    unpriced: bool = False
    stop: str | None = None
    in_flight: set[tuple[int, int]] = field(default_factory=set)


class ReviewRunner:
    """Runs the missing cells of one review; see the module docstring.

    ``emit`` receives the review's events (``ReviewStarted``, a ``ReviewCellDone`` per
    finished cell, ``ReviewFinished``) and the events of RLM cells' runs, as a question's;
    ``on_cell`` is also called (on the event loop) with each finished cell and the progress.
    """

    def __init__(self, *, library_path: Path | None, pool: ClientPool, limits: Limits,
                 sandbox: SandboxSettings | None = None, concurrency: int = DEFAULT_CONCURRENCY,
                 budget_usd: float | None = None,
                 on_cell: Callable[[store.CellRecord, ReviewProgress], None] | None = None,
                 emit: Callable[[ev.Event], None] | None = None,
                 context_cache: Path | None = None, runs_folder: Path | None = None) -> None:
        self.library_path = library_path
        self.pool = pool
        self.limits = limits
        self.sandbox = sandbox or SandboxSettings()
        self.concurrency = max(1, concurrency)
        self.budget_usd = budget_usd
        self.on_cell = on_cell
        self.emit = emit or (lambda _event: None)
        self.context_cache = context_cache
        # Where an RLM cell's record of the analysis is kept (``rlm show RUN_ID`` reads it).
        self.runs_folder = runs_folder
        # One thread owns the store's connection: cells are written in order, never at once.
        self._db = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="review-store")
        self._library: Library | None = None
        self._shared = _Shared()
        self._review_id = ""

    # --- the store, on its own thread ---------------------------------------------------

    async def _store(self, work: Callable[[Library], Any]) -> Any:
        def call() -> Any:
            if self._library is None:
                self._library = Library(self.library_path)
            return work(self._library)
        return await asyncio.get_running_loop().run_in_executor(self._db, call)

    async def close(self) -> None:
        if self._library is not None:
            await self._store(lambda library: library.close())
            self._library = None
        self._db.shutdown(wait=False)

    # --- planning -----------------------------------------------------------------------

    def window(self) -> int:
        window = self.pool.sub().context_window
        return window if window and window > 0 else DEFAULT_WINDOW_TOKENS

    def strategy(self, doc: DocumentRecord) -> str:
        fits = doc.tokens + PROMPT_OVERHEAD_TOKENS <= DIRECT_SHARE * self.window()
        return "direct" if fits else "rlm"

    async def plan(self, review_id: str, *, again: tuple[str, ...] = (store.STOPPED,),
                   column_ids: list[int] | None = None,
                   doc_ids: list[int] | None = None) -> list[CellPlan]:
        """The cells a run would answer, each with its strategy (from the helper model's
        window, asked of its server first)."""
        await self.pool.learn_window(self.pool.sub())

        def read(library: Library) -> list[CellPlan]:
            record = store.require_review(library.conn, review_id)
            wanted = store.missing_cells(library.conn, review_id, again=again,
                                         column_ids=column_ids, doc_ids=doc_ids)
            columns = {c.id: c for c in record.columns}
            docs = {d.id: d for d in library.documents(ids=sorted({d for d, _ in wanted}))}
            return [CellPlan(docs[d], columns[c], self.strategy(docs[d]))
                    for d, c in wanted if d in docs]
        plans: list[CellPlan] = await self._store(read)
        return plans

    def estimate(self, plans: list[CellPlan]) -> float | None:
        """About what the cells will cost (USD), from the documents' sizes and the price of
        the helper model; None when its price is unknown."""
        client = self.pool.sub()
        prompt = completion = 0
        for cell in plans:
            if cell.strategy == "direct":
                prompt += cell.doc.tokens + PROMPT_OVERHEAD_TOKENS
                completion += REPLY_TOKENS
            else:   # the helper reads the document once, the main model plans the reading
                prompt += cell.doc.tokens + RLM_ROOT_CALLS * RLM_ROOT_CALL_TOKENS
                completion += RLM_ROOT_CALLS * REPLY_TOKENS
        return self.pool.prices.cost(client.model, prompt, completion)

    # --- running ------------------------------------------------------------------------

    async def run(self, review_id: str, plans: list[CellPlan],
                  cancel: asyncio.Event | None = None) -> ReviewOutcome:
        """Answer ``plans`` (from ``plan``); returns when all are done, the budget is spent
        or ``cancel`` is set (cells in flight are then abandoned: resume runs them)."""
        started = time.monotonic()
        self._review_id = review_id
        progress = ReviewProgress(total=len(plans))
        slots = asyncio.Semaphore(self.concurrency)
        await self._store(lambda lib: store.set_status(lib.conn, review_id, "running"))
        self.emit(ev.ReviewStarted(review_id=review_id, total=len(plans),
                                   estimate_usd=self.estimate(plans),
                                   long_documents=sum(p.strategy == "rlm" for p in plans)))

        async def one(cell: CellPlan) -> None:
            async with slots:
                if self._shared.stop:
                    return
                record = await self._cell(review_id, cell)
                if record is None:
                    return
                await self._store(lambda lib: store.save_cell(lib.conn, record))
                progress.done += 1
                progress.failed += record.status == store.FAILED
                progress.cost_usd = round(self._shared.spent, 8)
                progress.unpriced = self._shared.unpriced
                self.emit(ev.ReviewCellDone(
                    review_id=review_id, cell=record.to_json(), done=progress.done,
                    total=progress.total, failed=progress.failed,
                    cost_usd=None if progress.unpriced else progress.cost_usd))
                if self.on_cell is not None:
                    self.on_cell(record, progress)

        work: asyncio.Future[Any] = asyncio.ensure_future(
            asyncio.gather(*(one(cell) for cell in plans)))
        waiter: asyncio.Future[Any] | None = (asyncio.ensure_future(cancel.wait())
                                              if cancel is not None else None)
        try:
            await asyncio.wait({work} if waiter is None else {work, waiter},
                               return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                self._shared.stop = "cancelled"
                work.cancel()
            await asyncio.gather(work, return_exceptions=True)
        finally:
            if waiter is not None:
                waiter.cancel()
        status = "stopped" if self._shared.stop else "finished"
        await self._store(lambda lib: store.set_status(lib.conn, review_id, status))
        outcome = ReviewOutcome(review_id=review_id, ran=progress.done,
                                stopped_reason=self._shared.stop, progress=progress,
                                seconds=time.monotonic() - started)
        self.emit(ev.ReviewFinished(review_id=review_id, ran=outcome.ran,
                                    stopped=outcome.stopped_reason,
                                    cost_usd=None if progress.unpriced else progress.cost_usd,
                                    seconds=round(outcome.seconds, 3)))
        return outcome

    def _remaining_budget(self) -> float | None:
        if self.budget_usd is None:
            return None
        return self.budget_usd - self._shared.spent

    async def _cell(self, review_id: str, cell: CellPlan) -> store.CellRecord | None:
        """One cell answered and checked; None when the review stopped before it began."""
        remaining = self._remaining_budget()
        if remaining is not None and remaining <= 0:
            self._shared.stop = "budget"
            return None
        started = time.monotonic()
        base = store.CellRecord(review_id=review_id, doc_id=cell.doc.id,
                                column_id=cell.column.id, status=store.FAILED,
                                strategy=cell.strategy)
        if cell.doc.content_hash is None or cell.doc.status not in ("ok", "warning"):
            base.problem = ("this document could not be read"
                            + (f": {cell.doc.error}" if cell.doc.error else ""))
            return base
        kind = AnswerType(cell.column.kind)
        pages = await self._store(lambda lib: _pages(lib, cell.doc))
        spent = _CellCost()
        try:
            if cell.strategy == "direct":
                reply, tokens = await self._direct(cell, kind, pages, spent)
                run_id = None
            else:
                reply, tokens, run_id = await self._rlm(cell, kind, remaining, spent)
        except LimitReached as exc:
            self._shared.stop = "budget" if exc.reason == StopReason.BUDGET else str(exc.reason)
            base.status, base.problem = store.STOPPED, "budget reached"
            return base
        except ProviderError as exc:
            base.problem = f"the AI service failed: {exc}"
            return base
        except (SandboxError, SandboxRefusedError) as exc:
            base.problem = f"the safe workspace failed: {exc}"
            return base
        parsed = parse_answer(kind, reply.answer, cell.column.choices)
        index = PageIndex((PageRef(cell.doc.id, cell.doc.title, cell.doc.path, n, label), text)
                          for n, label, text in pages)
        citations = await asyncio.to_thread(_check, cell.doc.id, reply, index)
        return replace(base, status=_status(parsed), raw=reply.answer[:4000],
                       value=parsed.value, shown=parsed.shown,
                       problem=parsed.problem or ("" if reply.well_formed or parsed.not_stated
                                                  else "the model did not answer in the form "
                                                       "asked; its whole reply was read"),
                       explanation=reply.explanation[:4000], citations=citations,
                       run_id=run_id,
                       cost_usd=None if spent.unpriced else round(spent.usd, 8),
                       tokens=tokens, seconds=round(time.monotonic() - started, 3))

    async def _direct(self, cell: CellPlan, kind: AnswerType,
                      pages: list[tuple[int, str | None, str]],
                      spent: _CellCost) -> tuple[CellReply, int]:
        client = self.pool.sub()
        messages = direct_messages(cell.column.question, kind, cell.column.choices,
                                   cell.doc.title, pages)
        # The calls in flight to the endpoint adapt to 429s, as helper questions do; the
        # review's own limit is their ceiling.
        limiter = self.pool.limiter(client.base_url, self.concurrency)

        def changed(change: LimitChange) -> None:
            self.emit(ev.ConcurrencyChanged(
                run_id=self._review_id, previous=change.previous, limit=change.limit,
                reason=change.reason, ceiling=self.concurrency,
                pause_s=round(change.pause_s, 3)))

        completion = await client.complete(messages, limiter=limiter, on_limit=changed)
        self._count(spent, completion.cost_usd)
        return (read_reply(completion.text),
                completion.prompt_tokens + completion.completion_tokens)

    async def _rlm(self, cell: CellPlan, kind: AnswerType, remaining: float | None,
                   spent: _CellCost) -> tuple[CellReply, int, str]:
        prepared = await self._store(
            lambda lib: prepare_context(lib, [cell.doc], self.context_cache))
        limits = replace(self.limits, budget_usd=remaining)
        budget = RunBudget(limits)
        run_id = new_run_id()
        workdir = Path(tempfile.mkdtemp(prefix=f"rlm-review-{run_id}-"))
        log = self._open_log(run_id)

        def emit(event: ev.Event) -> None:
            if log is not None:
                log.write(event)
            self.emit(event)

        run = RLMRun(run_id=run_id, question=rlm_question(cell.column.question, kind,
                                                          cell.column.choices),
                     context=prepared, pool=self.pool, budget=budget, emit=emit,
                     workdir=workdir, sandbox=self.sandbox)
        try:
            result = await run.run()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            if log is not None:
                log.close()
            usage = budget.usage
            self._count(spent, usage.known_cost_usd, unpriced=bool(usage.unpriced_models))
        if result.stop_reason == StopReason.BUDGET:
            raise LimitReached(StopReason.BUDGET, "the review's budget is spent")
        if result.stop_reason == StopReason.PROVIDER_ERROR:
            raise ProviderError(result.error or "the AI service failed")
        if result.stop_reason == StopReason.SANDBOX_ERROR:
            raise SandboxError(result.error or "the safe workspace failed")
        reply = read_reply(result.answer)
        return reply, budget.usage.prompt_tokens + budget.usage.completion_tokens, run_id

    def _open_log(self, run_id: str) -> TrajectoryLog | None:
        if self.runs_folder is None:
            return None
        try:
            return TrajectoryLog(self.runs_folder / f"{run_id}.jsonl")
        except OSError:     # the answer matters more than its record
            return None

    def _count(self, cell: _CellCost, cost: float | None, unpriced: bool = False) -> None:
        """Add a cell's spending to the cell's and the review's totals."""
        unpriced = unpriced or cost is None
        cell.usd += cost or 0.0
        cell.unpriced |= unpriced
        self._shared.spent += cost or 0.0
        self._shared.unpriced |= unpriced


def _pages(library: Library, doc: DocumentRecord) -> list[tuple[int, str | None, str]]:
    assert doc.content_hash is not None
    return [(row["page"], row["label"], page_text(row["kind"], row["text"]))
            for row in library.pages(doc.content_hash)]


def _check(doc_id: int, reply: CellReply, index: PageIndex) -> list[dict[str, Any]]:
    """The reply's quotes as markers on this document, plus markers the answer holds."""
    markers = [format_marker(doc_id, page, quote) for page, quote in reply.quotes]
    for text in (reply.answer, reply.explanation):
        markers += [format_marker(c.doc_id, c.page, c.quote) for c in parse_markers(text)]
    return [c.to_json() for c in check_citations("\n".join(markers), index)]


def _status(parsed: ParsedAnswer) -> str:
    if parsed.not_stated:
        return store.NOT_STATED
    return store.UNREADABLE if parsed.problem else store.ANSWERED
