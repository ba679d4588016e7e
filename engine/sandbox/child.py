"""The REPL child: runs model-written cells over a read-only context, talking to the host in frames.

Started as ``python -I -S -X utf8 child.py CONTEXT_PATH DOCUMENTS_PATH [POLICY_JSON]``. It uses
the standard library only and imports nothing from the engine, because it runs in a locked-down
interpreter; it therefore keeps its own small copy of the frame code (see
``engine/sandbox/frames.py``). Two modules beside it, standard library only too, are loaded
by name: ``contract`` (the names the REPL offers) and the ``lockdown`` package (applied after
the context is loaded and before any model code).
"""

from __future__ import annotations

import _thread
import ast
import faulthandler
import importlib
import io
import itertools
import json
import linecache
import mmap
import os
import queue
import signal
import sys
import threading
import time
import traceback
from typing import Any, NoReturn

MAX_FRAME_BYTES = 64 * 1024 * 1024
CHILD_FILE = os.path.abspath(__file__)
QUOTE_MAX_CHARS = 300


def sibling(name: str) -> Any:
    """A module beside this file, by name (the child runs as a script, without the engine)."""
    if __package__:  # imported as part of the engine, as tests do
        return importlib.import_module(f"{__package__}.{name}")
    here = os.path.dirname(CHILD_FILE)
    sys.path.insert(0, here)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(here)


contract = sibling("contract")
API_NAMES: frozenset[str] = frozenset(contract.NAMES)


# --- frames -----------------------------------------------------------------------------

class FrameTooLargeError(ValueError):
    """A frame would exceed the size cap."""


def encode_frame(obj: dict[str, Any], max_bytes: int = MAX_FRAME_BYTES) -> bytes:
    """Same encoding as the host: 4-byte big-endian length, then compact UTF-8 JSON."""
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")
    if len(body) > max_bytes:
        raise FrameTooLargeError(f"{len(body)} bytes, over the cap of {max_bytes} bytes")
    return len(body).to_bytes(4, "big") + body


def read_exactly(fd: int, size: int) -> bytes:
    """Read ``size`` bytes from ``fd``; returns fewer only when the pipe closes."""
    chunks = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, max_bytes: int) -> dict[str, Any] | None:
    """Read one frame; None when the host closed the pipe; ValueError when it is malformed."""
    header = read_exactly(fd, 4)
    if not header:
        return None
    if len(header) < 4:
        raise ValueError("pipe closed inside a frame header")
    size = int.from_bytes(header, "big")
    if size > max_bytes:
        raise ValueError(f"frame of {size} bytes is over the cap of {max_bytes} bytes")
    body = read_exactly(fd, size)
    if len(body) < size:
        raise ValueError("pipe closed inside a frame")
    obj = json.loads(body.decode("utf-8"))
    if not isinstance(obj, dict):
        raise ValueError("frame is not a JSON object")
    return obj


def die(message: str | None, code: int) -> NoReturn:
    """Leave at once (model threads must not keep the process alive)."""
    stream = sys.__stderr__
    if message and stream is not None:
        try:
            stream.write(f"rlm repl child: {message}\n")
            stream.flush()
        except Exception:
            pass
    os._exit(code)


class Channel:
    """The frame channel: one reader thread dispatches host replies to waiting callers by id."""

    def __init__(self, in_fd: int, out_fd: int) -> None:
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.max_bytes = MAX_FRAME_BYTES
        self.commands: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._write_lock = threading.Lock()
        self._replies: dict[Any, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._ids = itertools.count(1)

    def send(self, obj: dict[str, Any]) -> None:
        data = encode_frame(obj, self.max_bytes)
        with self._write_lock:
            view = memoryview(data)
            while view:
                view = view[os.write(self.out_fd, view):]

    def start_reader(self) -> None:
        threading.Thread(target=self._read_loop, name="rlm-frame-reader", daemon=True).start()

    def _read_loop(self) -> None:
        while True:
            try:
                frame = read_frame(self.in_fd, self.max_bytes)
            except Exception as exc:
                die(f"bad frame from host: {exc}", 2)
            if frame is None:
                die(None, 0)  # the host closed the pipe: nobody is left to answer
            if frame.get("type") == "reply":
                with self._cond:
                    self._replies[frame.get("id")] = frame
                    self._cond.notify_all()
            else:
                if frame.get("type") == "exec" and isinstance(frame.get("max_frame_bytes"), int):
                    self.max_bytes = frame["max_frame_bytes"]
                self.commands.put(frame)

    def call(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        """Send a call frame and block until the reply with the same id arrives."""
        call_id = next(self._ids)  # itertools.count is atomic under the GIL
        self.send({"type": "call", "id": call_id, "op": op, "args": args})
        with self._cond:
            while call_id not in self._replies:
                self._cond.wait()
            return self._replies.pop(call_id)


# --- lockdown ---------------------------------------------------------------------------

def lockdown(policy: dict[str, Any], expected_parent: int) -> dict[str, Any]:
    """Apply the OS's isolation (the ``lockdown`` package beside this file) and return its
    report for the ready frame. Runs single-threaded, before any model code."""
    try:
        package = sibling("lockdown")
    except ImportError as exc:
        return {"platform": sys.platform, "enforced": False, "layers": {},
                "isolation": {}, "note": f"the lockdown code could not be loaded: {exc}"}
    status: dict[str, Any] = package.lockdown(policy, expected_parent)
    return status


def read_policy(argv: list[str]) -> dict[str, Any]:
    """The host's lockdown policy (third argument, JSON); full lockdown when absent."""
    if len(argv) < 4:
        return {}
    policy = json.loads(argv[3])
    if not isinstance(policy, dict):
        raise ValueError("the lockdown policy must be a JSON object")
    return policy


# --- cell state, output capture, errors -------------------------------------------------

class CellState:
    """What the SIGINT handler and FINAL need to know about the running cell."""

    in_cell = False          # a cell is executing: SIGINT may interrupt it
    main_blocked = False     # the main thread waits for a host reply: defer SIGINT
    pending_interrupt = False
    interrupted = False      # SIGINT reached this cell (even if model code caught it)
    final: str | None = None
    final_set, printed = False, 0  # printed: characters output before the last FINAL call


STATE = CellState()


def on_sigint(signum: int, frame: Any) -> None:
    """Interrupt only a running cell; never the frame code or a wait for a host reply."""
    if not STATE.in_cell:
        return
    STATE.interrupted = True
    if STATE.main_blocked:
        STATE.pending_interrupt = True
        return
    raise KeyboardInterrupt


class HeadTail(io.TextIOBase):
    """A text sink that keeps the first and last chars of what is written and counts all."""

    def __init__(self, limit: int) -> None:
        self.head_cap = max(limit, 0) // 2
        self.tail_cap = max(limit, 0) - self.head_cap
        self._head: list[str] = []
        self._head_len = 0
        self._tail: list[str] = []
        self._tail_len = 0
        self.total = 0
        self._lock = threading.Lock()

    encoding = "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        written = len(s)
        with self._lock:
            self.total += written
            room = self.head_cap - self._head_len
            if room > 0:
                self._head.append(s[:room])
                self._head_len += len(self._head[-1])
                s = s[room:]
            if s and self.tail_cap:
                self._tail.append(s)
                self._tail_len += len(s)
                if self._tail_len > 2 * self.tail_cap:  # compact now and then: O(1) per char
                    kept = "".join(self._tail)[-self.tail_cap:]
                    self._tail, self._tail_len = [kept], len(kept)
        return written

    def parts(self) -> tuple[str, str]:
        """(head, tail); when nothing was cut, head is the whole output and tail is empty."""
        with self._lock:
            head = "".join(self._head)
            tail = "".join(self._tail)[-self.tail_cap:] if self.tail_cap else ""
        if self.total <= len(head) + len(tail):
            return head + tail, ""
        return head, tail


def clip(text: str, limit: int) -> str:
    """Keep the start and end of a long text with a note of what was cut."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n... [{len(text) - 2 * half} characters cut] ...\n{text[-half:]}"


def format_error(exc: BaseException) -> str:
    """A traceback showing only the model's own frames (none from this file)."""
    try:
        report = traceback.TracebackException.from_exception(exc)
        _strip_child_frames(report, set())
        return "".join(report.format()).rstrip("\n")
    except Exception:
        return f"{type(exc).__name__} (its traceback could not be formatted)"


def _strip_child_frames(report: traceback.TracebackException, seen: set[int]) -> None:
    if id(report) in seen:
        return
    seen.add(id(report))
    kept = [f for f in report.stack if f.filename != CHILD_FILE]
    report.stack = traceback.StackSummary.from_list(kept)
    linked = [report.__cause__, report.__context__, *(getattr(report, "exceptions", None) or ())]
    for other in linked:
        if other is not None:
            _strip_child_frames(other, seen)


# --- running cells ----------------------------------------------------------------------

class Shown(str):
    """A string already printed by SHOW_VARS, so the REPL does not echo it again."""


def exec_cell(namespace: dict[str, Any], tree: ast.Module, filename: str) -> None:
    """Run a parsed cell like the Python REPL: a trailing expression's value is printed."""
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, filename, "exec"), namespace)
    if isinstance(last, ast.Expr):
        value = eval(compile(ast.Expression(last.value), filename, "eval"), namespace)
        if value is not None and not isinstance(value, Shown):
            print(repr(value))


def run_cell(namespace: dict[str, Any], msg: dict[str, Any]) -> dict[str, Any]:
    """Execute one exec frame's code; return the result frame."""
    cell_id = msg.get("id")
    code = str(msg.get("code", ""))
    limit = int(msg.get("output_limit", 20_000))
    filename = f"<cell {cell_id}>"
    # Registered so tracebacks (also from functions defined here, called later) show the lines.
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    out = HeadTail(limit)
    error: str | None = None
    STATE.final, STATE.final_set, STATE.printed = None, False, 0
    STATE.interrupted = STATE.pending_interrupt = False
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out
    started = time.perf_counter()
    try:
        try:
            tree = _parse(code, filename)
            if isinstance(tree, str):
                error = tree
            else:
                STATE.in_cell = True
                exec_cell(namespace, tree, filename)
        finally:
            STATE.in_cell = False
    except KeyboardInterrupt as exc:
        STATE.interrupted, error = True, format_error(exc)
    except SystemExit as exc:
        error = format_error(exc) + "\n(SystemExit does not end the REPL; use FINAL(...) to answer)"
    except BaseException as exc:
        error = format_error(exc)
    finally:
        STATE.in_cell = False
        sys.stdout, sys.stderr = saved
    head, tail = out.parts()
    return {"type": "result", "id": cell_id, "head": head, "tail": tail, "total_chars": out.total,
            "error": None if error is None else clip(error, max(limit, 4000)),
            "interrupted": STATE.interrupted, "final": STATE.final, "final_set": STATE.final_set,
            "printed": STATE.printed, "duration_s": round(time.perf_counter() - started, 6),
            # Threads still running besides the frame reader: the host watches their CPU use.
            "threads": max(_thread._count() - 1, 0)}


def _parse(code: str, filename: str) -> ast.Module | str:
    """The cell's syntax tree, or the SyntaxError text (no traceback: nothing ran)."""
    try:
        return ast.parse(code, filename, "exec")
    except (SyntaxError, ValueError) as exc:  # ValueError: null bytes in the source
        return "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")


def send_result(channel: Channel, result: dict[str, Any]) -> None:
    """Send a result; an answer too big for one frame becomes an error instead of a dead pipe."""
    try:
        channel.send(result)
        return
    except FrameTooLargeError as exc:
        note = f"the cell's result was too large to send ({exc})"
    if result.get("final") is not None:
        note += "; FINAL answer dropped: keep it shorter"
        result["final"], result["final_set"] = None, False
    result["error"] = note if result.get("error") is None else f"{result['error']}\n{note}"
    try:
        channel.send(result)
    except FrameTooLargeError:
        result.update(head="", tail="", error=note)
        channel.send(result)


# --- the REPL contract: each public def in this section is a name in contract.py --------

class SubCallError(RuntimeError):
    """A sub-call (llm_query, rlm_query) failed; the message says why."""


CHANNEL: Channel | None = None
NAMESPACE: dict[str, Any] = {}
DOC_INDEX: dict[str, tuple[str, list[int]]] = {}


def _call(op: str, args: dict[str, Any]) -> Any:
    if CHANNEL is None:
        raise SubCallError(f"{op} is not available: the REPL has no host")
    is_main = threading.current_thread() is threading.main_thread()
    if is_main:
        STATE.main_blocked = True
    try:
        reply = CHANNEL.call(op, args)
    except FrameTooLargeError as exc:
        raise SubCallError(f"{op} request too large to send: {exc}") from None
    finally:
        if is_main:
            STATE.main_blocked = False
            if STATE.pending_interrupt:  # the host interrupted us while we waited
                STATE.pending_interrupt = False
                raise KeyboardInterrupt
    if not reply.get("ok"):
        raise SubCallError(str(reply.get("error") or f"{op} failed"))
    return reply.get("value")


def _model_arg(model: Any) -> str | None:
    return None if model is None else str(model)


def llm_query(prompt: Any, model: str | None = None) -> str:
    """Ask a sub-model one question; returns its answer text (raises SubCallError on failure)."""
    return _call("llm_query", {"prompt": str(prompt), "model": _model_arg(model)})


def llm_query_batched(prompts: Any, model: str | None = None) -> list[str]:
    """Ask a sub-model many questions concurrently; answers in order (a failure is its text)."""
    if isinstance(prompts, str | bytes):
        raise TypeError("llm_query_batched takes a list of prompts; for one prompt use llm_query")
    texts = [str(p) for p in prompts]
    if not texts:
        return []
    return list(_call("llm_query_batched", {"prompts": texts, "model": _model_arg(model)}))


def rlm_query(prompt: Any, context: Any = None) -> str:
    """Start a child RLM with its own REPL over ``context`` (default: this run's context)."""
    if context is not None and not isinstance(context, str):
        try:
            context = json.dumps(context, ensure_ascii=False)
        except (TypeError, ValueError):
            context = str(context)
    return _call("rlm_query", {"prompt": str(prompt), "context": context})


def cite(doc_id: Any, page: Any, quote: Any = None) -> str:
    """A citation marker for a page of a document, to put in the answer text."""
    key = _int_text(doc_id, "doc_id")
    page_no = int(_int_text(page, "page"))
    if DOC_INDEX:
        _check_citation(key, page_no)
    marker = f"[[cite doc={key} page={page_no}"
    if quote is not None:
        text = " ".join(str(quote).split()).replace("]", "")[:QUOTE_MAX_CHARS]
        marker += ' quote="{}"'.format(text.replace('"', '\\"'))
    return marker + "]]"


def locate(quote: Any) -> list[dict[str, Any]]:
    """Where these words are: ``{doc_id, page, label, title}`` per page, best first."""
    return list(_call("locate", {"quote": str(quote)}))


def _int_text(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"{name} must be an int or a numeric string, not {type(value).__name__}")
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return str(int(text))
    if name == "doc_id" and text in DOC_INDEX:
        return text
    raise ValueError(f"{name} must be a number, got {value!r}")


def _check_citation(key: str, page: int) -> None:
    if key not in DOC_INDEX:
        ids = list(DOC_INDEX)
        shown = ", ".join(ids[:30]) + (f", ... ({len(ids)} in all)" if len(ids) > 30 else "")
        raise ValueError(f"no document with id {key}; valid ids: {shown}")
    title, pages = DOC_INDEX[key]
    if page not in pages:
        raise ValueError(f"page {page} is not in document {key} ({title!r}); "
                         f"its pages are {_describe_pages(pages)}")


def _describe_pages(pages: list[int]) -> str:
    if not pages:
        return "none"
    if pages == list(range(pages[0], pages[-1] + 1)):
        return f"{pages[0]}-{pages[-1]}"
    return ", ".join(map(str, pages[:30])) + (", ..." if len(pages) > 30 else "")


def FINAL(answer: Any) -> None:  # named by the REPL contract
    """End the run with this answer (the cell still runs to its end)."""
    STATE.final, STATE.final_set = str(answer), True
    STATE.printed = getattr(sys.stdout, "total", 0)  # the host holds back an unseen answer


def FINAL_VAR(value_or_name: Any) -> None:
    """End the run with a variable's value: pass the variable, or its name as a string."""
    name = value_or_name.strip() if isinstance(value_or_name, str) else ""
    FINAL(NAMESPACE[name] if name.isidentifier() and name in NAMESPACE else value_or_name)


def SHOW_VARS() -> str:
    """Print and return the REPL's variables with their types and sizes."""
    lines = []
    for name, value in list(NAMESPACE.items()):
        if name.startswith("__") or name in API_NAMES or isinstance(value, type(sys)):
            continue
        try:
            size = f", len {len(value)}"
        except Exception:
            size = ""
        lines.append(f"{name}: {type(value).__name__}{size}")
    text = "\n".join(lines) if lines else "(no variables yet)"
    print(text)
    return Shown(text)


# --- start-up ---------------------------------------------------------------------------

def take_frame_fds() -> tuple[int, int]:
    """Move the frame pipes to private fds so stray writes to fd 1 cannot corrupt frames."""
    in_fd, out_fd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return in_fd, out_fd


def load_context(path: str) -> str:
    """Map the context file read-only and decode it in one pass (no per-line work)."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return ""
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return str(mapped, "utf-8", "replace")


def load_documents(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        documents = json.load(fh)
    if not isinstance(documents, list) or not all(isinstance(d, dict) for d in documents):
        raise ValueError("documents file must hold a JSON list of objects")
    return documents


def index_documents(documents: list[dict[str, Any]]) -> dict[str, tuple[str, list[int]]]:
    """id -> (title, sorted page numbers), for validating citations."""
    index = {}
    for doc in documents:
        pages = sorted(int(p["page"]) for p in doc.get("pages") or () if "page" in p)
        index[str(doc.get("id"))] = (str(doc.get("title", "")), pages)
    return index


def serve(channel: Channel, namespace: dict[str, Any]) -> int:
    """Run cells until the host says shutdown; return the exit code."""
    while True:
        msg = channel.commands.get()
        kind = msg.get("type")
        if kind == "exec":
            send_result(channel, run_cell(namespace, msg))
        elif kind == "shutdown":
            return 0
        else:
            die(f"unexpected frame type {kind!r} from host", 2)


def main(argv: list[str]) -> int:
    global CHANNEL, DOC_INDEX
    parent = os.getppid()
    signal.signal(signal.SIGINT, on_sigint)
    in_fd, out_fd = take_frame_fds()
    # A crash in model code leaves its Python stack on stderr, which the host shows.
    faulthandler.enable(all_threads=False)
    if len(argv) not in (3, 4):
        die("usage: child.py CONTEXT_PATH DOCUMENTS_PATH [POLICY_JSON]", 2)
    policy = read_policy(argv)
    started = time.perf_counter()
    context = load_context(argv[1])
    documents = load_documents(argv[2])
    load_s = time.perf_counter() - started
    try:
        status = lockdown(policy, parent)
    except RuntimeError as exc:  # the host is gone: nobody to serve
        die(str(exc), 1)
    CHANNEL = Channel(in_fd, out_fd)
    DOC_INDEX = index_documents(documents)
    NAMESPACE.update({"__name__": "__main__", "__builtins__": __builtins__,
                      **contract.namespace({"context": context, "documents": documents},
                                           globals())})
    CHANNEL.send({"type": "ready", "pid": os.getpid(), "python": sys.version.split()[0],
                  "context_chars": len(context), "documents": len(documents),
                  "load_s": round(load_s, 6), "lockdown": status})
    CHANNEL.start_reader()
    return serve(CHANNEL, NAMESPACE)


if __name__ == "__main__":
    try:
        code = main(sys.argv)
    except Exception as exc:
        die(f"{type(exc).__name__}: {exc}", 1)
    else:
        die(None, code)
