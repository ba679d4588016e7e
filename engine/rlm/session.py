"""Start a top-level run: prepare the context, apply the wall-time limit and outside cancel."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.config import Limits, SandboxSettings
from engine.context_format import PreparedContext
from engine.endpoints import Endpoint
from engine.errors import SandboxError
from engine.events import StopReason
from engine.providers.prices import PriceTable
from engine.rlm.budget import RunBudget
from engine.sandbox.context_file import write_context
from engine.sandbox.host import ReplProcess

if TYPE_CHECKING:
    from engine.rlm.clients import ClientPool
    from engine.rlm.loop import Emit, RLMRun, RunResult


def new_run_id() -> str:
    """Sortable by time, unique enough for one machine: 20261120-231800-4f2a9c."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


@dataclass
class RunSpec:
    """Everything a top-level run needs, already validated (keys resolved, files read)."""

    question: str
    context: str
    documents: list[dict[str, Any]]
    root: Endpoint
    sub: Endpoint
    limits: Limits
    prices: PriceTable
    run_id: str = ""
    # Context files already on disk (say, the store's cache): used as they are, never copied;
    # ``context`` and ``documents`` are then ignored.
    prepared: PreparedContext | None = None
    # How REPL children are confined; ``allow_unsandboxed`` comes from the settings file or
    # ``rlm ask --allow-unsandboxed``.
    sandbox: SandboxSettings = field(default_factory=SandboxSettings)


async def run_question(spec: RunSpec, emit: Emit,
                       cancel: asyncio.Event | None = None) -> RunResult:
    """Run one question to its end; setting ``cancel`` stops everything within a moment.

    Wall time and cancel are enforced here, around the whole run tree, by
    cancelling its task: pending HTTP calls are abandoned and every REPL child
    is killed by the ``finally`` blocks on the way out.
    """
    spec.limits.validate()
    spec.sandbox.validate()
    run_id = spec.run_id or new_run_id()
    workdir = Path(tempfile.mkdtemp(prefix=f"rlm-run-{run_id}-"))
    budget = RunBudget(spec.limits)
    # The loop and the model client (the openai SDK: half a second) load in a thread while
    # the context is written and the REPL child starts on its own core.
    loading = asyncio.ensure_future(asyncio.to_thread(_load_engine))
    # Meanwhile the servers are asked for the models' windows (kept for the process), which
    # the run otherwise asks before its first model call.
    windows = asyncio.ensure_future(_ask_windows(spec.root, spec.sub))
    pool: ClientPool | None = None
    repl: ReplProcess | None = None
    starting: asyncio.Future[dict[str, Any]] | None = None
    try:
        try:
            prepared = spec.prepared
            if prepared is None:
                prepared = await asyncio.to_thread(_prepare, workdir, spec.context,
                                                   spec.documents)
        except OSError as exc:
            raise SandboxError(f"cannot write the context for the REPL in {workdir}: "
                               f"{exc.strerror or exc}; free some disk space") from exc
        runs: list[RLMRun] = []

        async def calls(op: str, args: dict[str, Any]) -> Any:
            return await runs[0].router(op, args)  # no cell runs before the run exists

        repl = ReplProcess(prepared.context_path, prepared.documents_path, call_handler=calls,
                           cell_timeout=spec.limits.cell_timeout_s,
                           output_limit=spec.limits.output_limit_chars, sandbox=spec.sandbox,
                           call_bytes=budget.call_bytes)
        starting = asyncio.ensure_future(repl.start())
        rlm_run, client_pool = await loading
        pool = client_pool(spec.root, spec.sub, spec.prices, spec.limits)
        # A start that failed is made again by the run, which reports it in every view.
        await asyncio.gather(starting, windows, return_exceptions=True)
        run = rlm_run(run_id=run_id, question=spec.question, context=prepared, pool=pool,
                      budget=budget, emit=emit, workdir=workdir, sandbox=spec.sandbox,
                      repl=repl)
        runs.append(run)
        return await supervise(run, budget, cancel)
    finally:
        if starting is not None and not starting.done():  # cancelled while it started
            starting.cancel()
            await asyncio.gather(starting, windows, return_exceptions=True)
        if repl is not None:
            await repl.close()  # the run closes it too; a run that never began does not
        if pool is not None:
            await pool.aclose()
        for future in (loading, windows):
            if not future.done():
                future.cancel()
        shutil.rmtree(workdir, ignore_errors=True)


async def _ask_windows(*endpoints: Endpoint) -> None:
    from engine.providers.windows import discover_window
    await asyncio.gather(*(discover_window(e.base_url, e.model, e.api_key)
                           for e in {(e.base_url, e.model): e for e in endpoints}.values()))


def _load_engine() -> tuple[type[RLMRun], type[ClientPool]]:
    from engine.providers.tls import shared_context
    from engine.rlm.clients import ClientPool
    from engine.rlm.loop import RLMRun
    shared_context()  # the CA store, read here rather than by the first model client
    return RLMRun, ClientPool


def _prepare(workdir: Path, context: str, documents: list[dict[str, Any]]) -> PreparedContext:
    folder = workdir / "context"
    folder.mkdir()
    context_path, documents_path = write_context(folder, context, documents)
    os.chmod(context_path, 0o444)
    return PreparedContext(context_path=context_path, documents_path=documents_path,
                           chars=len(context), documents=documents)


async def supervise(run: RLMRun, budget: RunBudget, cancel: asyncio.Event | None,
                    main: Coroutine[Any, Any, RunResult] | None = None) -> RunResult:
    """Await ``main`` (default ``run.run()``) within the wall-time limit; on the limit or
    ``cancel`` its task is cancelled and the run finishes with the partial answer."""
    task = asyncio.ensure_future(main if main is not None else run.run())
    waiters: set[asyncio.Future[Any]] = {task}
    cancel_wait = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
    if cancel_wait is not None:
        waiters.add(cancel_wait)
    try:
        done, _ = await asyncio.wait(waiters, timeout=budget.remaining_time(),
                                     return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # our own caller was cancelled: tear the run down too
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        raise
    finally:
        if cancel_wait is not None:
            cancel_wait.cancel()
    if task in done:
        return task.result()
    reason = StopReason.CANCELLED if cancel_wait in done else StopReason.TIMEOUT
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    message = ("cancelled by the user" if reason == StopReason.CANCELLED
               else f"the time limit of {budget.limits.timeout_s:g} s is reached")
    run.notice(message, level="warning")
    return run.finish(reason, run.partial_answer(), partial=True)
