"""Loaded by a test's child process (this folder first on PYTHONPATH): any network connection
other than to 127.0.0.1 raises and is written to stderr, so a test can show it made none."""

from __future__ import annotations

import socket
import sys

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo
LOCAL = ("127.0.0.1", "::1", "localhost")


def _refuse(what: object) -> OSError:
    sys.stderr.write(f"OFFLINE-GUARD: refused a network connection to {what!r}\n")
    sys.stderr.flush()
    return OSError(f"this test allows no network connection (to {what!r})")


def _local(address: object) -> bool:
    if isinstance(address, tuple) and address and address[0] in LOCAL:
        return True
    return isinstance(address, (str, bytes))   # a Unix socket


def connect(self: socket.socket, address: object) -> None:
    if not _local(address):
        raise _refuse(address)
    _connect(self, address)   # type: ignore[arg-type]


def connect_ex(self: socket.socket, address: object) -> int:
    if not _local(address):
        raise _refuse(address)
    return _connect_ex(self, address)   # type: ignore[arg-type]


def getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
    if name not in (*LOCAL, None):
        raise _refuse(host)
    return _getaddrinfo(host, *args, **kwargs)   # type: ignore[arg-type]


socket.socket.connect = connect            # type: ignore[method-assign]
socket.socket.connect_ex = connect_ex      # type: ignore[method-assign]
socket.getaddrinfo = getaddrinfo           # type: ignore[assignment]
