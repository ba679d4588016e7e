"""Host-side sandbox policy: what the REPL child is told to enforce, and whether what it
reports is enough to run model-written code.

The child's ``ready`` frame carries a ``lockdown`` status (built in
``engine/sandbox/lockdown/__init__.py``): ``platform``, ``enforced``, ``layers`` (name ->
active), ``isolation`` (filesystem / network / process -> verified), ``checks`` (the
canaries), ``missing`` (layer -> why not), ``note``, ``landlock_abi``,
``memory_limit_bytes``. By default model code runs only when all three kinds of isolation
are verified; otherwise the run is refused with a message saying what is missing and how
to allow it knowingly. It never falls back silently.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine import bundle
from engine.config import SandboxSettings, settings_path
from engine.errors import SandboxError

REQUIRED = ("filesystem", "network", "process")
MB = 1024 * 1024
MAX_RAM_SHARE = 0.8
# Test switch, read by the host only: layers the child must pretend it lacks. It can only
# take isolation away, and then the policy refuses unless unsandboxed runs are allowed.
SIMULATE_ENV = "RLM_SANDBOX_SIMULATE_MISSING"
SIMULATABLE = frozenset({"landlock", "seccomp", "limits", "sandbox_exec", "job_object", "all"})
WHAT_ISOLATION_STOPS = {
    "filesystem": "read your files", "network": "use the network",
    "process": "start programs or signal other processes",
}


class SandboxRefusedError(SandboxError):
    """The child's isolation is incomplete and unsandboxed runs are not allowed."""

    def __init__(self, message: str, status: dict[str, Any]) -> None:
        super().__init__(message)
        self.status = status


def physical_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def memory_limit_bytes(context_bytes: int, settings: SandboxSettings,
                       ram: int | None = None) -> int:
    """The child's address-space cap: fixed, or headroom plus a multiple of the context
    (a str may take up to 4 bytes per character, and code makes copies), at most 80% of
    the RAM but never below the headroom."""
    if settings.memory_mb is not None:
        return settings.memory_mb * MB
    headroom = settings.memory_headroom_mb * MB
    wanted = headroom + settings.memory_per_context_byte * max(context_bytes, 0)
    ram = physical_memory() if ram is None else ram
    if ram:
        wanted = min(wanted, max(int(ram * MAX_RAM_SHARE), headroom))
    return wanted


def simulated_missing(explicit: Sequence[str] | None) -> tuple[str, ...]:
    """Layers to pretend missing: the explicit list, else the test environment variable."""
    names = explicit if explicit is not None else [
        n.strip() for n in os.environ.get(SIMULATE_ENV, "").split(",") if n.strip()]
    # landlock_abi_N: use at most Landlock ABI N, as on an older kernel
    unknown = sorted(n for n in set(names) - SIMULATABLE
                     if not re.fullmatch(r"landlock_abi_[1-9]", n))
    if unknown:
        raise SandboxError(f"unknown sandbox layer(s) to simulate missing: {', '.join(unknown)}")
    return tuple(names)


def child_policy(settings: SandboxSettings, *, context_path: Path, documents_path: Path,
                 workdir: Path, probe: Path, child_dir: Path,
                 simulate: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON policy the child applies (its third argument)."""
    try:
        context_bytes = context_path.stat().st_size
    except OSError:
        context_bytes = 0
    return {
        "read": [str(context_path), str(documents_path), str(workdir), str(child_dir)],
        "probe": str(probe),
        "memory_bytes": memory_limit_bytes(context_bytes, settings),
        "cpu_seconds": settings.cpu_seconds,
        "open_files": settings.open_files,
        "file_size_bytes": 0,  # no scratch folder: the child writes nowhere
        "simulate_missing": list(simulate),
    }


def child_command(python: str, child_path: Path, context_path: Path, documents_path: Path,
                  workdir: Path, settings: SandboxSettings, simulate: Sequence[str] = ()
                  ) -> tuple[list[str], Path, dict[str, Any]]:
    """(command line, working folder, policy) for a child in the private folder ``workdir``:
    it gets an empty working folder ``cwd`` and, beside it, a probe file it must not be able
    to read (the filesystem canary). On macOS the command runs under ``sandbox-exec``."""
    from engine.sandbox.lockdown import macos

    cwd = workdir / "cwd"
    cwd.mkdir()
    probe = workdir / "probe"
    probe.write_text("the REPL must not be able to read this file\n", encoding="utf-8")
    policy = child_policy(settings, context_path=context_path, documents_path=documents_path,
                          workdir=cwd, probe=probe, child_dir=child_path.parent,
                          simulate=simulate)
    command = [*bundle.python_command(python), str(child_path), str(context_path),
               str(documents_path)]
    if bundle.frozen():
        # The bundle's archive of modules is inside its executable, read on each import.
        policy["read"].append(os.path.realpath(sys.executable))
    if macos.available() and not {"all", "sandbox_exec"} & set(simulate):
        policy["launcher"] = "sandbox-exec"
        command = macos.wrap(command, [*policy["read"], *interpreter_read_paths(python),
                                       *macos.SYSTEM_READ_PATHS])
    command.append(json.dumps(policy, separators=(",", ":")))
    return command, cwd, policy


def interpreter_read_paths(python: str) -> list[str]:
    """Where an interpreter's standard library lives, for profiles built by the host."""
    if os.path.realpath(python) == os.path.realpath(sys.executable):
        prefixes = [sys.base_prefix, sys.prefix, sys.exec_prefix]
        if bundle.frozen():
            executable = Path(os.path.realpath(sys.executable))
            prefixes.append(str(executable.parent))
            if sys.platform == "darwin":  # an .app keeps its data in Contents/Resources
                prefixes.append(str(executable.parent.parent / "Resources"))
    else:
        prefixes = [str(Path(os.path.realpath(python)).parent.parent)]
    return list(dict.fromkeys(prefixes))


def check_status(status: Any, settings: SandboxSettings) -> dict[str, Any]:
    """Accept the child's report, or raise SandboxRefusedError saying what is missing.

    Returns the status to show (marked ``allowed_unsandboxed`` when the user allowed an
    incomplete sandbox). A malformed report counts as no isolation at all.
    """
    if not isinstance(status, dict):
        status = {"enforced": False, "layers": {}, "note": "the REPL sent no lockdown report"}
    status = dict(status)
    isolation = status.get("isolation")
    isolation = isolation if isinstance(isolation, dict) else {}
    lacking = [kind for kind in REQUIRED if isolation.get(kind) is not True]
    status["enforced"] = not lacking
    if not lacking:
        return status
    if settings.allow_unsandboxed:
        status["allowed_unsandboxed"] = True
        status["note"] = ("ALLOWED UNSANDBOXED by setting: " + str(status.get("note") or
                                                                   "isolation incomplete"))
        return status
    raise SandboxRefusedError(refusal_message(status, lacking), status)


def refusal_message(status: dict[str, Any], lacking: list[str]) -> str:
    platform = status.get("platform") or sys.platform
    missing = status.get("missing")
    reasons = "; ".join(f"{k}: {v}" for k, v in missing.items()) \
        if isinstance(missing, dict) and missing else str(status.get("note") or "")
    could = ", ".join(WHAT_ISOLATION_STOPS[k] for k in lacking)
    return (f"refusing to run model-written code: the REPL sandbox on this machine "
            f"({platform}) lacks {', '.join(lacking)} isolation"
            f"{f' ({reasons})' if reasons else ''}. Code written by the model, or planted "
            f"in a document, could then {could}. To run anyway, knowingly: pass "
            f"--allow-unsandboxed to rlm ask, or set \"sandbox\": "
            f"{{\"allow_unsandboxed\": true}} in {settings_path()}")
