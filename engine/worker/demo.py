"""The worker's demo command: the app's sample documents join a "Demo" collection, and the
analysis recorded over them replays with the ids the library gave those documents.

``open_demo {"folder"}`` reads ``folder/documents`` (the app's ``resources/demo``) into the
collection "Demo" (again and again: unchanged files keep their documents and ids), then streams
the events of ``folder/run.jsonl`` as ``read_log`` does, each document id of the recording
rewritten to the library's id of the file with the same name. No model, key or network.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.ingest.options import IngestOptions
from engine.ingest.pipeline import ingest
from engine.rlm.citations import Citation, format_marker, replace_markers
from engine.store.library import FAILED, Library
from engine.worker.runs import _log_record
from engine.worker.state import Request, RequestError, Services, in_daemon_thread, need_str

COLLECTION = "Demo"
DOCUMENTS, RECORD = "documents", "run.jsonl"

# Where the recording names documents by id outside its citations: the context's headers
# ("=== DOCUMENT 3: ...", "--- doc 3, page 1 ---") in prompts, and the list of documents
# ("- [3] Title ...") in the first message to the model.
_ID_MENTIONS = re.compile(r"(=== DOCUMENT |--- doc |^- \[)(\d+)(?=[:,\]])", re.MULTILINE)

Ids = dict[int, int]   # recorded document id -> the library's id


def _add_documents(folder: Path, cancel: threading.Event) -> dict[str, dict[str, Any]]:
    """Read the demo's documents into the collection; each readable one by file name."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise RequestError(f"The demo's documents are missing from {folder}; reinstall RLM "
                           "Desktop to get them back.", "config")
    with Library() as library:
        ingest([str(p) for p in files], IngestOptions(collection=COLLECTION),
               library=library, cancel=cancel)
        collection_id = library.collection_id(COLLECTION, create=True)
        assert collection_id is not None
        library.remember_sources(collection_id, [Path(os.path.abspath(folder))])
        here = {os.path.normcase(os.path.abspath(p)) for p in files}
        return {doc.fs_path.name: doc.to_json()
                for doc in library.documents(collection=COLLECTION)
                if os.path.normcase(os.path.abspath(doc.fs_path)) in here
                and doc.status != FAILED and doc.content_hash is not None}


def _recorded_names(events: list[ev.Event]) -> dict[int, str]:
    """The file name of each document the recording's citations name, by its recorded id."""
    names: dict[int, str] = {}
    for event in events:
        if isinstance(event, ev.AnswerCitations):
            for cite in event.citations:
                doc_id, path = cite.get("doc_id"), cite.get("path")
                if isinstance(doc_id, int) and isinstance(path, str) and path:
                    names[doc_id] = path.replace("\\", "/").rsplit("/", 1)[-1]
    return names


def _marker(ids: Ids) -> Callable[[Citation], str]:
    def rewrite(cite: Citation) -> str:
        return format_marker(ids.get(cite.doc_id, cite.doc_id), cite.page, cite.quote)
    return rewrite


def _mentions(text: str, ids: Ids) -> str:
    return _ID_MENTIONS.sub(lambda m: m.group(1) + str(ids.get(int(m.group(2)),
                                                               int(m.group(2)))), text)


def _citation(cite: dict[str, Any], ids: Ids, docs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    out = dict(cite)
    for name in ("doc_id", "cited_doc_id"):
        if isinstance(out.get(name), int) and out[name] in ids:
            out[name] = ids[out[name]]
    doc_id = out.get("doc_id")
    doc = docs.get(doc_id) if isinstance(doc_id, int) else None
    if doc is not None:
        out["path"], out["title"] = doc["path"], doc["title"]
    return out


def rewrite(event: ev.Event, ids: Ids, docs: dict[int, dict[str, Any]]) -> ev.Event:
    """``event`` with the recording's document ids replaced by the library's (``ids``);
    ``docs`` holds the library's documents by their new id (paths and titles of citations)."""
    if isinstance(event, ev.AnswerReady):
        return dataclasses.replace(event, text=replace_markers(event.text, _marker(ids)))
    if isinstance(event, ev.AnswerCitations):
        return dataclasses.replace(event, citations=[_citation(c, ids, docs)
                                                     for c in event.citations])
    if isinstance(event, ev.RunStarted):
        return dataclasses.replace(event, first_message=_mentions(event.first_message, ids))
    if isinstance(event, ev.SubCallStarted):
        return dataclasses.replace(event,
                                   prompt_preview=_mentions(event.prompt_preview, ids))
    return event


def _replay(folder: Path, req: Request, cancel: threading.Event) -> dict[str, Any]:
    record = folder / RECORD
    if not (folder / DOCUMENTS).is_dir() or not record.is_file():
        raise RequestError(f"The demo is missing from this installation (looked in {folder}); "
                           "reinstall RLM Desktop to get it back.", "config")
    added = _add_documents(folder / DOCUMENTS, cancel)
    events: list[ev.Event] = []
    result = _log_record(record, events.append)
    names = _recorded_names(events)
    absent = sorted(set(names.values()) - set(added))
    if absent:
        raise RequestError(f"The demo could not add {', '.join(absent)} to the library; "
                           "see Help > Engine log.", "internal")
    ids = {old: int(added[name]["id"]) for old, name in names.items()}
    docs = {int(doc["id"]): doc for doc in added.values()}
    for event in events:
        req.event(rewrite(event, ids, docs))
    run = result["run"]
    if isinstance(run.get("answer"), str):
        run["answer"] = replace_markers(run["answer"], _marker(ids))
    return {"run": run, "events_sent": result["events_sent"], "collection": COLLECTION,
            "documents": sorted(added.values(), key=lambda d: d["id"])}


async def open_demo(svc: Services, req: Request) -> dict[str, Any]:
    """Add the demo's documents to the library and replay the analysis recorded over them."""
    folder = Path(need_str(req.args, "folder")).expanduser()
    key = COLLECTION.casefold()
    if key in svc.ingesting:
        raise RequestError("The demo is already being opened, or files are being added to its "
                           "“Demo” collection; wait a moment and try again.", "busy")
    cancel = threading.Event()
    req.on_cancel = cancel.set
    svc.ingesting[key] = req.id
    try:
        result: dict[str, Any] = await in_daemon_thread(_replay, folder, req, cancel)
        return result
    finally:
        svc.ingesting.pop(key, None)


HANDLERS = {"open_demo": open_demo}
