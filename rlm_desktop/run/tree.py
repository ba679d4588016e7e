"""Run events folded into a tree: runs, their steps, code cells and sub-queries (no Qt).

The run panel's model. Events arrive as JSON dicts (``engine.events`` ``to_json`` form),
for all depths of a run tree, in the order they were emitted. Every node carries a
``version`` that grows whenever the node or anything below it changes, so a view can
refresh only what changed, and a ``usage`` summing the model calls made inside it
(a child run's calls count in the rlm_query call, cell, step and run above it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.events import HoldReason
from engine.rlm.words import compaction_words, held_back

HELD_ANSWER_CHARS = 300  # of an answer held back for confirmation, in its notice

@dataclass
class Usage:
    """Model calls, tokens and cost; the cost is unknown once any call had no price."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    known_cost_usd: float = 0.0
    unpriced: int = 0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_usd(self) -> float | None:
        return None if self.unpriced else self.known_cost_usd

    def add(self, prompt_tokens: int, completion_tokens: int, cost: float | None) -> None:
        self.calls += 1
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        if cost is None:
            self.unpriced += 1
        else:
            self.known_cost_usd += cost


@dataclass(eq=False)
class Node:
    """Base of every node: a link up the tree, a change counter and the usage below it."""

    up: Node | None = field(default=None, repr=False)
    version: int = 0
    usage: Usage = field(default_factory=Usage)

    def touch(self) -> None:
        node: Node | None = self
        while node is not None:
            node.version += 1
            node = node.up

    def add_usage(self, prompt_tokens: int, completion_tokens: int, cost: float | None) -> None:
        node: Node | None = self
        while node is not None:
            node.usage.add(prompt_tokens, completion_tokens, cost)
            node = node.up


@dataclass(eq=False)
class NoticeNode(Node):
    level: str = "info"
    message: str = ""


@dataclass(eq=False)
class ResponseNode(Node):
    """One reply of a run's model; ``followup`` for a second reply in the same step (the
    run asked for its best answer at a limit)."""

    model: str = ""
    text: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    followup: bool = False


@dataclass(eq=False)
class CallNode(Node):
    """An llm_query or rlm_query made by a cell's code; ``child`` is the run rlm_query started."""

    call_id: str = ""
    kind: str = "llm_query"
    model: str = ""
    depth: int = 1
    prompt_preview: str = ""
    prompt_chars: int = 0
    finished: bool = False
    interrupted: bool = False
    response_preview: str = ""
    response_chars: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    error: str | None = None
    cached: bool = False    # answered from an identical earlier call: nothing sent, no cost
    child: RunNode | None = field(default=None, repr=False)


@dataclass(eq=False)
class CellNode(Node):
    number: int = 0
    iteration: int = 0
    code: str = ""
    finished: bool = False
    interrupted: bool = False
    output: str = ""
    error: str | None = None
    duration_s: float = 0.0
    cut_chars: int = 0
    timed_out: bool = False
    restarted: bool = False
    calls: list[CallNode] = field(default_factory=list)


Item = ResponseNode | CellNode | NoticeNode


@dataclass(eq=False)
class StepNode(Node):
    """One iteration of a run: the model's reply, the cells it ran, notices, in order."""

    number: int = 0
    max_iterations: int = 0
    items: list[Item] = field(default_factory=list)


@dataclass(eq=False)
class RunNode(Node):
    run_id: str = ""
    depth: int = 0
    parent_call_id: str | None = None
    question: str = ""
    root_model: str = ""
    sub_model: str = ""
    context_chars: int = 0
    documents: int = 0
    limits: dict[str, Any] = field(default_factory=dict)
    windows: dict[str, Any] = field(default_factory=dict)   # run_started's, by role
    intro: list[NoticeNode] = field(default_factory=list)   # notices before the first step
    steps: list[StepNode] = field(default_factory=list)
    sandbox: dict[str, Any] | None = None
    answer: str | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)   # answer_citations
    partial: bool = False
    stop_reason: str | None = None
    duration_s: float | None = None
    error: str | None = None
    cells: dict[int, CellNode] = field(default_factory=dict, repr=False)

    @property
    def finished(self) -> bool:
        return self.stop_reason is not None

    @property
    def max_iterations(self) -> int:
        if self.steps:
            return self.steps[-1].max_iterations
        return int(self.limits.get("max_iterations") or 0)

    def activity(self) -> str:
        """What the run is doing now, in a few words ("2 helper questions waiting")."""
        if not self.steps:
            return "getting ready"
        step = self.steps[-1]
        if not any(isinstance(i, ResponseNode) for i in step.items):
            return f"waiting for {self.root_model or 'the model'}"
        cells = [i for i in step.items if isinstance(i, CellNode)]
        if not cells or cells[-1].finished:
            return "reading the output" if cells else "thinking"
        running = [c for c in cells[-1].calls if not c.finished]
        helpers = sum(1 for c in running if c.kind == "rlm_query")
        parts = []
        if len(running) > helpers:
            waiting = len(running) - helpers
            parts.append(f"{waiting} helper question{'' if waiting == 1 else 's'} waiting")
        if helpers:
            parts.append(f"{helpers} helper analys{'is' if helpers == 1 else 'es'} working")
        return ", ".join(parts) or "running code"

    def step(self, number: int, max_iterations: int = 0) -> StepNode:
        """The step with this number, made if missing (events of a damaged log still show)."""
        for step in reversed(self.steps):
            if step.number == number:
                return step
        step = StepNode(up=self, number=number,
                        max_iterations=max_iterations or self.max_iterations)
        self.steps.append(step)
        return step


@dataclass
class Totals:
    """The run tree's running totals, as the last usage_totals event (or the tree) says."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    known_cost_usd: float = 0.0
    unpriced_models: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class RunTree:
    """All runs of one question (the root and its child runs), built from events in order."""

    def __init__(self) -> None:
        self.root: RunNode | None = None
        self.runs: dict[str, RunNode] = {}
        self.calls: dict[str, CallNode] = {}
        self.orphans: list[RunNode] = []      # child runs whose rlm_query call was never seen
        self.usage_event: dict[str, Any] | None = None
        self.pace: dict[str, Any] | None = None   # the last concurrency_changed event
        self.events = 0
        self.ignored = 0
        self._handlers: dict[str, Callable[[RunNode, dict[str, Any]], None]] = {
            "run_started": self._run_started, "sandbox_status": self._sandbox,
            "iteration_started": self._iteration, "model_response": self._response,
            "cell_started": self._cell_started, "cell_finished": self._cell_finished,
            "subcall_started": self._call_started, "subcall_finished": self._call_finished,
            "usage_totals": self._usage, "notice": self._notice, "answer": self._answer,
            "history_compacted": self._compacted,
            "answer_held_back": self._held_back,
            "answer_citations": self._citations, "run_finished": self._run_finished,
            "concurrency_changed": self._pace,
        }

    # --- reading --------------------------------------------------------------

    @property
    def budget_usd(self) -> float | None:
        value = self.root.limits.get("budget_usd") if self.root else None
        return float(value) if isinstance(value, int | float) and value > 0 else None

    @property
    def sandbox(self) -> dict[str, Any] | None:
        return self.root.sandbox if self.root else None

    def totals(self) -> Totals:
        event = self.usage_event
        if event is not None:
            return Totals(calls=int(event.get("calls") or 0),
                          prompt_tokens=int(event.get("prompt_tokens") or 0),
                          completion_tokens=int(event.get("completion_tokens") or 0),
                          cost_usd=event.get("cost_usd"),
                          known_cost_usd=float(event.get("known_cost_usd") or 0.0),
                          unpriced_models=list(event.get("unpriced_models") or []))
        usage = self.root.usage if self.root else Usage()
        return Totals(calls=usage.calls, prompt_tokens=usage.prompt_tokens,
                      completion_tokens=usage.completion_tokens, cost_usd=usage.cost_usd,
                      known_cost_usd=usage.known_cost_usd,
                      unpriced_models=["a model"] if usage.unpriced else [])

    def set_usage(self, usage: dict[str, Any]) -> None:
        """Final totals from the ask reply or the stored run (same keys as usage_totals)."""
        if usage and "calls" in usage:
            self.usage_event = dict(usage)

    # --- building -------------------------------------------------------------

    def apply(self, event: dict[str, Any]) -> bool:
        """Fold one event in; False when it is not a run event this tree understands."""
        handler = self._handlers.get(str(event.get("type")))
        run_id = event.get("run_id")
        if handler is None or not isinstance(run_id, str):
            self.ignored += 1
            return False
        self.events += 1
        handler(self._run(event), event)
        return True

    def close(self, reason: str, *, answer: str | None = None, partial: bool = False,
              error: str | None = None, duration_s: float | None = None,
              question: str = "") -> RunNode:
        """End the question's run from the reply, the stored record or a failure: what its
        own events left open is marked unfinished, and what they did say is kept."""
        root = self.root
        if root is None:
            root = self.root = RunNode(run_id="", question=question)
        for run in self.runs.values():
            for cell in run.cells.values():
                if not cell.finished:
                    cell.interrupted = True
                    cell.touch()
                for call in cell.calls:
                    if not call.finished:
                        call.interrupted = True
                        call.touch()
            if not run.finished and run is not root:
                run.stop_reason = reason
                run.touch()
        if not root.finished:
            root.stop_reason = reason
            root.duration_s = duration_s
            root.partial = partial
        if root.answer is None and answer:
            root.answer = answer
            root.partial = partial
        root.error = error or root.error
        if root.duration_s is None:
            root.duration_s = duration_s
        root.touch()
        return root

    def _run(self, event: dict[str, Any]) -> RunNode:
        run_id = event["run_id"]
        run = self.runs.get(run_id)
        if run is not None:
            return run
        run = RunNode(run_id=run_id, depth=int(event.get("depth") or 0),
                      parent_call_id=event.get("parent_call_id"))
        self.runs[run_id] = run
        call = self.calls.get(run.parent_call_id or "")
        if call is not None:
            run.up = call
            call.child = run
            call.touch()
        elif run.depth == 0 and self.root is None:
            self.root = run
        else:
            self.orphans.append(run)
        return run

    def _run_started(self, run: RunNode, e: dict[str, Any]) -> None:
        run.question = str(e.get("question") or "")
        run.root_model = str(e.get("root_model") or "")
        run.sub_model = str(e.get("sub_model") or "")
        run.context_chars = int(e.get("context_chars") or 0)
        run.documents = int(e.get("documents") or 0)
        run.limits = dict(e.get("limits") or {})
        windows = e.get("windows")
        run.windows = dict(windows) if isinstance(windows, dict) else {}
        run.touch()

    def _sandbox(self, run: RunNode, e: dict[str, Any]) -> None:
        status = e.get("status")
        run.sandbox = dict(status) if isinstance(status, dict) else {}
        run.touch()

    def _iteration(self, run: RunNode, e: dict[str, Any]) -> None:
        run.step(int(e.get("iteration") or 0), int(e.get("max_iterations") or 0)).touch()

    def _response(self, run: RunNode, e: dict[str, Any]) -> None:
        step = run.step(int(e.get("iteration") or 0))
        cost = e.get("cost_usd")
        node = ResponseNode(up=step, model=str(e.get("model") or ""), text=str(e.get("text") or ""),
                            prompt_tokens=int(e.get("prompt_tokens") or 0),
                            completion_tokens=int(e.get("completion_tokens") or 0),
                            cost_usd=cost, latency_s=float(e.get("latency_s") or 0.0),
                            followup=any(isinstance(i, ResponseNode) for i in step.items))
        step.items.append(node)
        step.add_usage(node.prompt_tokens, node.completion_tokens, cost)
        step.touch()

    def _cell(self, run: RunNode, iteration: int, number: int) -> CellNode:
        cell = run.cells.get(number)
        if cell is None:
            step = run.step(iteration)
            cell = CellNode(up=step, number=number, iteration=iteration)
            run.cells[number] = cell
            step.items.append(cell)
        return cell

    def _cell_started(self, run: RunNode, e: dict[str, Any]) -> None:
        cell = self._cell(run, int(e.get("iteration") or 0), int(e.get("cell") or 0))
        cell.code = str(e.get("code") or "")
        cell.touch()

    def _cell_finished(self, run: RunNode, e: dict[str, Any]) -> None:
        cell = self._cell(run, int(e.get("iteration") or 0), int(e.get("cell") or 0))
        cell.finished = True
        cell.output = str(e.get("output") or "")
        cell.error = e.get("error") or None
        cell.duration_s = float(e.get("duration_s") or 0.0)
        cell.cut_chars = int(e.get("cut_chars") or 0)
        cell.timed_out = bool(e.get("timed_out"))
        cell.restarted = bool(e.get("restarted"))
        cell.touch()

    def _call_started(self, run: RunNode, e: dict[str, Any]) -> None:
        cell = self._cell(run, int(e.get("iteration") or 0), int(e.get("cell") or 0))
        call = CallNode(up=cell, call_id=str(e.get("call_id") or ""),
                        kind=str(e.get("kind") or "llm_query"), model=str(e.get("model") or ""),
                        depth=run.depth + 1, prompt_preview=str(e.get("prompt_preview") or ""),
                        prompt_chars=int(e.get("prompt_chars") or 0))
        cell.calls.append(call)
        self.calls[call.call_id] = call
        call.touch()

    def _call_finished(self, run: RunNode, e: dict[str, Any]) -> None:
        call = self.calls.get(str(e.get("call_id") or ""))
        if call is None:  # its start was lost: show it in the run's latest cell
            self._call_started(run, {**e, "iteration": run.steps[-1].number if run.steps else 0,
                                     "cell": max(run.cells, default=0), "prompt_preview": ""})
            call = self.calls[str(e.get("call_id") or "")]
        call.finished = True
        call.model = str(e.get("model") or call.model)
        call.response_preview = str(e.get("response_preview") or "")
        call.response_chars = int(e.get("response_chars") or 0)
        call.prompt_tokens = int(e.get("prompt_tokens") or 0)
        call.completion_tokens = int(e.get("completion_tokens") or 0)
        call.cost_usd = e.get("cost_usd")
        call.latency_s = float(e.get("latency_s") or 0.0)
        call.error = e.get("error") or None
        call.cached = bool(e.get("cached"))
        # An rlm_query's numbers sum its child run, whose calls were counted as they came; a
        # reused answer was no model call.
        if call.kind == "llm_query" and not call.error and not call.cached:
            call.add_usage(call.prompt_tokens, call.completion_tokens, call.cost_usd)
        call.touch()

    def _usage(self, run: RunNode, e: dict[str, Any]) -> None:
        self.usage_event = e

    def _held_back(self, run: RunNode, e: dict[str, Any]) -> None:
        first = " ".join(str(e.get("answer") or "").split())
        if len(first) > HELD_ANSWER_CHARS:
            first = first[:HELD_ANSWER_CHARS - 1] + "…"
        words = held_back(_hold_reason(e.get("reason")))
        self._notice(run, {"level": "info", "message": f"{words}. The answer it gave first: "
                                                       f"{first or '(empty)'}"})

    def _pace(self, run: RunNode, e: dict[str, Any]) -> None:
        self.pace = e

    def _notice(self, run: RunNode, e: dict[str, Any]) -> None:
        notice = NoticeNode(level=str(e.get("level") or "info"),
                            message=str(e.get("message") or ""))
        if run.steps:
            notice.up = run.steps[-1]
            run.steps[-1].items.append(notice)
        else:
            notice.up = run
            run.intro.append(notice)
        notice.touch()

    def _compacted(self, run: RunNode, e: dict[str, Any]) -> None:
        """A shortened conversation reads as a notice in the step where it happened."""
        def number(name: str) -> int:
            value = e.get(name)
            return value if isinstance(value, int) and not isinstance(value, bool) else 0
        message = compaction_words(number("before_tokens"), number("after_tokens"),
                                   number("window"), summarized=bool(e.get("summarized")),
                                   harder=bool(e.get("harder")))
        self._notice(run, {"level": "warning" if e.get("harder") else "info",
                           "message": message})

    def _answer(self, run: RunNode, e: dict[str, Any]) -> None:
        run.answer = str(e.get("text") or "")
        run.partial = bool(e.get("partial"))
        run.touch()

    def _citations(self, run: RunNode, e: dict[str, Any]) -> None:
        citations = e.get("citations")
        run.citations = [c for c in citations if isinstance(c, dict)] \
            if isinstance(citations, list) else []
        run.touch()

    def _run_finished(self, run: RunNode, e: dict[str, Any]) -> None:
        run.stop_reason = str(e.get("stop_reason") or "")
        run.duration_s = float(e.get("duration_s") or 0.0)
        run.error = e.get("error") or None
        run.touch()


def _hold_reason(value: Any) -> HoldReason | str:
    """A held-back answer's reason as the engine names it (a str from another version)."""
    return HoldReason(value) if value in set(HoldReason) else str(value)
