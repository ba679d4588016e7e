"""A saved analysis as a neutral document: the question, the answer with numbered citations,
the checked sources, the models and cost, and (on request) an audit appendix with every code
cell and helper question. Built from the run's events; every string in it is plain text with
control and format characters made visible, for the writers to escape in their own format."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine import events as ev
from engine.rlm.citations import parse_markers
from engine.rlm.pace_words import REUSED
from engine.rlm.parsing import clip_middle
from engine.rlm.verify import citation_from_json
from engine.rlm.words import (
    KIND_WORDS,
    describe_stop,
    held_back,
    money,
    numbered,
    printable,
    safe_workspace,
    source_place,
    status_words,
)

HELD_ANSWER_CHARS = 2_000  # of an answer held back for confirmation, in the appendix
# Characters no Word (XML) file can hold that ``printable`` keeps: shown as escapes too.
_NOT_XML = {ord("\ufffe"): "\\ufffe", ord("\uffff"): "\\uffff"}


def clean(text: str, *, keep_layout: bool = True) -> str:
    """Untrusted text as an export shows it: control and format characters as escapes."""
    return printable(str(text), keep_layout=keep_layout).translate(_NOT_XML)


@dataclass(frozen=True)
class Source:
    """One numbered source under the answer: where it is, its quote, and what checking found
    (empty for a record made before citations were checked)."""

    n: int
    place: str
    quote: str | None
    status: str


@dataclass(frozen=True)
class CodeCell:
    title: str          # "Step 1, code 1: ok, 0.02 s"
    code: str
    output: str
    error: str | None


@dataclass(frozen=True)
class HelperQuestion:
    title: str          # "Helper question #3 to gpt-5-mini: 1,234 tokens, $0.0004, 0.8 s"
    prompt: str
    answer: str


@dataclass(frozen=True)
class Appendix:
    """What the record holds beyond the answer, for an audit."""

    sandbox: list[str]
    timings: list[str]
    cells: list[CodeCell]
    helpers: list[HelperQuestion]
    notices: list[str]


@dataclass(frozen=True)
class ExportDocument:
    run_id: str
    question: str
    answer_label: str                   # "Answer", or "Partial answer" when a limit stopped it
    answer: str                         # markers replaced by [1], [2], ...
    facts: list[tuple[str, str]]        # ("Models", "main gpt-5, helper gpt-5-mini"), ...
    sources: list[Source] = field(default_factory=list)
    appendix: Appendix | None = None

    @property
    def title(self) -> str:
        return "RLM Desktop: answer to a question"


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _total_cost(t: ev.UsageTotals) -> str:
    if t.cost_usd is None and t.known_cost_usd:
        return f"{money(t.known_cost_usd)} + unknown"
    return money(t.cost_usd)


def _short_call(call_id: str) -> str:
    return "#" + call_id.rsplit(":", 1)[-1]


def build(events: Iterable[ev.Event], *, with_trajectory: bool = False) -> ExportDocument:
    """The document of one run's events (a trajectory log, read in order)."""
    run_id = question = root_model = sub_model = ""
    started: float | None = None
    answer = ""
    partial = False
    checked: list[dict[str, object]] | None = None
    totals: ev.UsageTotals | None = None
    finished: ev.RunFinished | None = None
    sandbox: list[str] = []
    timings: list[str] = []
    cells: list[CodeCell] = []
    helpers: list[HelperQuestion] = []
    notices: list[str] = []
    code: dict[tuple[str, int], str] = {}
    prompts: dict[str, ev.SubCallStarted] = {}
    steps = 0
    for event in events:
        if not isinstance(event, ev.RunEvent):
            continue
        where = "" if event.depth == 0 else f"Helper analysis {clean(event.run_id)}: "
        match event:
            case ev.RunStarted(depth=0):
                run_id, question = event.run_id, event.question
                root_model, sub_model, started = event.root_model, event.sub_model, event.ts
            case ev.SandboxStatus():
                sandbox.append(where + clean(safe_workspace(event.status)))
            case ev.IterationStarted(depth=0):
                steps = event.iteration
            case ev.ModelResponse():
                timings.append(f"{where}Step {event.iteration}: {clean(event.model)} replied in "
                               f"{event.latency_s:.1f} s ({event.prompt_tokens:,} + "
                               f"{event.completion_tokens:,} tokens, {money(event.cost_usd)})")
            case ev.CellStarted():
                code[(event.run_id, event.cell)] = event.code
            case ev.CellFinished():
                status = "timed out" if event.timed_out else ("error" if event.error else "ok")
                restarted = "; the safe workspace was restarted" if event.restarted else ""
                cells.append(CodeCell(
                    title=f"{where}Step {event.iteration}, code {event.cell}: {status}, "
                          f"{event.duration_s:.2f} s{restarted}",
                    code=clean(code.pop((event.run_id, event.cell), "")),
                    output=clean(event.output),
                    error=None if event.error is None else clean(event.error)))
            case ev.SubCallStarted():
                prompts[event.call_id] = event
            case ev.SubCallFinished():
                start = prompts.pop(event.call_id, None)
                what = KIND_WORDS.get(event.kind, clean(event.kind, keep_layout=False))
                tokens = event.prompt_tokens + event.completion_tokens
                cost = f", {money(event.cost_usd)}" if event.kind == "llm_query" else ""
                result = (f"error: {clean(event.error)}" if event.error
                          else clean(event.response_preview))
                spent = (REUSED if event.cached else
                         f"{tokens:,} tokens{cost}, {event.latency_s:.1f} s")
                helpers.append(HelperQuestion(
                    title=f"{where}{what[:1].upper()}{what[1:]} {_short_call(event.call_id)} "
                          f"to {clean(event.model, keep_layout=False)}: {spent}",
                    prompt=clean(start.prompt_preview) if start else "",
                    answer=result))
            case ev.UsageTotals():
                totals = event
            case ev.Notice():
                notices.append(f"{where}{clean(event.level)}: {clean(event.message)}")
            case ev.AnswerHeldBack():
                first = clip_middle(clean(event.answer), HELD_ANSWER_CHARS)
                notices.append(f"{where}Step {event.iteration}: {held_back(event.reason)}. "
                               f"The answer it gave first: {first}")
            case ev.AnswerReady(depth=0):
                answer, partial = event.text, event.partial
            case ev.AnswerCitations(depth=0):
                checked = event.citations
            case ev.RunFinished(depth=0):
                finished = event
    facts: list[tuple[str, str]] = []
    if started is not None:
        facts.append(("Asked", _when(started)))
    if finished is not None:
        facts.append(("Ended", clean(describe_stop(finished.stop_reason), keep_layout=False)))
        timings.append(f"Whole analysis: {finished.duration_s:.1f} s, {steps} "
                       f"step{'s' * (steps != 1)}")
    else:
        facts.append(("Ended", "Unfinished (the record stops before the end)"))
    facts.append(("Models", f"main {clean(root_model, keep_layout=False)}, "
                            f"helper {clean(sub_model, keep_layout=False)}"))
    if totals is not None:
        facts.append(("Cost", f"{_total_cost(totals)} ({totals.calls:,} model "
                              f"call{'s' * (totals.calls != 1)}, {totals.prompt_tokens:,} "
                              f"prompt + {totals.completion_tokens:,} completion tokens)"))
    facts.append(("Record", clean(run_id, keep_layout=False)))
    appendix = Appendix(sandbox=sandbox, timings=timings, cells=cells, helpers=helpers,
                        notices=notices) if with_trajectory else None
    return ExportDocument(run_id=clean(run_id, keep_layout=False), question=clean(question),
                          answer_label="Partial answer" if partial else "Answer",
                          answer=clean(numbered(answer)), facts=facts,
                          sources=_sources(answer, checked), appendix=appendix)


def _sources(answer: str, checked: list[dict[str, object]] | None) -> list[Source]:
    if checked is not None:
        sources = []
        for data in checked:
            cite = citation_from_json(dict(data))
            sources.append(Source(n=cite.n, place=clean(source_place(cite), keep_layout=False),
                                  quote=None if cite.quote is None
                                  else clean(cite.quote, keep_layout=False),
                                  status=status_words(cite)))
        return sources
    # A record made before citations were checked: the markers as the model wrote them.
    return [Source(n=n, place=f"document {cite.doc_id}, page {cite.page}",
                   quote=None if cite.quote is None else clean(cite.quote, keep_layout=False),
                   status="")
            for n, cite in enumerate(parse_markers(answer), 1)]
