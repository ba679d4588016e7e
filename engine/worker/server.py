"""The engine worker: the background process the GUI starts, speaking JSON lines over stdio.

Run as ``python -m engine.worker``. Protocol 1 (the full contract is in the README):

- The first line out is ``{"ready": {"version", "pid", "protocol": 1}}``.
- A request is one line ``{"id": <positive int>, "cmd": <name>, "args": {...}}``.
- While it runs the worker may send ``{"id", "event": <engine event JSON>}`` lines, then
  exactly one ``{"id", "ok": true, "result": ...}`` or ``{"id", "ok": false, "error":
  <sentence>, "kind": usage|config|provider|sandbox|busy|cancelled|internal}``.
- A bad line gets an error reply (``id`` null when unreadable) and never stops the worker.
- Requests run concurrently; ``cancel {"target": id}`` stops an ask, ingest or review run
  within 2 s (it then ends with its normal result). ``shutdown`` and end of input stop everything,
  close the REPLs and exit 0.
- Commands: hello, shutdown, cancel; collections, create_collection, delete_collection,
  documents, ingest, rescan, remove_documents (``library``); ask, end_conversation,
  history, run_events, delete_run, read_log (``runs``); export_run (``exports``);
  settings_get/set, prices_get/set, key_status/set/delete, discover_local, list_models,
  test_connection (``settings``); check_model, model_check_warning (``models``);
  open_demo (``demo``); review_templates, reviews, review_create, review_table,
  review_add, review_run (one at a time per review: else ``busy``), review_mark,
  review_export, review_delete (``reviews``).

stdout carries protocol lines only (anything else printing goes to stderr, which is
free-form log text). The worker is the only process holding API keys.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from engine import __version__, secrets
from engine.config import config_dir, data_dir
from engine.errors import ConfigError, ProviderError, SandboxError
from engine.store.db import store_path
from engine.worker import demo, exports, library, models, reviews, runs, settings
from engine.worker.jsonio import LineWriter, start_reader
from engine.worker.state import Request, RequestError, Services

PROTOCOL = 1
CANCEL_GRACE_S = 2.5   # cancelled work answers within 2 s; then it is torn down
log = logging.getLogger("engine.worker")

Handler = Callable[[Services, Request], Awaitable[Any]]
# One module per group of commands, each with a HANDLERS table of command name -> handler.
COMMAND_GROUPS = (library, runs, exports, settings, models, demo, reviews)


def error_kind(exc: BaseException) -> str:
    """The protocol's error word for an exception a request ended with."""
    if isinstance(exc, RequestError):
        return exc.kind
    # engine.rlm.conversation is imported in the background (it may be half-imported now).
    conversation = sys.modules.get("engine.rlm.conversation")
    for name, kind in (("ConversationBusy", "busy"), ("ConversationClosed", "usage")):
        cls = getattr(conversation, name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            return kind
    if isinstance(exc, ConfigError):
        return "config"
    if isinstance(exc, ProviderError):
        return "provider"
    if isinstance(exc, SandboxError):
        return "sandbox"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    return "internal"


class Worker:
    """Reads requests, runs each as a task, answers each exactly once."""

    def __init__(self, out: LineWriter) -> None:
        self.out = out
        self.svc = Services(out=out)
        self.active: dict[int, Request] = {}
        self.stopping = asyncio.Event()
        self.handlers: dict[str, Handler] = {
            "hello": self.hello, "shutdown": self.shutdown, "cancel": self.cancel}
        for group in COMMAND_GROUPS:
            self.handlers.update(group.HANDLERS)

    # --- lines in ------------------------------------------------------------------------

    async def serve(self, lines: asyncio.Queue[bytes | None]) -> None:
        """Serve until shutdown or end of input."""
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            while True:
                getter = asyncio.ensure_future(lines.get())
                done, _ = await asyncio.wait({getter, stop},
                                             return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                line = getter.result()
                if line is None:
                    log.info("end of input: stopping")
                    await self.stop_all()
                    break
                self.accept(line)
        finally:
            stop.cancel()

    def accept(self, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace").strip()
        if not text:
            return
        try:
            message = json.loads(text)
        except ValueError as exc:
            self.fail(None, f"the line is not JSON ({exc}); send one JSON object per line",
                      "usage")
            return
        if not isinstance(message, dict):
            self.fail(None, "a request must be a JSON object with id, cmd and args", "usage")
            return
        request_id = message.get("id")
        if isinstance(request_id, bool) or not isinstance(request_id, int) or request_id < 1:
            self.fail(None, f"the request has no usable id ({request_id!r}); give a positive "
                      "integer", "usage")
            return
        cmd, args = message.get("cmd"), message.get("args", {})
        if args is None:
            args = {}
        if request_id in self.active:
            self.fail(request_id, f"request id {request_id} is already in use by a running "
                      "request; use a new id", "usage")
        elif not isinstance(cmd, str) or cmd not in self.handlers:
            known = ", ".join(sorted(self.handlers))
            self.fail(request_id, f"unknown command {cmd!r}; the commands are: {known}",
                      "usage")
        elif not isinstance(args, dict):
            self.fail(request_id, '"args" must be a JSON object', "usage")
        else:
            request = Request(request_id, cmd, args, self.out)
            self.active[request_id] = request
            request.task = asyncio.ensure_future(self.run(request))

    # --- replies out ---------------------------------------------------------------------

    def fail(self, request_id: int | None, message: str, kind: str) -> None:
        self.out.send({"id": request_id, "ok": False, "error": message, "kind": kind})

    async def run(self, request: Request) -> None:
        started = time.monotonic()
        log.info("request %s: %s", request.id, request.cmd)
        try:
            result = await self.handlers[request.cmd](self.svc, request)
        except asyncio.CancelledError:
            self.fail(request.id, f"{request.cmd} was stopped because the engine is shutting "
                      "down", "cancelled")
        except Exception as exc:
            self.failed(request, exc, started)
        else:
            log.info("request %s: %s done in %.2f s", request.id, request.cmd,
                     time.monotonic() - started)
            try:
                self.out.send({"id": request.id, "ok": True, "result": result})
            except (TypeError, ValueError) as exc:   # a result that is not JSON: our bug
                log.exception("request %s: result not serialisable", request.id)
                self.fail(request.id, f"unexpected error in the engine: the result of "
                          f"{request.cmd} could not be sent ({exc}); see the log", "internal")
        finally:
            self.active.pop(request.id, None)

    def failed(self, request: Request, exc: Exception, started: float) -> None:
        """Answer a request that raised; this must answer whatever happens."""
        try:
            kind = error_kind(exc)
            message = str(exc) or type(exc).__name__
            if kind == "internal":
                log.error("request %s (%s) failed", request.id, request.cmd, exc_info=exc)
                message = (f"unexpected error in the engine during {request.cmd}: "
                           f"{type(exc).__name__}: {exc}; see the log for details")
            log.info("request %s: %s failed (%s) after %.2f s: %s", request.id, request.cmd,
                     kind, time.monotonic() - started, message)
        except Exception as inner:   # a last resort: the request must still be answered
            kind, message = "internal", (f"unexpected error in the engine during "
                                         f"{request.cmd} ({type(inner).__name__}); see the log")
        self.fail(request.id, message, kind)

    # --- commands ------------------------------------------------------------------------

    async def hello(self, svc: Services, req: Request) -> dict[str, Any]:
        keyring = await asyncio.to_thread(secrets.keyring_status)
        return {"version": __version__, "pid": os.getpid(), "protocol": PROTOCOL,
                "data_dir": str(data_dir()), "config_dir": str(config_dir()),
                "store": str(store_path()), "keyring": keyring}

    async def cancel(self, svc: Services, req: Request) -> dict[str, Any]:
        target = req.args.get("target")
        if isinstance(target, bool) or not isinstance(target, int):
            raise RequestError('"target" must be the id of a running request')
        running = self.active.get(target)
        if running is None or running.on_cancel is None or target == req.id:
            return {"cancelled": False}
        running.on_cancel()
        return {"cancelled": True}

    async def shutdown(self, svc: Services, req: Request) -> dict[str, Any]:
        await self.stop_all(keep=req.id)
        self.stopping.set()
        return {}

    async def terminate(self) -> None:
        """SIGTERM: stop as for end of input."""
        log.info("terminated: stopping")
        await self.stop_all()
        self.stopping.set()

    async def stop_all(self, keep: int | None = None) -> None:
        """Cancel every running request, give them CANCEL_GRACE_S to answer, then close the
        conversations' REPLs and write the run records."""
        others = [r for r in self.active.values() if r.id != keep]
        for request in others:
            if request.on_cancel is not None:
                request.on_cancel()
        tasks = [r.task for r in others if r.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=CANCEL_GRACE_S)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        await runs.close_conversations(self.svc)
        await asyncio.to_thread(self.svc.recorder.flush)


def _handle_signals(loop: asyncio.AbstractEventLoop, worker: Worker) -> None:
    """Ctrl-C in the app's terminal reaches this process too: the app decides when the
    engine stops, so SIGINT is only logged. SIGTERM stops cleanly. (Handlers, not SIG_IGN:
    child processes must still get default handling, the REPL's cell interrupt uses SIGINT.)"""
    handlers = {signal.SIGINT: lambda: log.info("SIGINT ignored: the app stops the engine"),
                signal.SIGTERM: lambda: asyncio.ensure_future(worker.terminate())}
    for signum, handler in handlers.items():
        try:
            loop.add_signal_handler(signum, handler)
        except (NotImplementedError, RuntimeError):   # Windows
            pass


async def amain(out: LineWriter, stdin_fd: int) -> None:
    loop = asyncio.get_running_loop()
    # First, alone: this opens (creates, migrates) the store before any thread of the
    # worker does, since migrating a new store from several connections at once fails.
    await asyncio.to_thread(runs.mark_interrupted_runs)
    worker = Worker(out)

    def stop_soon() -> None:
        try:
            loop.call_soon_threadsafe(worker.stopping.set)
        except RuntimeError:   # the loop already closed
            pass

    out.on_broken = stop_soon
    _handle_signals(loop, worker)
    out.send({"ready": {"version": __version__, "pid": os.getpid(), "protocol": PROTOCOL}})
    # Load the run machinery (the openai SDK) in the background, so the first question does
    # not wait for it and the ready line does not either.
    preload = threading.Thread(target=importlib.import_module, name="preload", daemon=True,
                               args=("engine.rlm.conversation",))
    preload.start()
    lines: asyncio.Queue[bytes | None] = asyncio.Queue()
    start_reader(stdin_fd, loop, lines)
    try:
        await worker.serve(lines)
    finally:
        if worker.active:   # stopped by a broken stdout: nobody is listening any more
            await worker.stop_all()
        worker.svc.recorder.close()
        worker.svc.store.close()
        preload.join(10)   # never exit in the middle of an import


def main() -> int:
    # stdout is the protocol: keep a private copy of it and point fd 1 (and sys.stdout) at
    # stderr, so a stray print here or in a child process cannot corrupt a line.
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    out = LineWriter(protocol_out)
    try:
        asyncio.run(amain(out, sys.stdin.fileno()))
    finally:
        out.close()
    sys.stderr.flush()
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        os._exit(0)   # a thread stuck in a slow call must not keep the process alive
    return 0

