"""Realistic synthetic run events for the run panel's tests and screenshots.

Built from the ``engine.events`` dataclasses (``to_json``), in the order the engine emits
them, with running usage totals; ``SampleRun`` also counts what it emitted so a test can
check the panel's tree against the generator's own bookkeeping.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from engine import events as ev

SANDBOX_STATUS: dict[str, Any] = {
    "pid": 4242, "python": "3.11.9", "load_s": 0.31, "platform": "linux", "enforced": True,
    "layers": {"resource_limits": True, "core_dumps_off": True, "parent_death_signal": True,
               "no_new_privs": True, "not_dumpable": True, "no_capabilities": True,
               "landlock": True, "landlock_network": True, "landlock_scoped": True,
               "seccomp": True},
    "isolation": {"filesystem": True, "network": True, "process": True},
    "checks": {"denied_open": True, "denied_socket": True, "denied_fork": True,
               "denied_signal": True},
    "missing": {}, "note": "files, network and other processes are out of reach of model code",
    "lockdown_s": 0.004, "landlock_abi": 6, "memory_limit_bytes": 3 * 2**30,
}
UNSANDBOXED_STATUS: dict[str, Any] = {
    **SANDBOX_STATUS, "enforced": False, "allowed_unsandboxed": True,
    "layers": {**SANDBOX_STATUS["layers"], "seccomp": False, "landlock_network": False},
    "isolation": {"filesystem": True, "network": False, "process": False},
    "checks": {**SANDBOX_STATUS["checks"], "denied_socket": False, "denied_fork": False},
    "missing": {"seccomp": "the kernel refused the filter: Operation not permitted",
                "landlock_network": "Landlock ABI 3 has no network rules (4 or newer)"},
    "note": "ALLOWED UNSANDBOXED by setting: no network, process isolation",
}

PLANS = [
    ("Let me look at the documents first: how long they are and what they are called.",
     'print(len(context))\nfor d in documents:\n    print(d["id"], d["title"], '
     'len(d["pages"]), "pages")',
     "1843221\n1 Master Services Agreement 48 pages\n2 Amendment No. 1 6 pages\n"
     "3 Data Processing Addendum 14 pages"),
    ("I'll search for clauses about limits of liability and read the passages around them.",
     'import re\npattern = r"(?i)limitation of liability|liabilit(y|ies) shall not exceed"\n'
     'hits = [m.start() for m in re.finditer(pattern, context)]\nprint(len(hits), "matches")\n'
     'for h in hits[:3]:\n    print(context[max(0, h - 200):h + 300].replace("\\n", " "))\n'
     '    print("---")  # separator',
     "12 matches\n" + "\n".join(
         f"--- doc 1, page {p} --- 14.{p % 7} LIMITATION OF LIABILITY. Except for breaches "
         "of confidentiality, in no event shall either party's aggregate liability arising "
         "out of this Agreement exceed the fees paid in the twelve (12) months preceding "
         "the claim.\n---" for p in (31, 32, 40))),
    ("Now I'll ask the helper model to quote each clause with its amount, one passage each.",
     'chunks = [context[max(0, h - 1500):h + 1500] for h in hits]\n'
     'prompts = [f"Quote every clause that limits liability, with its amount:\\n{c}" '
     'for c in chunks]\nanswers = llm_query_batched(prompts)\n'
     'for a in answers:\n    print(a[:160])',
     "\n".join(f"Clause 14.{i} (page {30 + i}): liability capped at the fees paid in the "
               "preceding twelve months." for i in range(1, 13))),
    ("The amendment may change the cap. A helper run can read it on its own.",
     'amendment = context[documents[1]["start"]:documents[1]["end"]]\n'
     'summary = rlm_query("Does this amendment change any liability cap? Quote it.", '
     'context=amendment)\nprint(summary)',
     "Yes. Section 3 of Amendment No. 1 raises the cap to two times the annual fees."),
    ("Let me collect the findings by document.",
     'by_doc = {}\nfor h in hits:\n    doc = next(d for d in documents if d["start"] <= h < '
     'd["end"])\n    by_doc.setdefault(doc["title"], []).append(h)\nprint(by_doc["Addendum"])',
     ""),
]
ERROR = ('Traceback (most recent call last):\n  File "<cell 5>", line 5, in <module>\n'
         "KeyError: 'Addendum'")
ANSWER = ("Two clauses limit liability. The Master Services Agreement caps each party's "
          "liability at the fees paid in the twelve months before the claim [doc 1, p. 31], "
          "and Amendment No. 1 raises that cap to two times the annual fees [doc 2, p. 3]. "
          "The Data Processing Addendum adds no separate cap.")


@dataclass
class SampleRun:
    """Emits one question's events; the counters say what was emitted."""

    budget_usd: float | None = 1.0
    unpriced: bool = False
    sandbox: dict[str, Any] = field(default_factory=lambda: dict(SANDBOX_STATUS))
    max_iterations: int = 30
    events: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    known_cost: float = 0.0
    unpriced_models: set[str] = field(default_factory=set)
    ts: float = 1_760_000_000.0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def emit(self, cls: type[ev.Event], **fields: Any) -> None:
        self.ts += 0.05
        self.events.append(cls(ts=self.ts, **fields).to_json())
        self.counts[cls.type] = self.counts.get(cls.type, 0) + 1

    def usage(self, ids: dict[str, Any], model: str, prompt: int, completion: int) -> None:
        cost = self._cost(model, prompt, completion)
        self.calls += 1
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        if cost is None:
            self.unpriced_models.add(model)
        else:
            self.known_cost += cost
        self.emit(ev.UsageTotals, **ids, calls=self.calls, prompt_tokens=self.prompt_tokens,
                  completion_tokens=self.completion_tokens, cached_tokens=0,
                  cost_usd=None if self.unpriced_models else round(self.known_cost, 8),
                  known_cost_usd=round(self.known_cost, 8),
                  unpriced_models=sorted(self.unpriced_models))

    def run(self, *, steps: int = 6, calls_per_cell: int = 12, child_at: tuple[int, ...] = (4,),
            child_steps: int = 3, error_at: tuple[int, ...] = (5,), retry_at: int | None = 2,
            finish: bool = True, run_id: str = "r1", depth: int = 0,
            parent: tuple[str, str] | None = None, question: str = "Which clauses limit "
            "liability, and to what amount?") -> None:
        """A run of ``steps`` steps; step 3 of each cycle makes ``calls_per_cell`` calls."""
        ids = {"run_id": run_id, "depth": depth, "parent_run_id": parent[0] if parent else None,
               "parent_call_id": parent[1] if parent else None}
        root_model = "gpt-5" if depth == 0 else "gpt-5-mini"
        limits = {"max_iterations": self.max_iterations, "max_depth": 2,
                  "budget_usd": self.budget_usd}
        self.emit(ev.RunStarted, **ids, question=question, root_model=root_model,
                  sub_model="gpt-5-mini", context_chars=1_843_221 if depth == 0 else 18_400,
                  documents=3 if depth == 0 else 0, limits=limits)
        self.emit(ev.SandboxStatus, **ids, status=self.sandbox)
        children = itertools.count(1)
        for step in range(1, steps + 1):
            cell = step  # one cell per step
            prose, code, output = PLANS[(step - 1) % len(PLANS)]
            self.emit(ev.IterationStarted, **ids, iteration=step,
                      max_iterations=self.max_iterations)
            if step == retry_at:
                self.emit(ev.Notice, **ids, level="warning", message="the model server was "
                          "busy (HTTP 429); retrying in 2 s (attempt 2 of 5)")
            tokens = (4200 + 900 * step, 180 + 20 * step)
            self.emit(ev.ModelResponse, **ids, iteration=step, model=root_model,
                      text=f"{prose}\n\n```repl\n{code}\n```", prompt_tokens=tokens[0],
                      completion_tokens=tokens[1],
                      cost_usd=self._cost(root_model, *tokens), latency_s=1.4 + step / 10)
            self.usage(ids, root_model, *tokens)
            self.emit(ev.CellStarted, **ids, iteration=step, cell=cell, code=code)
            if (step - 1) % len(PLANS) == 2:
                for _ in range(calls_per_cell):
                    self._llm_call(ids, step, cell)
            if step in child_at and depth == 0:
                call_id = f"{run_id}:{next(self._ids)}"
                child_id = f"{run_id}.{next(children)}"
                prompt = "Does this amendment change any liability cap? Quote it."
                self.emit(ev.SubCallStarted, **ids, call_id=call_id, kind="rlm_query",
                          model="gpt-5-mini", prompt_preview=prompt, prompt_chars=len(prompt),
                          iteration=step, cell=cell)
                before = (self.prompt_tokens, self.completion_tokens, self.known_cost)
                self.run(steps=child_steps, calls_per_cell=3, child_at=(), error_at=(),
                         retry_at=None, run_id=child_id, depth=depth + 1,
                         parent=(run_id, call_id), question=prompt)
                self.emit(ev.SubCallFinished, **ids, call_id=call_id, kind="rlm_query",
                          model="gpt-5-mini", response_preview=PLANS[3][2],
                          response_chars=len(PLANS[3][2]),
                          prompt_tokens=self.prompt_tokens - before[0],
                          completion_tokens=self.completion_tokens - before[1],
                          cost_usd=None if self.unpriced else round(
                              self.known_cost - before[2], 8), latency_s=6.2)
            error = ERROR if step in error_at else None
            self.emit(ev.CellFinished, **ids, iteration=step, cell=cell,
                      output="" if error else output, error=error, duration_s=0.05 * step)
        if finish:
            answer = ANSWER if depth == 0 else PLANS[3][2]
            self.emit(ev.AnswerReady, **ids, text=answer)
            self.emit(ev.RunFinished, **ids, stop_reason="answered", duration_s=12.5 * steps)

    def _cost(self, model: str, prompt: int, completion: int) -> float | None:
        if self.unpriced and model.endswith("mini"):
            return None
        return (prompt * 1.25 + completion * 10) / 1e6

    def _llm_call(self, ids: dict[str, Any], step: int, cell: int) -> None:
        number = next(self._ids)
        call_id = f"{ids['run_id']}:{number}"
        prompt = (f"Quote every clause that limits liability, with its amount: --- doc 1, "
                  f"page {30 + number % 18} --- 14.{number % 9} LIMITATION OF LIABILITY …")
        self.emit(ev.SubCallStarted, **ids, call_id=call_id, kind="llm_query",
                  model="gpt-5-mini", prompt_preview=prompt, prompt_chars=3000 + number,
                  iteration=step, cell=cell)
        tokens = (800 + number * 3, 60 + number % 40)
        answer = (f"Clause 14.{number % 9} (page {30 + number % 18}): liability is capped at "
                  "the fees paid in the twelve months before the claim.")
        self.emit(ev.SubCallFinished, **ids, call_id=call_id, kind="llm_query",
                  model="gpt-5-mini", response_preview=answer, response_chars=len(answer),
                  prompt_tokens=tokens[0], completion_tokens=tokens[1],
                  cost_usd=self._cost("gpt-5-mini", *tokens), latency_s=0.8 + number % 5 / 10)
        self.usage(ids, "gpt-5-mini", *tokens)

    def result(self, stop_reason: str = "answered") -> dict[str, Any]:
        """The ask reply the worker sends at the end (protocol.md)."""
        return {"run_id": "r1", "conversation": "c1", "answer": ANSWER,
                "stop_reason": stop_reason, "partial": stop_reason != "answered",
                "usage": {"calls": self.calls, "prompt_tokens": self.prompt_tokens,
                          "completion_tokens": self.completion_tokens, "cached_tokens": 0,
                          "cost_usd": None if self.unpriced_models else self.known_cost,
                          "known_cost_usd": self.known_cost,
                          "unpriced_models": sorted(self.unpriced_models)},
                "duration_s": 75.0, "error": None, "sandbox": self.sandbox}
