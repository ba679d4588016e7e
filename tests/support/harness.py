"""Run ``rlm ask`` against the fake server, in-process or as a real subprocess, and read results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.cli.main import main
from engine.events import Event
from engine.store.trajectory import read_events
from tests.support.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
NEEDLE_DOCS = {
    "alpha.txt": "Minutes of the board meeting.\fThe board discussed budgets at length.\n",
    "beta.txt": "Lease agreement between A and B.\fClause 9: the secret code is 7319.\n",
    "gamma.txt": "A novel chapter about the sea.\n" * 50,
}
PRICES = {"fake-root": {"input": 1.0, "output": 2.0}, "fake-sub": {"input": 0.5, "output": 1.0}}


@dataclass
class Outcome:
    code: int
    result: dict[str, Any]
    stderr: str
    log: Path

    def events(self) -> list[Event]:
        return list(read_events(self.log))

    def of_type(self, name: str) -> list[Event]:
        return [e for e in self.events() if e.type == name]


def write_docs(folder: Path, docs: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (docs or NEEDLE_DOCS).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_prices(folder: Path, prices: dict[str, Any] | None = None) -> Path:
    path = folder / "prices.json"
    path.write_text(json.dumps(prices or PRICES), encoding="utf-8")
    return path


def ask_args(server: FakeOpenAI, tmp: Path, question: str, *extra: str,
             docs: Path | None = None, prices: bool = True) -> list[str]:
    docs = docs or write_docs(tmp / "docs")
    args = ["ask", question, "--docs", str(docs), "--base-url", server.base_url,
            "--model", "fake-root", "--sub-model", "fake-sub", "--json",
            "--log", str(tmp / "run.jsonl")]
    if prices:
        args += ["--prices", str(write_prices(tmp))]
    return args + list(extra)


def ask(server: FakeOpenAI, tmp: Path, capsys: Any, question: str = "What is the code?",
        *extra: str, **kwargs: Any) -> Outcome:
    """In-process ``rlm ask --json``; fast, and still through the real HTTP client."""
    code = main(ask_args(server, tmp, question, *extra, **kwargs))
    captured = capsys.readouterr()
    result = json.loads(captured.out) if captured.out.strip() else {}
    return Outcome(code, result, captured.err, tmp / "run.jsonl")


def ask_subprocess(server: FakeOpenAI, tmp: Path, question: str, *extra: str,
                   **kwargs: Any) -> subprocess.Popen[str]:
    """``rlm ask`` as its own process (for signals and exit codes as a shell sees them)."""
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *ask_args(server, tmp, question, *extra, **kwargs)],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def repl(code: str) -> str:
    """A model reply holding one repl block."""
    return f"Let me run this.\n```repl\n{code.strip()}\n```\n"
