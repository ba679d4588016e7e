"""The child's lockdown on this machine, through the host: what it reports, how a missing
layer is reported and refused, and what an allowed incomplete sandbox looks like."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.config import SandboxSettings
from engine.sandbox.host import ReplProcess
from engine.sandbox.lockdown import landlock
from engine.sandbox.policy import SandboxRefusedError
from tests.engine.sandbox.support import FakeHandler

LINUX = sys.platform.startswith("linux")
LANDLOCK_ABI = landlock.abi_version()[0] if LINUX else 0
pytestmark = pytest.mark.skipif(not LINUX, reason="the Linux lockdown")


def start(paths: tuple[Path, Path], code: str | None = None, **options: Any) -> Any:
    async def main() -> Any:
        repl = ReplProcess(*paths, call_handler=FakeHandler(), **options)
        try:
            await repl.start()
            output = None if code is None else await repl.run_cell(code)
            return repl.status, output
        finally:
            await repl.close()

    return asyncio.run(main())


@pytest.mark.skipif(LANDLOCK_ABI < 1, reason="this kernel has no Landlock")
def test_full_lockdown_report(context_files: tuple[Path, Path]) -> None:
    status, _ = start(context_files)
    assert status["enforced"] is True and status["missing"] == {}
    assert status["checks"] == {"denied_open": True, "denied_socket": True,
                                "denied_fork": True, "denied_signal": True,
                                "denied_signal_owner": True}
    assert status["landlock_abi"] == LANDLOCK_ABI
    layers = status["layers"]
    assert all(layers[name] for name in ("resource_limits", "core_dumps_off",
                                         "parent_death_signal", "no_new_privs", "not_dumpable",
                                         "no_capabilities", "landlock", "seccomp"))
    assert layers["landlock_network"] is (LANDLOCK_ABI >= 4)
    assert layers["landlock_scoped"] is (LANDLOCK_ABI >= 6)
    limits = status["limits"]
    assert limits["RLIMIT_CORE"] == 0 and limits["RLIMIT_FSIZE"] == 0
    assert limits["RLIMIT_AS"] == status["memory_limit_bytes"] >= 1024 * 1024 * 1024
    assert status["lockdown_s"] < 1.0


@pytest.mark.skipif(LANDLOCK_ABI < 1, reason="this kernel has no Landlock")
def test_read_allow_list_is_the_interpreter_libraries_and_the_run(
        context_files: tuple[Path, Path], isolated_environment: Path) -> None:
    status, _ = start(context_files)
    allowed = status["read_allowed"]
    assert str(context_files[0]) in allowed and str(context_files[1]) in allowed
    assert os.path.dirname(os.__file__) in allowed
    for path in allowed:
        assert not path.startswith(str(isolated_environment)), path  # never the home folder
        assert path not in ("/", "/home", "/root", "/tmp", "/etc", "/proc", "/dev", "/run")


@pytest.mark.parametrize(("layer", "lacking"), [
    ("seccomp", "network, process"), ("landlock", "filesystem"),
    ("all", "filesystem, network, process")])
def test_a_missing_layer_is_refused(context_files: tuple[Path, Path], layer: str,
                                    lacking: str) -> None:
    with pytest.raises(SandboxRefusedError) as caught:
        start(context_files, simulate_missing=(layer,))
    assert f"lacks {lacking} isolation" in str(caught.value)
    status = caught.value.status
    assert status["enforced"] is False
    if layer != "all":
        assert status["missing"][layer] == "disabled by the host (test switch)"
    if layer == "seccomp":  # the owner canary is seccomp's: without it, a pipe takes an owner
        assert status["checks"]["denied_signal_owner"] is False


def test_the_environment_switch_reaches_the_host(context_files: tuple[Path, Path],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RLM_SANDBOX_SIMULATE_MISSING", "landlock")
    with pytest.raises(SandboxRefusedError, match="lacks filesystem isolation"):
        start(context_files)


def test_allowed_unsandboxed_runs_and_is_truthful(context_files: tuple[Path, Path],
                                                  isolated_environment: Path) -> None:
    secret = isolated_environment / "secret.txt"
    secret.write_text("visible without Landlock")
    status, cell = start(context_files, f"print(open({str(secret)!r}).read())",
                         sandbox=SandboxSettings(allow_unsandboxed=True),
                         simulate_missing=("landlock",))
    assert status["enforced"] is False and status["allowed_unsandboxed"] is True
    assert status["isolation"] == {"filesystem": False, "network": True, "process": True}
    assert status["checks"]["denied_open"] is False  # the canary saw the open succeed
    assert cell.output == "visible without Landlock\n"


def test_limits_follow_the_settings(context_files: tuple[Path, Path]) -> None:
    code = ("import resource\nprint([resource.getrlimit(r)[0] for r in (resource.RLIMIT_AS, "
            "resource.RLIMIT_CPU, resource.RLIMIT_NOFILE, resource.RLIMIT_FSIZE)])")
    settings = SandboxSettings(memory_mb=700, cpu_seconds=77, open_files=99)
    status, cell = start(context_files, code, sandbox=settings)
    assert cell.output == f"{[700 * 1024 * 1024, 77, 99, 0]}\n"
    assert status["memory_limit_bytes"] == 700 * 1024 * 1024


def test_restarted_child_is_locked_down_again(context_files: tuple[Path, Path]) -> None:
    async def main() -> tuple[Any, Any]:
        async with ReplProcess(*context_files, call_handler=FakeHandler()) as repl:
            died = await repl.run_cell("import os\nos._exit(1)")
            after = await repl.run_cell("import socket\nsocket.socket()")
            return died, after

    died, after = asyncio.run(main())
    assert died.restarted
    assert after.error is not None and "PermissionError" in after.error


@pytest.mark.skipif(LANDLOCK_ABI < 6, reason="needs a kernel with Landlock ABI 6 to act older")
@pytest.mark.parametrize("abi", [1, 3, 5])
def test_older_landlock_abis_degrade_and_say_so(context_files: tuple[Path, Path],
                                                isolated_environment: Path, abi: int) -> None:
    # A ruleset limited to an older ABI's rights runs on this kernel as it would on an old
    # one; files stay out of reach, and what the older ABI lacks is reported by name.
    secret = isolated_environment / "secret.txt"
    secret.write_text("private")
    code = (f"import os\nfor f in (lambda: open({str(secret)!r}).read(),\n"
            f"          lambda: os.truncate({str(secret)!r}, 0),\n"
            f"          lambda: os.open({str(secret)!r}, os.O_RDONLY | os.O_TRUNC)):\n"
            "    try:\n        f()\n        print('ESCAPED')\n"
            "    except OSError as exc:\n        print('BLOCKED', exc.errno)")
    status, cell = start(context_files, code, simulate_missing=(f"landlock_abi_{abi}",))
    assert status["enforced"] is True
    assert status["landlock_abi"] == abi and status["landlock_abi_kernel"] == LANDLOCK_ABI
    assert status["layers"]["landlock_network"] is (abi >= 4)
    assert status["layers"]["landlock_scoped"] is False
    assert f"Landlock ABI {abi} has no scoping" in status["missing"]["landlock_scoped"]
    if abi < 4:
        assert "no network rules" in status["missing"]["landlock_network"]
    # Before ABI 3 Landlock cannot refuse truncation; seccomp refuses it instead.
    assert cell.output.split("\n")[:3] == ["BLOCKED 13", "BLOCKED 1", "BLOCKED 1"]
    assert secret.read_text() == "private"
