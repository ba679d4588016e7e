"""The worker's question commands: ask (new conversation or follow-up), end_conversation,
history, run_events, delete_run, and read_log (a trajectory log file, to replay it). Runs are
recorded in the store as their events arrive.

A new conversation takes its models, keys, limits and sandbox policy from the saved settings
and its documents from ``collection`` or ``document_ids``, or with ``review_id`` a review
table followed by its documents ("Ask about this table"). A follow-up (``conversation``
given) keeps that conversation's documents, models and REPL; only the limits are read again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from secrets import token_hex
from typing import TYPE_CHECKING, Any

from engine import events as ev
from engine import secrets
from engine.config import (
    DEFAULT_BASE_URL,
    Limits,
    SandboxSettings,
    Settings,
    config_dir,
    load_settings,
    runs_dir,
)
from engine.context_format import PreparedContext
from engine.endpoints import Endpoint, EndpointChoice, resolve_endpoints
from engine.errors import ConfigError, MissingKeyError
from engine.providers.prices import PriceTable, check_budget_prices
from engine.store import runs as run_store
from engine.store.contexts import prepare_context
from engine.store.db import connect
from engine.store.library import FAILED, Library
from engine.store.trajectory import TrajectoryLog, read_lines
from engine.worker.state import Request, RequestError, Services, arg_ids, arg_str, need_str

if TYPE_CHECKING:   # the run machinery imports the openai SDK (~1 s): loaded on first ask
    from engine.rlm.conversation import Conversation
    from engine.rlm.loop import RunResult

log = logging.getLogger(__name__)

# Idle conversations keeping a REPL process; older ones free theirs (their history stays,
# and a follow-up starts a fresh REPL, telling the model).
MAX_LIVE_REPLS = 6


@dataclass
class AskPlan:
    """A new conversation's models, limits and context, read from the settings and store."""

    root: Endpoint
    sub: Endpoint
    prices: PriceTable
    limits: Limits
    sandbox: SandboxSettings
    context: PreparedContext


def _select(library: Library, collection: str | None,
            document_ids: list[int] | None) -> PreparedContext:
    if document_ids is not None:
        docs = library.documents(ids=document_ids)
        absent = sorted(set(document_ids) - {d.id for d in docs})
        if absent:
            raise ConfigError(f"no document with id {', '.join(map(str, absent))} in the "
                              "library; refresh the document list and choose again")
        docs = [d for d in docs if d.content_hash is not None and d.status != FAILED]
        what = "none of the chosen documents could be read"
    else:
        assert collection is not None
        docs = [d for d in library.documents(collection=collection)
                if d.content_hash is not None and d.status != FAILED]
        docs.sort(key=lambda d: (d.path, d.id))
        what = f"collection {collection!r} has no readable documents"
    if not docs:
        raise ConfigError(f"{what}; add files that can be read, then ask again")
    return prepare_context(library, docs)


def _endpoints(settings: Settings) -> tuple[Endpoint, Endpoint]:
    """The settings' endpoints with their keys; errors worded for the app, not the command."""
    if not settings.root.model:
        raise ConfigError("no model is chosen yet: choose the root model (and, if you like, "
                          "a cheaper sub-model) in the settings, then ask again")
    try:
        return resolve_endpoints(EndpointChoice(), settings)
    except MissingKeyError as exc:
        root_url = settings.root.base_url or DEFAULT_BASE_URL
        for model, base_url in ((settings.root, root_url),
                                (settings.sub, settings.sub.base_url or root_url)):
            if model.api_key_env:
                continue   # the engine's own message names the variable that is not set
            provider = secrets.provider_name(base_url)
            try:
                secrets.get_key(base_url)
            except MissingKeyError:
                raise MissingKeyError(
                    f"no API key for {provider} ({secrets.safe_url(base_url)}): add one in the "
                    "settings (kept in the OS keyring, or for this session only), or set "
                    f"{secrets.env_var_for(provider)} before starting the app") from exc
        raise


def _plan(library: Library, collection: str | None, document_ids: list[int] | None,
          context: Callable[[], PreparedContext] | None = None) -> AskPlan:
    """Models, prices and limits from the settings, then the context: the documents chosen,
    or what ``context`` makes."""
    settings = load_settings()
    root, sub = _endpoints(settings)
    prices = PriceTable.load(config_dir())
    check_budget_prices(settings.limits.budget_usd, prices, (root.model, sub.model))
    prepared = context() if context is not None else \
        _select(library, collection, document_ids)
    return AskPlan(root, sub, prices, settings.limits, settings.sandbox, prepared)


def _table_plan(library: Library, review_id: str,
                question: str) -> tuple[AskPlan, str, str | None]:
    from engine.review.export import read_table
    from engine.review.table_context import table_context, table_question

    table = read_table(library, review_id)
    plan = _plan(library, None, None, lambda: table_context(library, table))
    return plan, table_question(question, table), table.review.collection


def _follow_up_limits(library: Library, conversation: Conversation,
                      ids: list[int]) -> Limits:
    """Fresh limits from the settings; the context files again if the cache dropped them."""
    limits = load_settings().limits
    if not conversation.context.context_path.exists():
        conversation.context = _select(library, None, ids)
    return limits


async def _free_repls(svc: Services, keep: str) -> None:
    idle = [c for c in svc.conversations.values()
            if c.id != keep and c.repl is not None and not c.busy]
    for conversation in idle[:max(0, len(idle) - (MAX_LIVE_REPLS - 1))]:
        await conversation.drop_repl()


async def ask(svc: Services, req: Request) -> dict[str, Any]:
    from engine.rlm.conversation import Conversation

    question = need_str(req.args, "question")
    collection = arg_str(req.args, "collection", required=False)
    document_ids = arg_ids(req.args, "document_ids")
    review_id = arg_str(req.args, "review_id", required=False)
    conversation_id = arg_str(req.args, "conversation", required=False)
    cancel = asyncio.Event()
    req.on_cancel = cancel.set
    if conversation_id:
        conversation = svc.conversations.get(conversation_id)
        if conversation is None:
            raise RequestError(f"there is no conversation {conversation_id!r} (it was ended, "
                               "or the engine restarted); ask again without it to start a new "
                               "one")
        if conversation.busy or conversation.id in svc.asking:
            raise RequestError("a question is still running in this conversation; wait for "
                               "it or cancel it first", "busy")
        svc.asking[conversation.id] = req
        try:
            collection = svc.conversation_collections.get(conversation.id)
            ids = [int(d["id"]) for d in conversation.context.documents]
            limits = await svc.store.call(_follow_up_limits, conversation, ids)
            return await _answer(svc, req, conversation, question, collection, limits, cancel)
        finally:
            svc.asking.pop(conversation.id, None)
    else:
        if collection is None and document_ids is None and review_id is None:
            raise RequestError('say which documents to ask about: give "collection", '
                               '"document_ids" or "review_id"')
        if review_id is not None:   # "Ask about this table": the table, then its documents
            plan, question, collection = await svc.store.call(_table_plan, review_id,
                                                              question)
        else:
            plan = await svc.store.call(_plan, collection, document_ids)
        conversation = Conversation(
            conversation_id="c-" + token_hex(6), context=plan.context, root=plan.root,
            sub=plan.sub, prices=plan.prices, limits=plan.limits, sandbox=plan.sandbox)
        svc.conversations[conversation.id] = conversation
        svc.conversation_collections[conversation.id] = collection
        svc.asking[conversation.id] = req
        try:
            return await _answer(svc, req, conversation, question, collection, plan.limits,
                                 cancel)
        finally:
            svc.asking.pop(conversation.id, None)


async def _answer(svc: Services, req: Request, conversation: Conversation, question: str,
                  collection: str | None, limits: Limits,
                  cancel: asyncio.Event) -> dict[str, Any]:
    if cancel.is_set():
        raise RequestError("the question was cancelled before it started; nothing was run",
                           "cancelled")
    await _free_repls(svc, keep=conversation.id)
    result = await _run(svc, req, conversation, question, collection, limits, cancel)
    return {"run_id": result.run_id, "conversation": conversation.id, "answer": result.answer,
            "stop_reason": result.stop_reason, "partial": result.partial,
            "usage": result.usage, "duration_s": round(result.duration_s, 3),
            "error": result.error, "sandbox": result.sandbox, "citations": result.citations}


async def _run(svc: Services, req: Request, conversation: Conversation, question: str,
               collection: str | None, limits: Limits, cancel: asyncio.Event) -> RunResult:
    """One question, with its events streamed, logged to the trajectory file and recorded."""
    from engine.rlm.session import new_run_id

    run_id = new_run_id()
    try:
        trajectory: TrajectoryLog | None = TrajectoryLog(runs_dir() / f"{run_id}.jsonl")
    except OSError as exc:
        log.warning("cannot write the trajectory log of run %s: %s", run_id, exc)
        trajectory = None
    recorder = svc.recorder
    recorder.start_run(run_id, question, conversation=conversation.id, collection=collection)
    svc.running_runs.add(run_id)

    def emit(event: ev.Event) -> None:
        recorder.add_event(run_id, req.event(event))
        if trajectory is not None:
            trajectory.write(event)

    try:
        result = await conversation.ask(question, emit, cancel, run_id=run_id, limits=limits)
    except BaseException as exc:
        recorder.finish_run(run_id, answer="", stop_reason=ev.StopReason.ERROR, partial=True,
                            usage={}, error=f"{type(exc).__name__}: {exc}", duration_s=0.0)
        raise
    finally:
        svc.running_runs.discard(run_id)
        if trajectory is not None:
            trajectory.close()
    recorder.finish_run(run_id, answer=result.answer, stop_reason=result.stop_reason,
                        partial=result.partial, usage=result.usage, error=result.error,
                        duration_s=result.duration_s)
    await asyncio.to_thread(recorder.flush)
    return result


async def end_conversation(svc: Services, req: Request) -> dict[str, Any]:
    conversation_id = need_str(req.args, "conversation")
    conversation = svc.conversations.pop(conversation_id, None)
    svc.conversation_collections.pop(conversation_id, None)
    if conversation is None:
        return {"ended": False}
    running = svc.asking.get(conversation_id)
    if running is not None:   # its running question is cancelled first
        if running.on_cancel is not None:
            running.on_cancel()
        while conversation_id in svc.asking:
            await asyncio.sleep(0.05)
    await conversation.close()
    return {"ended": True}


async def close_conversations(svc: Services) -> None:
    for conversation in list(svc.conversations.values()):
        try:
            await conversation.close()
        except Exception as exc:   # shutting down: log and go on
            log.warning("closing conversation %s failed: %s", conversation.id, exc)
    svc.conversations.clear()


def mark_interrupted_runs() -> None:
    """At start: runs a killed worker left "running" are closed as interrupted."""
    try:
        conn = connect()
        try:
            count = run_store.mark_interrupted(conn)
        finally:
            conn.close()
        if count:
            log.info("marked %d unfinished run(s) as interrupted", count)
    except Exception as exc:   # the store may be unusable; requests will say so
        log.error("could not check for unfinished runs: %s", exc)


async def history(svc: Services, req: Request) -> list[dict[str, Any]]:
    collection = arg_str(req.args, "collection", required=False)
    return await svc.store.call(lambda library: run_store.history(library.conn, collection))


async def run_events(svc: Services, req: Request) -> dict[str, Any]:
    run_id = need_str(req.args, "run_id")

    def query(library: Library) -> dict[str, Any]:
        run = run_store.load_run(library.conn, run_id)
        if run is None:
            raise ConfigError(f"there is no recorded run {run_id!r}; it may have been deleted")
        return {"run": run, "events": run_store.run_events(library.conn, run_id)}

    return await svc.store.call(query)


async def delete_run(svc: Services, req: Request) -> dict[str, Any]:
    run_id = need_str(req.args, "run_id")
    if run_id in svc.running_runs:
        raise RequestError("this question is still running; cancel it first, then delete it",
                           "busy")
    deleted = await svc.store.call(lambda library: run_store.delete_run(library.conn, run_id))
    return {"deleted": deleted}


# A record of an analysis larger than this is refused rather than read into memory.
MAX_LOG_BYTES = 200 * 1024 * 1024


def _log_record(path: Path, send: Callable[[ev.Event], object]) -> dict[str, Any]:
    """A trajectory log, its events sent one by one with ``send`` (small lines the GUI takes
    in slices, never one huge reply), then the run as ``run_events`` gives a stored one, with
    how many lines were skipped as damaged. Plain-worded errors for what cannot be replayed;
    nothing is sent before the file is known to be a record of an analysis."""
    if not path.exists():
        raise RequestError(f"There is no file at {path}.", "usage")
    if not path.is_file():
        raise RequestError(f"{path} is a folder, not a file.", "usage")
    size = path.stat().st_size
    if size > MAX_LOG_BYTES:
        raise RequestError(f"{path.name} is {size / 1024 / 1024:.0f} MB; records larger than "
                           f"{MAX_LOG_BYTES // 1024 // 1024} MB are not opened.", "usage")
    if size == 0:
        raise RequestError(f"{path.name} is empty.", "usage")
    events, skipped = read_lines(path)
    if not events and not skipped:
        raise RequestError(f"{path.name} is empty.", "usage")
    roots = [e for e in events if isinstance(e, ev.RunStarted) and e.parent_run_id is None]
    if not roots:
        raise RequestError(f"{path.name} is not a record of an analysis (it has no question "
                           "in it).", "usage")
    root_id = roots[0].run_id
    run: dict[str, Any] = {"run_id": root_id, "question": roots[0].question,
                           "status": "interrupted", "started_at": ""}
    for event in events:
        if getattr(event, "run_id", None) != root_id:
            continue
        if isinstance(event, ev.AnswerReady):
            run["answer"], run["partial"] = event.text, event.partial
        elif isinstance(event, ev.UsageTotals):
            run["usage"] = event.to_json()
            run["cost_usd"] = event.cost_usd
        elif isinstance(event, ev.RunFinished):
            run.update(status="finished", stop_reason=str(event.stop_reason),
                       duration_s=event.duration_s, error=event.error or "")
    for event in events:
        send(event)
    return {"run": run, "events_sent": len(events), "skipped": skipped, "path": str(path)}


async def read_log(_svc: Services, req: Request) -> dict[str, Any]:
    """Read a trajectory log (``rlm ask --log`` or the data folder's runs/) to replay it: its
    events stream as this request's events, the reply has the run they make."""
    path = Path(need_str(req.args, "path")).expanduser()
    return await asyncio.to_thread(_log_record, path, req.event)


HANDLERS = {"ask": ask, "end_conversation": end_conversation, "history": history,
            "run_events": run_events, "delete_run": delete_run, "read_log": read_log}
