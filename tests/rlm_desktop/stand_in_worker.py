"""A tiny stand-in for the engine worker that speaks the JSON-lines protocol, for client tests.

Commands: hello, echo, burst {"n", "size"}, sleep {"seconds"} (cancellable), crash, garbage,
split (one reply written in several pieces), shutdown, cancel {"target"}; anything else is a
"usage" error. Run as ``python -m tests.rlm_desktop.stand_in_worker``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

_lock = threading.Lock()
_cancelled: set[int] = set()


def send(message: dict[str, Any]) -> None:
    with _lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def sleep(request_id: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if request_id in _cancelled:
            send({"id": request_id, "ok": True, "result": {"cancelled": True}})
            return
        time.sleep(0.02)
    send({"id": request_id, "ok": True, "result": {"cancelled": False}})


def handle(request_id: int, cmd: str, args: dict[str, Any]) -> bool:
    """Answer one request; False means: exit now."""
    if cmd == "hello":
        send({"id": request_id, "ok": True,
              "result": {"version": "stand-in", "pid": os.getpid(), "data_dir": "",
                         "config_dir": "", "store": "", "keyring": {}}})
    elif cmd == "echo":
        send({"id": request_id, "ok": True, "result": args})
    elif cmd == "burst":
        pad = "x" * int(args.get("size", 0))
        with _lock:
            for i in range(int(args["n"])):
                sys.stdout.write(json.dumps({"id": request_id, "event": {
                    "type": "notice", "i": i, "pad": pad}}) + "\n")
            sys.stdout.write(json.dumps({"id": request_id, "ok": True,
                                         "result": {"sent": int(args["n"])}}) + "\n")
            sys.stdout.flush()
    elif cmd == "sleep":
        threading.Thread(target=sleep, args=(request_id, float(args["seconds"])),
                         daemon=True).start()
    elif cmd == "cancel":
        _cancelled.add(int(args["target"]))
        send({"id": request_id, "ok": True, "result": {"cancelled": True}})
    elif cmd == "crash":
        sys.stderr.write("stand-in: about to crash\nRuntimeError: crashing on purpose\n")
        sys.stderr.flush()
        os._exit(3)
    elif cmd == "garbage":
        with _lock:
            sys.stdout.write("this is not json\n[1, 2]\n")
            sys.stdout.flush()
        send({"id": request_id, "ok": True, "result": {}})
    elif cmd == "split":
        line = json.dumps({"id": request_id, "ok": True, "result": {"text": "é" * 50}})
        data = (line + "\n").encode("utf-8")
        with _lock:
            for i in range(0, len(data), 7):   # cuts through multi-byte characters too
                sys.stdout.buffer.write(data[i:i + 7])
                sys.stdout.buffer.flush()
                time.sleep(0.002)
    elif cmd == "shutdown":
        send({"id": request_id, "ok": True, "result": {}})
        return False
    else:
        send({"id": request_id, "ok": False, "kind": "usage",
              "error": f"unknown command {cmd!r}"})
    return True


def main() -> int:
    send({"ready": {"version": "stand-in", "pid": os.getpid(), "protocol": 1}})
    for raw in sys.stdin:
        try:
            message = json.loads(raw)
            request_id, cmd = int(message["id"]), str(message["cmd"])
        except (ValueError, KeyError, TypeError):
            send({"id": None, "ok": False, "kind": "usage", "error": "bad line"})
            continue
        if not handle(request_id, cmd, message.get("args") or {}):
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
