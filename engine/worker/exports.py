"""The worker's ``export_run``: a question's answer and checked sources written as a Word,
PDF or Markdown file (with, on request, the full record of the analysis), built and written
off the event loop, with what went wrong said in plain words."""

from __future__ import annotations

import asyncio
import errno
from pathlib import Path
from typing import Any

from engine import events as ev
from engine.config import runs_dir
from engine.errors import ConfigError
from engine.export.document import build
from engine.export.formats import WRITERS, format_of
from engine.store import runs as run_store
from engine.store.library import Library
from engine.store.trajectory import read_lines
from engine.worker.runs import MAX_LOG_BYTES
from engine.worker.state import Request, RequestError, Services, arg_bool, arg_str, need_str

FORMAT_WORDS = "Word (.docx), PDF (.pdf) or Markdown (.md)"
# What the operating system said, as what it means for the person saving the file.
_OS_WORDS = {
    errno.EACCES: "this computer does not let you save in {folder}; choose another folder, "
                  "such as your Documents folder",
    errno.EPERM: "this computer does not let you save in {folder}; choose another folder, "
                 "such as your Documents folder",
    errno.EROFS: "{folder} cannot be written to (it is read-only); choose another folder",
    errno.ENOSPC: "the disk is full; free some space, or save it on another disk",
    getattr(errno, "EDQUOT", -1): "your storage allowance on this disk is used up; free "
                                  "some space, or save it on another disk",
    errno.ENAMETOOLONG: "the file name is too long; choose a shorter one",
}


def _events_of_log(path: Path) -> list[ev.Event]:
    if not path.is_file():
        raise RequestError(f"The saved analysis {path.name} is no longer at {path.parent}; "
                           "open it again from where it is now, then export it.", "usage")
    if path.stat().st_size > MAX_LOG_BYTES:
        raise RequestError(f"{path.name} is too large to export (over "
                           f"{MAX_LOG_BYTES // 1024 // 1024} MB).", "usage")
    events, _skipped = read_lines(path)
    return events


def _stored_events(library: Library, run_id: str) -> list[ev.Event] | None:
    """A run's events as the store recorded them (None when the store has no such run)."""
    if run_store.load_run(library.conn, run_id) is None:
        return None
    events = []
    for data in run_store.run_events(library.conn, run_id):
        try:
            events.append(ev.event_from_json(data))
        except (ValueError, TypeError):   # a newer or damaged event: the rest still counts
            continue
    return events


def _unknown_run(run_id: str) -> RequestError:
    return RequestError(f"There is no saved analysis {run_id!r}: it may have been deleted. "
                        "Choose it again in History, or open its saved file, then export "
                        "it.", "usage")


def why_not_written(target: Path, exc: ConfigError) -> str:
    """A failed write in the words of someone saving a file."""
    cause = exc.__cause__
    name, folder = target.name or str(target), str(target.parent)
    if target.is_dir():
        return f"{target} is a folder: choose a file name to save the answer as."
    if target.parent.exists() and not target.parent.is_dir():
        return (f"{name} was not saved: {folder} is a file, not a folder; choose a folder "
                "to save it in.")
    if isinstance(cause, FileNotFoundError) or not target.parent.is_dir():
        return (f"{name} was not saved: the folder {folder} does not exist (any more); "
                "choose another folder.")
    if isinstance(cause, OSError) and cause.errno in _OS_WORDS:
        return f"{name} was not saved: " + _OS_WORDS[cause.errno].format(folder=folder) + "."
    if isinstance(cause, OSError):
        return (f"{name} was not saved: {cause.strerror or cause}. Choose another folder, "
                "or try again.")
    return f"{name} was not saved: {exc}."


def _write(events: list[ev.Event], target: Path, kind: str,
           with_trajectory: bool) -> dict[str, Any]:
    document = build(events, with_trajectory=with_trajectory)
    if not document.run_id:
        raise RequestError("This record holds no question, so there is no answer to export.",
                           "usage")
    try:
        WRITERS[kind](document, target)
    except ConfigError as exc:
        raise RequestError(why_not_written(target, exc), "config") from exc
    return {"path": str(target), "format": kind, "with_trajectory": with_trajectory,
            "run_id": document.run_id, "sources": len(document.sources),
            "bytes": target.stat().st_size}


async def export_run(svc: Services, req: Request) -> dict[str, Any]:
    """Write a question's answer to ``path``: the run is ``log`` (a record file, as
    ``read_log`` opens one) or ``run_id`` (the store's record, else the data folder's log)."""
    target = Path(need_str(req.args, "path")).expanduser()
    log = arg_str(req.args, "log", required=False)
    run_id = arg_str(req.args, "run_id", required=not log)
    kind = arg_str(req.args, "format", required=False) or format_of(target)
    with_trajectory = arg_bool(req.args, "with_trajectory")
    if kind not in WRITERS:
        raise RequestError(f"Which kind of file? Choose {FORMAT_WORDS}.", "usage")
    if not target.is_absolute():
        raise RequestError(f"Say where to save the answer: {target} is not a full path.",
                           "usage")
    if log:
        events = await asyncio.to_thread(_events_of_log, Path(log).expanduser())
    else:
        assert run_id is not None
        if run_id in svc.running_runs:
            raise RequestError("This question is still running; export it when it has "
                               "finished.", "busy")
        stored = await svc.store.call(_stored_events, run_id)
        if stored is None:
            path = runs_dir() / f"{run_id}.jsonl"
            if Path(run_id).name != run_id or not path.is_file():
                raise _unknown_run(run_id)
            stored = await asyncio.to_thread(_events_of_log, path)
        events = stored
    return await asyncio.to_thread(_write, events, target, kind, with_trajectory)


HANDLERS = {"export_run": export_run}
