"""The worker's library commands: collections, documents, ingest, rescan, remove, delete."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.errors import ConfigError
from engine.ingest.options import IngestOptions
from engine.ingest.pipeline import ingest
from engine.ingest.report import IngestReport, describe
from engine.store.library import DEFAULT_COLLECTION, MISSING, Library, check_collection_name
from engine.worker.state import (
    Request,
    RequestError,
    Services,
    arg_bool,
    arg_ids,
    arg_str,
    arg_str_list,
    in_daemon_thread,
    need_str,
)


def _key(name: str) -> str:
    """Collection names compare without case, as the store does."""
    return check_collection_name(name).casefold()


async def collections(svc: Services, req: Request) -> list[dict[str, Any]]:
    def query(library: Library) -> list[dict[str, Any]]:
        sources = library.source_paths()
        return [{**c, "sources": sources.get(c["name"], [])} for c in library.collections()]

    return await svc.store.call(query)


async def create_collection(svc: Services, req: Request) -> dict[str, Any]:
    name = check_collection_name(need_str(req.args, "name"))
    await svc.store.call(lambda library: library.collection_id(name, create=True))
    return {"name": name}


async def delete_collection(svc: Services, req: Request) -> dict[str, Any]:
    name = need_str(req.args, "name")
    if _key(name) in svc.ingesting:
        raise RequestError(f"files are being added to collection {name!r} right now; cancel "
                           "that first, then delete the collection", "busy")
    deleted = await svc.store.call(lambda library: library.delete_collection(name))
    return {"deleted": deleted}


async def documents(svc: Services, req: Request) -> list[dict[str, Any]]:
    collection = arg_str(req.args, "collection", required=False)
    # By id, in whatever collection they are: an earlier answer's citations name documents
    # of the collection it was asked in, which need not be the one shown now.
    ids = arg_ids(req.args, "ids")

    def query(library: Library) -> list[dict[str, Any]]:
        docs = library.documents(collection=collection, ids=ids)
        warnings = library.content_warnings(sorted({d.content_hash for d in docs
                                                    if d.content_hash}))
        # size and mtime_ns as recorded at ingest: the viewer compares them with the file
        # on disk so it never shows a changed file's page as the cited one.
        return [{**d.to_json(), "tokens": d.tokens, "added_at": d.added_at,
                 "mtime_ns": d.mtime_ns,
                 "warnings": warnings.get(d.content_hash or "", [])} for d in docs]

    return await svc.store.call(query)


def _whole_number(args: dict[str, Any], name: str, what: str) -> int:
    value = args.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise RequestError(f'"{name}" must be {what} (a whole number, 1 or more)')
    return value


async def page_text(svc: Services, req: Request) -> dict[str, Any]:
    """The stored text of one page of a document, with its printed label: what the viewer
    shows for Word and text sources, and for a file that moved or changed since it was read."""
    doc_id = _whole_number(req.args, "doc_id", "a document id")
    page = _whole_number(req.args, "page", "a page number")

    def query(library: Library) -> dict[str, Any]:
        docs = library.documents(ids=[doc_id])
        if not docs:
            raise RequestError(f"there is no document {doc_id} in the library; it was removed "
                               "or never added")
        doc = docs[0]
        row = library.page(doc.content_hash, page) if doc.content_hash else None
        return {"doc_id": doc_id, "page": page, "pages": doc.pages,
                "found": row is not None,
                "label": (row["label"] or "") if row is not None else "",
                "kind": row["kind"] if row is not None else "",
                "text": row["text"] if row is not None else ""}

    return await svc.store.call(query)


async def remove_documents(svc: Services, req: Request) -> dict[str, Any]:
    ids = arg_ids(req.args, "ids")
    if ids is None:
        raise RequestError('"ids" is missing: give a list of document ids')
    removed = await svc.store.call(lambda library: library.remove(ids))
    return {"removed": removed}


def _absolute(raw: str) -> Path:
    return Path(os.path.abspath(os.path.expanduser(raw)))


def _ingest_and_remember(paths: list[str], options: IngestOptions, req: Request,
                         cancel: threading.Event) -> IngestReport:
    with Library() as library:
        report = ingest(paths, options, emit=req.emit, library=library, cancel=cancel)
        collection_id = library.collection_id(options.collection, create=True)
        assert collection_id is not None
        library.remember_sources(collection_id, [_absolute(p) for p in paths])
        return report


async def _run_ingest(svc: Services, req: Request, collection: str,
                      work: Any, *args: Any) -> dict[str, Any]:
    """Run an ingest-like job in its own thread; one at a time per collection."""
    key = _key(collection)
    if key in svc.ingesting:
        raise RequestError(f"files are already being added to collection {collection!r}; "
                           "wait for that to finish or cancel it", "busy")
    cancel = threading.Event()
    req.on_cancel = cancel.set
    svc.ingesting[key] = req.id
    try:
        result: dict[str, Any] = await in_daemon_thread(work, *args, req, cancel)
        return result
    finally:
        svc.ingesting.pop(key, None)


async def ingest_cmd(svc: Services, req: Request) -> dict[str, Any]:
    paths = arg_str_list(req.args, "paths", required=True)
    if not paths:
        raise RequestError('"paths" is empty: name at least one file or folder')
    collection = check_collection_name(
        arg_str(req.args, "collection", required=False) or DEFAULT_COLLECTION)
    password = arg_str(req.args, "password", required=False)
    options = IngestOptions(collection=collection,
                            include=arg_str_list(req.args, "include"),
                            exclude=arg_str_list(req.args, "exclude"),
                            passwords=[password] if password else [],
                            # "Read again": extract even unchanged files (after installing
                            # OCR, say), as the command line's --force does.
                            force=arg_bool(req.args, "force"))

    def work(req: Request, cancel: threading.Event) -> dict[str, Any]:
        return describe(_ingest_and_remember(paths, options, req, cancel))

    return await _run_ingest(svc, req, collection, work)


def _rescan(collection: str, prune: bool, req: Request,
            cancel: threading.Event) -> dict[str, Any]:
    with Library() as library:
        collection_id = library.require_collection(collection)
        roots = library.sources(collection)
        if not roots:
            raise ConfigError(f"collection {collection!r} has no remembered folders or files "
                              "to scan again; add them once more and they will be remembered")
        present = [root for root in roots if os.path.lexists(root)]
        gone = [root for root in roots if root not in present]
        if present:
            options = IngestOptions(collection=collection, prune=prune)
            result = describe(ingest([str(p) for p in present], options, emit=req.emit,
                                     library=library, cancel=cancel))
        else:
            req.event(ev.IngestStarted(files=0, collection=collection))
            result = describe(IngestReport(collection=collection))
        missing, pruned = _vanished_roots(library, collection_id, gone, prune, req)
        result["missing"] = [*result["missing"], *missing]
        result["pruned"] += pruned
        result["missing_sources"] = [str(root) for root in gone]
        if not present:
            req.event(ev.IngestFinished(ingested=0, unchanged=0, failed=0, duration_s=0.0,
                                        missing=len(missing), pruned=pruned,
                                        collection=collection))
        return result


def _vanished_roots(library: Library, collection_id: int, gone: list[Path], prune: bool,
                    req: Request) -> tuple[list[str], int]:
    """Documents under a remembered folder or file that no longer exists: missing, or
    forgotten with ``prune``."""
    if not gone:
        return [], 0
    keys = [os.fsencode(root) for root in gone]
    sep = os.fsencode(os.sep)
    hits = [doc for key_bytes, doc in library.known(collection_id).items()
            if any(key_bytes == k or key_bytes.startswith(k.rstrip(sep) + sep) for k in keys)]
    if prune:
        library.remove([doc.id for doc in hits])
        for root in gone:
            library.forget_source(collection_id, root)
    else:
        library.mark_missing([doc.id for doc in hits if doc.status != MISSING])
    for doc in hits:
        req.event(ev.FileMissing(path=doc.path, document_id=doc.id, pruned=prune))
    return [doc.path for doc in hits], len(hits) if prune else 0


async def rescan(svc: Services, req: Request) -> dict[str, Any]:
    collection = check_collection_name(need_str(req.args, "collection"))
    prune = arg_bool(req.args, "prune")

    def work(req: Request, cancel: threading.Event) -> dict[str, Any]:
        return _rescan(collection, prune, req, cancel)

    return await _run_ingest(svc, req, collection, work)


HANDLERS = {"collections": collections, "create_collection": create_collection,
            "delete_collection": delete_collection, "documents": documents, "page_text": page_text,
            "remove_documents": remove_documents, "ingest": ingest_cmd, "rescan": rescan}
