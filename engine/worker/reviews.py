"""The worker's review commands: templates, list, create, table, add questions or documents,
run (streamed, cancellable, one run at a time per review), mark an answer, export, delete.

A run takes its models, keys, limits and sandbox policy from the saved settings, as a
question does; its events are the runner's (``review_started``, ``review_cell`` per answer,
``review_finished``) and those of the long documents' step-by-step runs.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from engine.config import config_dir, load_settings, runs_dir
from engine.errors import ConfigError
from engine.review import export as review_export
from engine.review.columns import load_template, make_column, template_names
from engine.store import reviews as store
from engine.store.library import FAILED, Library, path_fields
from engine.worker.exports import why_not_written
from engine.worker.runs import _endpoints
from engine.worker.state import (
    Request,
    RequestError,
    Services,
    arg_bool,
    arg_ids,
    arg_str,
    arg_str_list,
    need_str,
)

log = logging.getLogger(__name__)
FORMAT_WORDS = "Excel (.xlsx), CSV (.csv) or Word (.docx)"
MAX_NOTE_CHARS = 4000


def need_review_id(args: dict[str, Any]) -> str:
    return need_str(args, "review_id").strip()


# --- reading arguments ----------------------------------------------------------------------

def _columns(args: dict[str, Any]) -> list[store.ColumnSpec]:
    """``columns`` as ColumnSpecs, each checked (question, type, choices, short name)."""
    raw = args.get("columns", [])
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise RequestError('"columns" must be a list of questions, each {"question", "kind"}')
    columns = []
    for item in raw:
        question = item.get("question")
        kind = item.get("kind", "text")
        choices = item.get("choices") or []
        name = item.get("name")
        if not isinstance(question, str) or not isinstance(kind, str) or \
                not isinstance(choices, list) or \
                not all(isinstance(c, str) for c in choices) or \
                not (name is None or isinstance(name, str)):
            raise RequestError("each question needs its text, an answer type and, for "
                               "\"one of a list\", its choices")
        columns.append(make_column(question, kind, tuple(choices), name=name or None))
    return columns


def _again(args: dict[str, Any]) -> tuple[str, ...]:
    again = arg_str_list(args, "again")
    unknown = [s for s in again if s not in store.CELL_STATUSES]
    if unknown:
        raise RequestError(f'"again" may hold only {", ".join(store.CELL_STATUSES)}; not '
                           f'{", ".join(map(repr, unknown))}')
    return tuple(dict.fromkeys((*again, store.STOPPED)))


# --- store work (each in a store thread) ----------------------------------------------------

def _check_limit_prices(budget: float | None, prices: Any = None,
                        models: tuple[str, str] | None = None) -> None:
    """A spending limit needs the models' prices: say so before any answer is asked."""
    from engine.providers.prices import PriceTable, check_budget_prices

    if budget is None:
        return
    if prices is None or models is None:
        settings = load_settings()
        root, sub = _endpoints(settings)
        prices, models = PriceTable.load(config_dir()), (root.model, sub.model)
    try:
        check_budget_prices(budget, prices, models)
    except ConfigError as exc:
        raise ConfigError("this review has a spending limit, but the price of a chosen model "
                          "is unknown (a model on your own computer costs nothing): set the "
                          "limit to 0 for no limit, or add the model's price in the settings "
                          "(Prices), then start again") from exc


def _create(library: Library, name: str | None, collection: str | None,
            document_ids: list[int] | None, columns: list[store.ColumnSpec],
            template: str | None, budget: float | None) -> dict[str, Any]:
    title = None
    if template:
        title, shipped = load_template(template)
        columns = shipped + columns
    if not columns:
        raise ConfigError("add at least one question (or start from a template), then "
                          "create the review")
    if budget is not None:
        _check_limit_prices(budget)
    if document_ids is not None:
        docs = library.documents(ids=document_ids)
        absent = sorted(set(document_ids) - {d.id for d in docs})
        if absent:
            raise ConfigError("some of the chosen documents are no longer in the library; "
                              "refresh the document list and choose again")
        what = "the chosen documents"
    else:
        assert collection is not None
        docs = library.documents(collection=collection)
        what = f"the collection “{collection}”"
    docs = [d for d in docs if d.status != FAILED] or docs
    if not docs:
        raise ConfigError(f"{what} has no documents; add some, then create the review")
    label = collection or f"{len(docs)} documents"
    name = (name or "").strip() or (f"{title} — {label}" if title else label)
    review_id = store.create_review(library.conn, name, collection, columns,
                                    [d.id for d in docs], budget_usd=budget)
    return store.require_review(library.conn, review_id).to_json()


def _table(library: Library, review_id: str) -> dict[str, Any]:
    table = review_export.read_table(library, review_id)
    documents = []
    for doc_id in table.review.doc_ids:
        doc = table.docs.get(doc_id)
        if doc is None:      # removed from the library since: its row stays, named by id
            documents.append({"id": doc_id, "title": f"Document {doc_id} (removed)",
                              "path": "", "display_path": "", "status": "removed"})
            continue
        fields = path_fields(doc.path_key)
        documents.append({"id": doc.id, "title": doc.title, "path": fields["path"],
                          "display_path": fields["display_path"], "status": doc.status,
                          "pages": doc.pages})
    return {"review": table.review.to_json(), "documents": documents,
            "cells": [c.to_json() for c in table.cells.values()]}


def _add(library: Library, review_id: str, columns: list[store.ColumnSpec],
         document_ids: list[int] | None) -> dict[str, Any]:
    store.require_review(library.conn, review_id)
    column_ids = store.add_columns(library.conn, review_id, columns) if columns else []
    added = 0
    if document_ids:
        known = {d.id for d in library.documents(ids=document_ids)}
        absent = sorted(set(document_ids) - known)
        if absent:
            raise ConfigError("some of the chosen documents are no longer in the library; "
                              "refresh the document list and choose again")
        added = store.add_documents(library.conn, review_id, document_ids)
    return {"review": store.require_review(library.conn, review_id).to_json(),
            "column_ids": column_ids, "documents_added": added}


def _mark(library: Library, review_id: str, doc_id: int, column_id: int,
          marks: dict[str, Any]) -> dict[str, Any]:
    store.require_review(library.conn, review_id)
    if not store.mark_cell(library.conn, review_id, doc_id, column_id, **marks):
        raise ConfigError("this answer has not been found yet; run the review first, then "
                          "mark it")
    cell = next((c for c in store.cells(library.conn, review_id)
                 if c.doc_id == doc_id and c.column_id == column_id), None)
    assert cell is not None
    return cell.to_json()


# --- commands -------------------------------------------------------------------------------

async def review_templates(_svc: Services, _req: Request) -> list[dict[str, Any]]:
    def read() -> list[dict[str, Any]]:
        shipped = []
        for name in template_names():
            title, columns = load_template(name)
            shipped.append({"name": name, "title": title, "columns": [
                {"name": c.name, "question": c.question, "kind": c.kind,
                 "choices": list(c.choices)} for c in columns]})
        return shipped
    return await asyncio.to_thread(read)


async def reviews(svc: Services, _req: Request) -> list[dict[str, Any]]:
    listed = await svc.store.call(lambda library: store.list_reviews(library.conn))
    active = svc.reviewing
    for review in listed:
        review["running"] = review["id"] in active
    return listed


async def review_create(svc: Services, req: Request) -> dict[str, Any]:
    name = arg_str(req.args, "name", required=False)
    collection = arg_str(req.args, "collection", required=False)
    document_ids = arg_ids(req.args, "document_ids")
    template = arg_str(req.args, "template", required=False)
    budget = req.args.get("budget_usd")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, (int, float))
                               or budget <= 0):
        raise RequestError('"budget_usd" must be a positive number of dollars')
    if collection is None and document_ids is None:
        raise RequestError('say which documents to review: give "collection" or '
                           '"document_ids"')
    if template and template not in template_names():
        raise RequestError(f"there is no review template {template!r}; there are: "
                           f"{', '.join(template_names())}")
    columns = _columns(req.args)
    return await svc.store.call(_create, name, collection, document_ids, columns, template,
                                None if budget is None else float(budget))


async def review_table(svc: Services, req: Request) -> dict[str, Any]:
    review_id = need_review_id(req.args)
    table = await svc.store.call(_table, review_id)
    table["running"] = review_id in svc.reviewing
    return table


async def review_add(svc: Services, req: Request) -> dict[str, Any]:
    review_id = need_review_id(req.args)
    columns = _columns(req.args)
    document_ids = arg_ids(req.args, "document_ids")
    if not columns and not document_ids:
        raise RequestError('give new "columns" or "document_ids" to add to the review')
    return await svc.store.call(_add, review_id, columns, document_ids)


async def review_run(svc: Services, req: Request) -> dict[str, Any]:
    """Answer the review's missing cells (and those whose status is in ``again``), streaming
    the runner's events; cancel stops it within 2 s, keeping every finished answer."""
    from engine.providers.prices import PriceTable
    from engine.review.runner import ReviewRunner
    from engine.rlm.clients import ClientPool

    review_id = need_review_id(req.args)
    again = _again(req.args)
    column_ids = arg_ids(req.args, "column_ids")
    doc_ids = arg_ids(req.args, "doc_ids")
    active = svc.reviewing
    if review_id in active:
        raise RequestError("this review is already running; wait for it to finish or stop "
                           "it first", "busy")
    cancel = asyncio.Event()
    req.on_cancel = cancel.set
    active[review_id] = req
    try:
        def prepare(library: Library) -> tuple[Any, ...]:
            record = store.require_review(library.conn, review_id)
            settings = load_settings()
            root, sub = _endpoints(settings)
            prices = PriceTable.load(config_dir())
            _check_limit_prices(record.budget_usd, prices, (root.model, sub.model))
            return settings, root, sub, prices, record.budget_usd

        settings, root, sub, prices, budget = await svc.store.call(prepare)
        pool = ClientPool(root, sub, prices, settings.limits)
        runner = ReviewRunner(library_path=None, pool=pool, limits=settings.limits,
                              sandbox=settings.sandbox, budget_usd=budget,
                              concurrency=settings.limits.batch_concurrency, emit=req.emit,
                              runs_folder=runs_dir())
        try:
            plans = await runner.plan(review_id, again=again, column_ids=column_ids,
                                      doc_ids=doc_ids)
            if cancel.is_set():
                raise RequestError("the review was stopped before it started; nothing was "
                                   "run", "cancelled")
            outcome = await runner.run(review_id, plans, cancel)
        finally:
            await runner.close()
            await pool.aclose()
        progress = outcome.progress
        return {"review_id": review_id, "ran": outcome.ran, "total": progress.total,
                "failed": progress.failed, "stopped": outcome.stopped_reason,
                "cost_usd": None if progress.unpriced else progress.cost_usd,
                "seconds": round(outcome.seconds, 3)}
    finally:
        active.pop(review_id, None)


async def review_mark(svc: Services, req: Request) -> dict[str, Any]:
    review_id = need_review_id(req.args)
    ids = {}
    for name in ("doc_id", "column_id"):
        value = req.args.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise RequestError(f'"{name}" must be an integer id')
        ids[name] = value
    marks: dict[str, Any] = {}
    for name in ("reviewed", "flagged"):
        if name in req.args:
            marks[name] = arg_bool(req.args, name)
    note = arg_str(req.args, "note", required=False)
    if note is not None:
        if len(note) > MAX_NOTE_CHARS:
            raise RequestError(f"a note may be at most {MAX_NOTE_CHARS:,} characters")
        marks["note"] = note
    async with svc.marking:
        return await svc.store.call(_mark, review_id, ids["doc_id"], ids["column_id"], marks)


def _export(library: Library, review_id: str) -> review_export.ReviewTable:
    return review_export.read_table(library, review_id)


def _write(table: review_export.ReviewTable, target: Path, kind: str) -> dict[str, Any]:
    try:
        review_export.write(table, target, kind)
    except ConfigError as exc:
        raise RequestError(why_not_written(target, exc).replace("the answer", "the review"),
                           "config") from exc
    except OSError as exc:
        wrapped = ConfigError(str(exc))
        wrapped.__cause__ = exc
        raise RequestError(why_not_written(target, wrapped).replace("the answer",
                                                                    "the review"),
                           "config") from exc
    return {"path": str(target), "format": kind, "bytes": target.stat().st_size,
            "documents": len(table.rows), "questions": len(table.review.columns)}


async def review_export_cmd(svc: Services, req: Request) -> dict[str, Any]:
    review_id = need_review_id(req.args)
    target = Path(need_str(req.args, "path")).expanduser()
    kind = arg_str(req.args, "format", required=False) or \
        review_export.SUFFIXES.get(target.suffix.lower())
    if kind not in review_export.FORMATS:
        raise RequestError(f"Which kind of file? Choose {FORMAT_WORDS}.", "usage")
    if not target.is_absolute():
        raise RequestError(f"Say where to save the review: {target} is not a full path.",
                           "usage")
    table = await svc.store.call(_export, review_id)
    return await asyncio.to_thread(_write, table, target, kind)


async def review_delete(svc: Services, req: Request) -> dict[str, Any]:
    review_id = need_review_id(req.args)
    if review_id in svc.reviewing:
        raise RequestError("this review is running; stop it first, then delete it", "busy")
    deleted = await svc.store.call(lambda library: store.delete_review(library.conn,
                                                                       review_id))
    return {"deleted": deleted}


HANDLERS = {"review_templates": review_templates, "reviews": reviews,
            "review_create": review_create, "review_table": review_table,
            "review_add": review_add, "review_run": review_run, "review_mark": review_mark,
            "review_export": review_export_cmd, "review_delete": review_delete}
