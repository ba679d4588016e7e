"""Whole ``rlm ask`` processes against the official ``rlms`` 0.1.3 on the same scripted runs.

Both run as separate processes, start to exit, alternating, against one fake OpenAI server
(tests/support/fake_openai.py: TCP_NODELAY and a 512-connection accept backlog, as real
servers have). ``rlms`` is installed in its own virtual environment on first use (PyPI).

    python -m tests.benchmarks.bench_vs_rlms                       # both scenarios, 7 runs each
    python -m tests.benchmarks.bench_vs_rlms --runs 11 --only iterations --venv /tmp/rlms

Scenarios: ``iterations`` (20 model turns, zero latency, the 20th answers) and ``fanout``
(64 helper questions at 0.5 s each in one ``llm_query_batched``, then the answer). For
``rlm ask`` it also reports the time to the first model request, to ``run_started`` and
from ``run_finished`` to the process exit (from the run's log, whose events carry times).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.fake_openai import (  # noqa: E402
    ChatRequest,
    FakeOpenAI,
    Reply,
    Script,
    by_model,
    sequence,
)

RLMS_VERSION = "0.1.3"
KEY_VAR = "RLM_BENCH_KEY"

# The reference implementation as a user would call it: a script that reads the document
# and asks one question, the helper model on its own client (as `rlm ask --sub-model`).
RLMS_SCRIPT = """\
import sys
from rlm import RLM

base_url, doc, question = sys.argv[1:4]
rlm = RLM(backend="openai",
          backend_kwargs={"model_name": "fake-root", "base_url": base_url, "api_key": "x"},
          other_backends=["openai"],
          other_backend_kwargs=[{"model_name": "fake-sub", "base_url": base_url,
                                 "api_key": "x"}],
          environment="local", max_iterations=30, max_depth=1)
with open(doc, encoding="utf-8") as handle:
    context = handle.read()
print(rlm.completion(context, root_prompt=question).response)
"""


def block(code: str) -> str:
    return f"Let me run this.\n```repl\n{code}\n```\n"


# Per implementation: (code of a working turn, code that answers). The REPL protocols differ:
# ours ends with FINAL(...), the reference by setting answer["ready"].
FINAL_CODE = {"rlm": "FINAL('done')",
              "rlms": "answer['content'] = 'done'\nanswer['ready'] = True"}


@dataclass
class Scenario:
    name: str
    title: str
    root_turns: Callable[[str], list[str]]  # implementation -> the root model's replies
    sub_latency: float = 0.0


def iterations_turns(impl: str) -> list[str]:
    return [block(f"x{i} = {i}") for i in range(19)] + [block(FINAL_CODE[impl])]


def fanout_turns(impl: str) -> list[str]:
    # Distinct prompts: identical ones would be answered from our sub-call cache.
    return [block("r = llm_query_batched(['question %d' % i for i in range(64)])\n"
                  "print(len(r))"), block(FINAL_CODE[impl])]


SCENARIOS = {
    "iterations": Scenario("iterations", "20 iterations, zero-latency model", iterations_turns),
    "fanout": Scenario("fanout", "64 sub-calls at 0.5 s through llm_query_batched",
                       fanout_turns, sub_latency=0.5),
}


@dataclass
class Timing:
    wall: float
    cpu: float  # user + system seconds of the process and the children it waited for
    first_request: float | None = None  # seconds after the process was started
    run_started: float | None = None
    exit_after_finish: float | None = None


@dataclass
class Results:
    runs: dict[str, list[Timing]] = field(default_factory=lambda: {"rlm": [], "rlms": []})


def ensure_rlms(venv: Path) -> Path:
    """The reference's interpreter, installing rlms==0.1.3 into ``venv`` if it is missing."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", f"import importlib.metadata as m; "
             f"assert m.version('rlms') == '{RLMS_VERSION}'"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"installing rlms=={RLMS_VERSION} into {venv} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"rlms=={RLMS_VERSION}"],
                   check=True)
    return python


def script_for(scenario: Scenario, impl: str, first: list[float]) -> Script:
    root = sequence(*scenario.root_turns(impl))

    def timed_root(request: ChatRequest) -> Reply | str:
        if not first:
            first.append(time.time())
        return root(request)

    return by_model({"fake-root": timed_root,
                     "fake-sub": Reply(content="ok", latency=scenario.sub_latency)})


def environment(home: Path) -> dict[str, str]:
    """A private home: no real settings, library or keyring reach the runs."""
    env = {key: value for key, value in os.environ.items()
           if not key.endswith("_PROXY") and not key.endswith("_proxy")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local" / "share"),
               XDG_CACHE_HOME=str(home / ".cache"), XDG_STATE_HOME=str(home / ".state"),
               NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(ROOT),
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
               **{KEY_VAR: "bench-key"})
    env.pop("OPENAI_API_KEY", None)
    # As installed: both load compiled bytecode (rlms's came with pip install).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONUNBUFFERED", None)
    return env


def run_once(impl: str, scenario: Scenario, server: FakeOpenAI, work: Path,
             rlms_python: Path) -> Timing:
    first: list[float] = []
    server.set_script(script_for(scenario, impl, first))
    doc = work / "docs" / "report.txt"
    log = work / "run.jsonl"
    log.unlink(missing_ok=True)
    if impl == "rlm":
        command = [sys.executable, "-m", "engine.cli", "ask", "What does the report say?",
                   "--docs", str(doc), "--base-url", server.base_url, "--model", "fake-root",
                   "--sub-model", "fake-sub", "--api-key-env", KEY_VAR, "--quiet",
                   "--log", str(log)]
    else:
        command = [str(rlms_python), str(work / "rlms_ask.py"), server.base_url, str(doc),
                   "What does the report say?"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    done = subprocess.run(command, cwd=ROOT, env=environment(work / "home"),
                          capture_output=True, text=True)
    ended = time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or "done" not in done.stdout:
        raise SystemExit(f"{impl} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    timing = Timing(wall=ended - started, cpu=cpu,
                    first_request=first[0] - started if first else None)
    if impl == "rlm":
        events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        times = {event["type"]: event["ts"] for event in events}
        timing.run_started = times["run_started"] - started
        timing.exit_after_finish = ended - times["run_finished"]
    return timing


def median(values: list[float | None]) -> float:
    return statistics.median(v for v in values if v is not None)


def report(scenario: Scenario, results: Results) -> None:
    ours, theirs = results.runs["rlm"], results.runs["rlms"]
    ours_wall, theirs_wall = median([t.wall for t in ours]), median([t.wall for t in theirs])
    print(f"\n{scenario.title} ({len(ours)} runs each, alternating)")
    print(f"  rlm ask  median {ours_wall:.3f} s  (min {min(t.wall for t in ours):.3f}, "
          f"max {max(t.wall for t in ours):.3f})")
    print(f"  rlms     median {theirs_wall:.3f} s  (min {min(t.wall for t in theirs):.3f}, "
          f"max {max(t.wall for t in theirs):.3f})")
    print(f"  ratio    {ours_wall / theirs_wall:.2f}x")
    ours_cpu, theirs_cpu = median([t.cpu for t in ours]), median([t.cpu for t in theirs])
    print(f"  CPU time (user + system, less sensitive to a loaded machine): rlm ask "
          f"{ours_cpu:.3f} s, rlms {theirs_cpu:.3f} s, ratio {ours_cpu / theirs_cpu:.2f}x")
    print(f"  rlm ask: first model request after {median([t.first_request for t in ours]):.3f} s"
          f", run_started after {median([t.run_started for t in ours]):.3f} s, exit "
          f"{median([t.exit_after_finish for t in ours]) * 1000:.0f} ms after run_finished")
    print(f"  rlms: first model request after {median([t.first_request for t in theirs]):.3f} s")


def load_average() -> str:
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each, alternating")
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--venv", type=Path,
                        default=Path(tempfile.gettempdir()) / f"rlms-{RLMS_VERSION}-venv",
                        help="virtual environment for rlms (created if missing)")
    args = parser.parse_args()
    rlms_python = ensure_rlms(args.venv)
    print(f"load average before: {load_average()} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="bench-vs-rlms-") as tmp, \
            FakeOpenAI(latency=0.0) as server:
        work = Path(tmp)
        (work / "docs").mkdir()
        (work / "docs" / "report.txt").write_text(
            "".join(f"Paragraph {i}: the quarterly report discusses revenue and risks.\n"
                    for i in range(2000)), encoding="utf-8")
        (work / "rlms_ask.py").write_text(RLMS_SCRIPT, encoding="utf-8")
        for name in args.only or list(SCENARIOS):
            scenario = SCENARIOS[name]
            results = Results()
            # One untimed run each: the document enters our library, caches warm.
            for impl in ("rlm", "rlms"):
                run_once(impl, scenario, server, work, rlms_python)
            for index in range(args.runs):
                order = ("rlm", "rlms") if index % 2 == 0 else ("rlms", "rlm")
                for impl in order:
                    results.runs[impl].append(run_once(impl, scenario, server, work,
                                                       rlms_python))
            report(scenario, results)
    print(f"\nload average after: {load_average()}")


if __name__ == "__main__":
    main()
