"""Canaries for the hostile-code suite, and a runner that plays one attack through ``rlm ask``.

Every attack is model-written code: iteration 1 of a scripted fake model runs it, iteration 2
answers with FINAL. Canaries that would show a successful attack: secret files under the
fake home folder, a canary API key in the worker's environment and keyring, TCP, UDP and
Unix-socket listeners recording any connection, and a marker file a spawned program would
create. Each test checks the attack failed *and* the run still answered.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import keyring
import pytest

from engine.sandbox.context_file import write_context
from engine.sandbox.host import ReplProcess
from engine.sandbox.lockdown import landlock
from engine.sandbox.policy import SIMULATE_ENV
from tests.engine.sandbox.support import FakeHandler, build_context
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply, by_model, sequence
from tests.support.harness import Outcome, ask, repl

KEY_ENV = "RLM_HOSTILE_API_KEY"
FINAL_ANSWER = "the run went on"


class Listener:
    """A loopback listener that records every connection or datagram it receives."""

    def __init__(self, family: int, kind: int, address: Any) -> None:
        self.sock = socket.socket(family, kind)
        self.sock.bind(address)
        if kind == socket.SOCK_STREAM:
            self.sock.listen(16)
        self.sock.settimeout(0.05)
        self.address = self.sock.getsockname()
        self.hits: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        stream = self.sock.type == socket.SOCK_STREAM
        while not self._stop.is_set():
            try:
                if stream:
                    conn, peer = self.sock.accept()
                    self.hits.append(f"connection from {peer!r}")
                    conn.close()
                else:
                    data, peer = self.sock.recvfrom(65536)
                    self.hits.append(f"datagram {data[:40]!r} from {peer!r}")
            except (TimeoutError, OSError):
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@dataclass
class Canaries:
    home: Path
    marker: Path
    api_key: str
    keyring_key: str
    secrets: dict[Path, str]
    tcp: Listener
    udp: Listener
    unix: Listener
    abstract: Listener
    listeners: list[Listener] = field(default_factory=list)

    @property
    def secret_file(self) -> Path:
        return next(iter(self.secrets))

    def forbidden_texts(self) -> list[str]:
        return [self.api_key, self.keyring_key, *self.secrets.values()]

    def assert_untouched(self) -> None:
        for listener in self.listeners:
            assert listener.hits == [], f"a listener at {listener.address!r} was reached"
        assert not self.marker.exists(), "a spawned program created the marker file"
        for path, text in self.secrets.items():
            assert path.read_text() == text, f"{path} was changed"


@pytest.fixture
def canaries(isolated_environment: Path, monkeypatch: pytest.MonkeyPatch,
             tmp_path: Path) -> Iterator[Canaries]:
    home = isolated_environment
    tag = secrets.token_hex(8)
    planted = {
        home / ".ssh" / "id_ed25519": f"SECRET-SSH-KEY-{tag}",
        home / "Documents" / "client-privileged.txt": f"SECRET-CLIENT-FILE-{tag}",
        home / ".local" / "share" / "keyrings" / "login.keyring": f"SECRET-KEYRING-{tag}",
    }
    for path, text in planted.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    api_key = f"sk-canary-{tag}-worker-env"
    monkeypatch.setenv(KEY_ENV, api_key)
    keyring_key = f"sk-canary-{tag}-keyring"
    keyring.set_password("rlm-desktop", "openai", keyring_key)
    unix_dir = Path(tempfile.mkdtemp(prefix="rlm-u-", dir="/tmp"))  # short: sun_path limit
    listeners = [
        Listener(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 0)),
        Listener(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", 0)),
        Listener(socket.AF_UNIX, socket.SOCK_STREAM, str(unix_dir / "agent.sock")),
        Listener(socket.AF_UNIX, socket.SOCK_STREAM, f"\0rlm-canary-{tag}"),
    ]
    found = Canaries(home=home, marker=tmp_path / "spawned-marker", api_key=api_key,
                     keyring_key=keyring_key, secrets=planted, tcp=listeners[0],
                     udp=listeners[1], unix=listeners[2], abstract=listeners[3],
                     listeners=listeners)
    try:
        yield found
    finally:
        for listener in listeners:
            listener.close()
        shutil.rmtree(unix_dir, ignore_errors=True)


TARGET = """
import signal, sys, time
def hit(signum, frame):
    with open(sys.argv[1], 'a') as fh:
        fh.write(f'{signum}\\n')
for number in (signal.SIGIO, signal.SIGUSR1, signal.SIGUSR2, signal.SIGURG, signal.SIGTERM):
    signal.signal(number, hit)
print('ready', flush=True)
time.sleep(300)
"""


@dataclass
class SignalTarget:
    """Another process of the same user, recording every signal it receives."""

    pid: int
    record: Path

    def received(self, settle: float = 0.3) -> list[str]:
        time.sleep(settle)  # a signal sent at the attack's end reaches the handler soon after
        return self.record.read_text().split() if self.record.exists() else []


@pytest.fixture
def signal_target(tmp_path: Path) -> Iterator[SignalTarget]:
    record = tmp_path / "signals-received"
    process = subprocess.Popen([sys.executable, "-I", "-S", "-c", TARGET, str(record)],
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        yield SignalTarget(process.pid, record)
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@dataclass
class Attack:
    """One attack's run: the CLI outcome and what the model was shown for the attack cell."""

    outcome: Outcome
    shown: str            # the output and error of every cell, as the model saw them
    requests: list[ChatRequest]

    def cell(self, index: int = 0) -> Any:
        return self.outcome.of_type("cell_finished")[index]


def _everything_the_model_saw(requests: list[ChatRequest]) -> str:
    return "\n".join(json.dumps(r.messages, ensure_ascii=False) for r in requests)


@pytest.fixture
def attack(canaries: Canaries, tmp_path: Path, capsys: Any, require_sandbox: dict[str, Any],
           landlock_pass: str) -> Any:
    """``attack(code, *flags)`` plays ``code`` as iteration 1 and FINAL as iteration 2, then
    checks the run answered, the sandbox was on, and no canary moved."""

    def play(code: str | Callable[[str], str], *flags: str, sub: Reply | str = "sub-model answer",
             answered: bool = True) -> Attack:
        """``code`` may be a function of the model server's base URL."""
        with FakeOpenAI() as server:
            text = code(server.base_url) if callable(code) else code
            root = sequence(repl(text), repl(f"FINAL({FINAL_ANSWER!r})"))
            server.set_script(by_model({"fake-root": root, "fake-sub": sub}))
            outcome = ask(server, tmp_path, capsys, "Summarise the documents.",
                          "--api-key-env", KEY_ENV, "--cell-timeout", "2", *flags)
            requests = list(server.requests)
        shown = "\n".join(f"{e.output}\n{e.error or ''}" for e in outcome.of_type("cell_finished"))
        result = Attack(outcome, shown, requests)
        if answered:
            assert outcome.code == 0, (outcome.stderr, shown)
            assert outcome.result["stop_reason"] == "answered"
            assert outcome.result["answer"] == FINAL_ANSWER
        assert outcome.result["sandbox"]["enforced"] is True
        if landlock_pass != "kernel":  # the run itself was held to the older ABI
            assert outcome.result["sandbox"]["landlock_abi"] == int(landlock_pass[-1])
        assert requests and requests[0].headers.get("authorization") == f"Bearer {canaries.api_key}"
        everything = "\n".join([outcome.log.read_text(), outcome.stderr,
                                json.dumps(outcome.result), _everything_the_model_saw(requests)])
        for text in canaries.forbidden_texts():
            assert text not in everything, "a canary secret reached the model or the logs"
        canaries.assert_untouched()
        return result

    return play


# Every attack is played on this kernel's Landlock, then again with Landlock held to ABI 5
# (Linux 6.7-6.11, as on Ubuntu 24.04: no signal or abstract-socket scoping) and to ABI 1
# (Linux 5.13-5.18: files only, no truncate or network rules), so each layer under it is
# shown to hold without the newer kernel features.
LANDLOCK_PASSES = ("kernel", "landlock_abi_5", "landlock_abi_1")

F = TypeVar("F", bound=Callable[..., Any])


def kernel_pass_only(test: F) -> F:
    """Play this attack on this kernel's Landlock only: it is stopped by the host's timers
    or frame caps, which no Landlock ABI touches, and waits seconds for them, so replaying
    it would only add time (the fast attacks of its class still get every pass)."""
    test.kernel_pass_only = True  # type: ignore[attr-defined]
    return test


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "attack" in metafunc.fixturenames:
        only_kernel = getattr(metafunc.function, "kernel_pass_only", False)
        metafunc.parametrize("landlock_pass", LANDLOCK_PASSES[:1] if only_kernel
                             else LANDLOCK_PASSES, indirect=True)


@pytest.fixture
def landlock_pass(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The Landlock ABI this test's REPL children use (through the host's test switch)."""
    name: str = getattr(request, "param", "kernel")
    if name != "kernel":
        cap = int(name[-1])
        kernel_abi = landlock.abi_version()[0] if sys.platform.startswith("linux") else 0
        if kernel_abi <= cap:
            pytest.skip(f"this kernel's Landlock ABI is {kernel_abi}: the kernel pass covers it")
        monkeypatch.setenv(SIMULATE_ENV, name)
    return name


@pytest.fixture(scope="session")
def _sandbox_statuses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return {}


@pytest.fixture
def sandbox_status(landlock_pass: str, _sandbox_statuses: dict[str, dict[str, Any]],
                   tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The lockdown this machine gives a REPL child in this Landlock pass (started once per
    pass, outside any run)."""
    if landlock_pass in _sandbox_statuses:
        return _sandbox_statuses[landlock_pass]
    paths = write_context(tmp_path_factory.mktemp("preflight"), *build_context())

    async def probe() -> dict[str, Any]:
        from engine.config import SandboxSettings

        repl_process = ReplProcess(*paths, call_handler=FakeHandler(),
                                   sandbox=SandboxSettings(allow_unsandboxed=True))
        try:
            await repl_process.start()
            return dict(repl_process.status or {})
        finally:
            await repl_process.close()

    status = _sandbox_statuses[landlock_pass] = asyncio.run(probe())
    if landlock_pass != "kernel":  # the switch took: the child really used the older ABI
        assert status["landlock_abi"] == int(landlock_pass[-1]), status
    return status


@pytest.fixture
def require_sandbox(sandbox_status: dict[str, Any]) -> dict[str, Any]:
    """Skip, with the reason, where this machine cannot isolate the REPL completely."""
    if not sandbox_status.get("enforced"):
        pytest.skip(f"the sandbox is incomplete on this machine: {sandbox_status.get('note')}")
    return sandbox_status


def needs_layer(status: dict[str, Any], *layers: str) -> None:
    """Skip a test whose attack is only safe, or only meaningful, with these layers on."""
    missing = [name for name in layers if not status.get("layers", {}).get(name)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}, which this kernel does not provide "
                    f"({status.get('missing')})")
