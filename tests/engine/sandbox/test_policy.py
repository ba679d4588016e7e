"""Policy decisions that hold on every OS: memory sizing, refusing or allowing an incomplete
sandbox, the test switch, the child's policy, the macOS profile and the Windows job."""

from __future__ import annotations

import ast
import ctypes
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.config import SandboxSettings
from engine.errors import SandboxError
from engine.sandbox import lockdown, policy
from engine.sandbox.lockdown import landlock, macos, windows

MB = 1024 * 1024
FULL = {"filesystem": True, "network": True, "process": True}


def status(**isolation: bool) -> dict[str, Any]:
    return {"platform": "linux", "enforced": all({**FULL, **isolation}.values()),
            "layers": {"landlock": True, "seccomp": isolation.get("network", True)},
            "isolation": {**FULL, **isolation},
            "missing": {} if all(isolation.values()) else {"seccomp": "kernel too old"},
            "note": "x"}


# --- memory ---------------------------------------------------------------------------------

def test_memory_is_headroom_plus_a_multiple_of_the_context() -> None:
    settings = SandboxSettings(memory_headroom_mb=1024, memory_per_context_byte=10)
    ram = 64 * 1024 * MB
    assert policy.memory_limit_bytes(0, settings, ram) == 1024 * MB
    assert policy.memory_limit_bytes(100 * MB, settings, ram) == 2024 * MB


def test_memory_is_capped_by_the_ram_but_never_below_the_headroom() -> None:
    settings = SandboxSettings(memory_headroom_mb=1024, memory_per_context_byte=10)
    assert policy.memory_limit_bytes(10_000 * MB, settings, 8192 * MB) == int(8192 * MB * 0.8)
    assert policy.memory_limit_bytes(10_000 * MB, settings, 512 * MB) == 1024 * MB


def test_a_fixed_memory_setting_wins() -> None:
    assert policy.memory_limit_bytes(10**9, SandboxSettings(memory_mb=300), 10**12) == 300 * MB


# --- refusing or allowing -----------------------------------------------------------------

def test_complete_isolation_is_accepted() -> None:
    accepted = policy.check_status(status(), SandboxSettings())
    assert accepted["enforced"] is True and "allowed_unsandboxed" not in accepted


@pytest.mark.parametrize("lacking", ["filesystem", "network", "process"])
def test_any_missing_isolation_is_refused_with_the_way_out(lacking: str) -> None:
    with pytest.raises(policy.SandboxRefusedError) as caught:
        policy.check_status(status(**{lacking: False}), SandboxSettings())
    message = str(caught.value)
    assert f"lacks {lacking} isolation" in message and "seccomp: kernel too old" in message
    assert "--allow-unsandboxed" in message and '"allow_unsandboxed": true' in message
    assert "config.json" in message
    assert isinstance(caught.value, SandboxError)
    assert caught.value.status["enforced"] is False


def test_allowed_unsandboxed_runs_but_says_so() -> None:
    accepted = policy.check_status(status(network=False, process=False),
                                   SandboxSettings(allow_unsandboxed=True))
    assert accepted["enforced"] is False and accepted["allowed_unsandboxed"] is True
    assert accepted["note"].startswith("ALLOWED UNSANDBOXED")


@pytest.mark.parametrize("report", [None, "yes", {"enforced": True},
                                    {"enforced": True, "isolation": "all"},
                                    {"isolation": {"filesystem": True, "network": True,
                                                   "process": "yes"}}])
def test_a_malformed_report_counts_as_no_isolation(report: Any) -> None:
    # The child claims nothing it has not proven: "enforced" alone is not believed.
    with pytest.raises(policy.SandboxRefusedError):
        policy.check_status(report, SandboxSettings())


def test_simulate_switch_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(policy.SIMULATE_ENV, "seccomp, landlock")
    assert policy.simulated_missing(None) == ("seccomp", "landlock")
    assert policy.simulated_missing(["limits"]) == ("limits",)
    monkeypatch.setenv(policy.SIMULATE_ENV, "firewall")
    with pytest.raises(SandboxError, match="firewall"):
        policy.simulated_missing(None)


def test_child_policy(tmp_path: Path) -> None:
    context = tmp_path / "context.txt"
    context.write_bytes(b"x" * 1000)
    made = policy.child_policy(SandboxSettings(memory_mb=512, cpu_seconds=60, open_files=64),
                               context_path=context, documents_path=tmp_path / "d.json",
                               workdir=tmp_path / "cwd", probe=tmp_path / "probe",
                               child_dir=tmp_path, simulate=("seccomp",))
    assert made["read"] == [str(context), str(tmp_path / "d.json"), str(tmp_path / "cwd"),
                            str(tmp_path)]
    assert str(tmp_path / "probe") not in made["read"] and made["probe"].endswith("probe")
    assert (made["memory_bytes"], made["cpu_seconds"], made["open_files"]) == (512 * MB, 60, 64)
    assert made["file_size_bytes"] == 0 and made["simulate_missing"] == ["seccomp"]


# --- the child-side summary ---------------------------------------------------------------

def test_summary_claims_only_what_the_canaries_confirm() -> None:
    report = {"layers": {"landlock": True, "seccomp": True}, "missing": {}}
    checks: dict[str, bool | None] = {"denied_open": True, "denied_socket": True,
                                      "denied_fork": False, "denied_signal": True}
    summary = lockdown.summarize("linux", report, dict.fromkeys(lockdown.ISOLATION, True),
                                 checks, 0.01)
    assert summary["isolation"] == {"filesystem": True, "network": True, "process": False}
    assert summary["enforced"] is False and "process_check" in summary["missing"]
    assert "no process isolation" in summary["note"]


@pytest.mark.parametrize("owner", [False, None])
def test_summary_on_linux_needs_the_signal_owner_canary(owner: bool | None) -> None:
    # kill() denied is not enough: a pipe's SIGIO owner reaches other processes too.
    checks: dict[str, bool | None] = {"denied_open": True, "denied_socket": True,
                                      "denied_fork": True, "denied_signal": True,
                                      "denied_signal_owner": owner}
    summary = lockdown.summarize("linux", {"layers": {}, "missing": {}},
                                 dict.fromkeys(lockdown.ISOLATION, True), checks, 0.01)
    assert summary["isolation"]["process"] is False and summary["enforced"] is False
    del checks["denied_signal_owner"]
    summary = lockdown.summarize("linux", {"layers": {}, "missing": {}},
                                 dict.fromkeys(lockdown.ISOLATION, True), checks, 0.01)
    assert summary["isolation"]["process"] is False
    # elsewhere the canary does not run, and is not asked for
    summary = lockdown.summarize("macos", {"layers": {}, "missing": {}},
                                 dict.fromkeys(lockdown.ISOLATION, True), checks, 0.01)
    assert summary["isolation"]["process"] is True


def test_summary_of_a_complete_lockdown() -> None:
    checks: dict[str, bool | None] = {"denied_open": True, "denied_socket": True,
                                      "denied_fork": True, "denied_signal": True,
                                      "denied_signal_owner": True}
    summary = lockdown.summarize("linux", {"layers": {}, "missing": {}, "landlock_abi": 7},
                                 dict.fromkeys(lockdown.ISOLATION, True), checks, 0.01)
    assert summary["enforced"] is True and summary["landlock_abi"] == 7
    assert set(summary) >= {"platform", "enforced", "layers", "note", "isolation", "checks"}


def test_landlock_rights_per_abi() -> None:
    assert landlock.fs_rights(0) == 0
    assert landlock.fs_rights(1) == (1 << 13) - 1
    assert landlock.fs_rights(2) == (1 << 14) - 1
    assert landlock.fs_rights(3) == landlock.fs_rights(4) == (1 << 15) - 1
    assert landlock.fs_rights(5) == landlock.fs_rights(7) == (1 << 16) - 1
    assert [landlock.net_rights(a) for a in (3, 4)] == [0, 3]
    assert [landlock.scopes(a) for a in (5, 6)] == [0, 3]
    assert ctypes.sizeof(landlock._PathBeneathAttr) == 12  # packed, as the kernel wants
    assert ctypes.sizeof(landlock._RulesetAttr) == 24


CHILD_SIDE = sorted((Path(lockdown.__file__).parent).glob("*.py"))


@pytest.mark.parametrize("path", [Path(lockdown.__file__).parents[1] / name
                                  for name in ("child.py", "contract.py")] + CHILD_SIDE,
                         ids=lambda p: p.name)
def test_child_side_code_imports_only_the_standard_library(path: Path) -> None:
    """The child, its REPL contract and its lockdown package run under -I -S: stdlib and
    relative imports only (child.py loads the other two with importlib, so they are listed
    here too)."""
    foreign = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0
                 else [])
        foreign += [n for n in names if n.split(".")[0] not in sys.stdlib_module_names]
    assert foreign == []
    if path.name == "child.py":
        text = path.read_text(encoding="utf-8")
        assert "importlib.import_module(name)" in text
        assert 'sibling("lockdown")' in text and 'sibling("contract")' in text


# --- macOS and Windows on paper -------------------------------------------------------------

def test_macos_profile_denies_by_default_and_allows_reads_beneath_the_list() -> None:
    text = macos.profile(["/opt/py/lib", "/data/ctx.txt"], ["/opt/py/bin/python3"])
    lines = text.splitlines()
    assert lines[:2] == ["(version 1)", "(deny default)"]
    assert '(allow process-exec (literal "/opt/py/bin/python3"))' in lines
    assert '    (subpath "/opt/py/lib")' in lines and '    (subpath "/data/ctx.txt")' in lines
    allowed = [line for line in lines if line.startswith("(allow")]
    assert not any(word in line for line in allowed
                   for word in ("network", "process-fork", "file-write", "mach-lookup", "ipc"))
    assert "(allow signal (target self))" in lines


def test_macos_profile_quotes_paths_and_refuses_control_characters() -> None:
    assert macos.quote('/a "b"\\c') == '"/a \\"b\\"\\\\c"'
    with pytest.raises(ValueError):
        macos.profile(["/evil\n(allow default)"], [])


def test_macos_wrap_runs_the_interpreter_under_the_profile() -> None:
    wrapped = macos.wrap(["/usr/bin/python3", "child.py", "ctx"], ["/tmp"])
    assert wrapped[:2] == [macos.SANDBOX_EXEC, "-p"] and wrapped[3:] == [
        "/usr/bin/python3", "child.py", "ctx"]
    assert "(deny default)" in wrapped[2]


def test_macos_child_without_the_launcher_reports_it_missing() -> None:
    report = macos.apply_child({"launcher": None}, {"all"})
    assert report["layers"]["sandbox_exec"] is False
    assert "sandbox-exec" in report["missing"]["sandbox_exec"]


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="64-bit layout")
def test_windows_job_limits_layout_and_values() -> None:
    assert ctypes.sizeof(windows.ExtendedLimitInformation) == 144  # as in winnt.h (x64)
    info = windows.job_limits({"memory_bytes": 2 * 1024 * MB, "cpu_seconds": 60})
    basic = info.BasicLimitInformation
    assert basic.ActiveProcessLimit == 1 and info.ProcessMemoryLimit == 2 * 1024 * MB
    for flag in (windows.JOB_OBJECT_LIMIT_ACTIVE_PROCESS, windows.JOB_OBJECT_LIMIT_PROCESS_MEMORY,
                 windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
                 windows.JOB_OBJECT_LIMIT_PROCESS_TIME):
        assert basic.LimitFlags & flag
    assert basic.PerProcessUserTimeLimit == 600_000_000


def test_windows_never_claims_file_or_network_isolation() -> None:
    report = windows.apply_child({}, set())
    assert report["layers"]["filesystem_rules"] is False
    assert report["layers"]["network_rules"] is False
    summary = lockdown.summarize("windows", report, {"filesystem": False, "network": False,
                                                     "process": True},
                                 {"denied_spawn": True}, 0.0)
    assert summary["enforced"] is False
    with pytest.raises(policy.SandboxRefusedError, match="lacks filesystem, network isolation"):
        policy.check_status(summary, SandboxSettings())


def test_child_command_prepares_a_private_folder(tmp_path: Path) -> None:
    import json

    context = tmp_path / "context.txt"
    context.write_text("text")
    workdir = tmp_path / "repl"
    workdir.mkdir()
    command, cwd, made = policy.child_command(
        "/usr/bin/python3", tmp_path / "child.py", context, tmp_path / "documents.json", workdir,
        SandboxSettings(), ("landlock",))
    assert cwd == workdir / "cwd" and list(cwd.iterdir()) == []
    assert (workdir / "probe").read_text().startswith("the REPL must not")
    assert json.loads(command[-1]) == made and made["probe"] == str(workdir / "probe")
    assert str(cwd) in made["read"] and made["simulate_missing"] == ["landlock"]
    if not macos.available():
        assert command[:8] == ["/usr/bin/python3", "-I", "-S", "-X", "utf8",
                               str(tmp_path / "child.py"), str(context),
                               str(tmp_path / "documents.json")]


def test_simulate_switch_accepts_older_landlock_abis_only() -> None:
    assert policy.simulated_missing(["landlock_abi_3"]) == ("landlock_abi_3",)
    for bad in ("landlock_abi_0", "landlock_abi_x", "landlock_abi_10"):
        with pytest.raises(SandboxError):
            policy.simulated_missing([bad])
