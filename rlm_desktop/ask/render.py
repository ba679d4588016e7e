"""How a conversation is drawn: questions, Markdown answers with citations, each answer's facts."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtGui import QPalette, QTextBlockFormat, QTextCharFormat, QTextCursor, QTextDocument

from engine.events import StopReason
from engine.rlm.citations import Citation, replace_markers
from rlm_desktop.replies import AskResult
from rlm_desktop.widgets.citation_marks import (
    checked,
    cite_url,
    cited_markdown,
    decorate,
)
from rlm_desktop.widgets.citation_marks import parse_cite_url as parse_cite_url
from rlm_desktop.widgets.icons import mix, semantic_color
from rlm_desktop.widgets.safe_text import insert_markdown

# The words of /work/shared/VOCABULARY.md ("How a question ended").
STOP_TEXT: dict[StopReason, str] = {
    StopReason.ANSWERED: "Answered",
    StopReason.MAX_ITERATIONS: "Stopped at the step limit",
    StopReason.BUDGET: "Stopped at the spending limit",
    StopReason.TIMEOUT: "Stopped at the time limit",
    StopReason.MAX_SUB_CALLS: "Stopped: too many helper questions",
    StopReason.MAX_ERRORS: "Stopped: the model's code kept failing",
    StopReason.CANCELLED: "Stopped by you",
    StopReason.PROVIDER_ERROR: "The AI service failed",
    StopReason.SANDBOX_ERROR: "The safe workspace could not start on this computer",
    StopReason.ERROR: "Error",
    StopReason.WORKER_DIED: "Failed: the engine stopped during the run",
}


@dataclass
class Turn:
    """One question of a conversation and what became of it."""

    question: str
    status: str = "running"            # running, stopping, done, failed
    answer: str = ""
    stop_reason: str = ""
    partial: bool = False
    cost_usd: float | None = None
    cost_known: bool = True
    duration_s: float | None = None
    calls: int = 0
    tokens: int = 0
    iteration: int = 0                 # the main model's step (from the run's events)
    helper_questions: int = 0          # llm_query calls at any depth
    error: str = ""
    error_kind: str = ""
    run_id: str = ""
    notes: list[str] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)   # answer_citations

    def apply_result(self, result: AskResult) -> None:
        self.status = "done"
        self.answer = result.answer
        self.stop_reason = result.stop_reason
        self.partial = result.partial
        self.duration_s = result.duration_s
        self.run_id = result.run_id
        self.error = result.error
        self.citations = result.citations or self.citations
        self.apply_usage(result.usage)

    def apply_usage(self, usage: dict[str, Any]) -> None:
        self.calls = int(usage.get("calls") or self.calls)
        self.tokens = int((usage.get("prompt_tokens") or 0) + (usage.get("completion_tokens")
                                                               or 0)) or self.tokens
        cost = _float(usage.get("cost_usd"))
        known = _float(usage.get("known_cost_usd"))
        if cost is not None:
            self.cost_usd, self.cost_known = cost, True
        elif known:     # some calls are priced, at least one model is not
            self.cost_usd, self.cost_known = known, False
        else:
            self.cost_usd, self.cost_known = None, True


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


EXPORT_LINK = "rlm:export:"     # + a turn's run id: its answer's Export… link


def exportable(turn: Turn) -> bool:
    """Whether a turn's answer can be exported: it finished with one, and the store has it."""
    return turn.status == "done" and bool(turn.run_id) and bool(turn.answer.strip())


def stop_text(reason: str) -> str:
    known = StopReason.parse(reason)
    if known is not None:
        return STOP_TEXT[known]
    return reason.replace("_", " ").capitalize() if reason else ""


def cost_text(turn: Turn) -> str:
    if turn.cost_usd is None:
        return "cost unknown"
    amount = f"${turn.cost_usd:,.4f}" if turn.cost_usd < 1 else f"${turn.cost_usd:,.2f}"
    return amount if turn.cost_known else f"at least {amount} (a price is unknown)"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def facts_line(turn: Turn) -> str:
    """"Answered · $0.0123 · 12.3 s · 3 steps · 5 helper questions" for a finished turn."""
    parts = [stop_text(turn.stop_reason) or "Finished", cost_text(turn)]
    if turn.duration_s is not None:
        parts.append(duration_text(turn.duration_s))
    parts.extend(work_facts(turn))
    return " · ".join(parts)


def work_facts(turn: Turn) -> list[str]:
    """Steps and helper questions, the plain view's measure of work (not model calls)."""
    facts = []
    if turn.iteration:
        facts.append(f"{turn.iteration} step{'s' if turn.iteration != 1 else ''}")
    if turn.helper_questions:
        count = turn.helper_questions
        facts.append(f"{count} helper question{'s' if count != 1 else ''}")
    return facts


def cite_links(text: str, title_of: Callable[[int], str | None]) -> str:
    """Turn ``[[cite doc=3 page=12 quote="..."]]`` markers into Markdown links."""
    return replace_markers(text, _linker(title_of))


def _linker(title_of: Callable[[int], str | None]) -> Callable[[Citation], str]:
    """A marker as a link "[Title, p. 12]" (a run without checked citations)."""

    def link(cite: Citation) -> str:
        title = title_of(cite.doc_id) or f"document {cite.doc_id}"
        label = f"{title}, p. {cite.page}".replace("[", "(").replace("]", ")")
        quote = _link_title(cite.quote or "")
        tip = f' "{quote}"' if quote else ""
        return f"[\\[{label}\\]]({cite_url(cite.doc_id, cite.page)}{tip})"

    return link


def _link_title(quote: str) -> str:
    """A quote as a Markdown link title: one line (a blank line would end the link), no '"',
    and backslashes escaped (a trailing one would swallow the title's closing quote)."""
    return " ".join(quote.split()).replace("\\", "\\\\").replace('"', "'")


def render(document: QTextDocument, turns: list[Turn], palette: QPalette,
           title_of: Callable[[int], str | None]) -> None:
    """Write the whole conversation into ``document`` (cheap: a handful of turns)."""
    text = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)
    muted = mix(text, base, 0.4).name()
    bubble = mix(base, palette.color(QPalette.ColorRole.Highlight), 0.12).name()
    document.clear()
    document.setDocumentMargin(12)
    cursor = QTextCursor(document)
    for n, turn in enumerate(turns):
        if n:
            cursor.insertHtml("<br>")
        for note in turn.notes:
            cursor.insertHtml(f'<p style="color:{muted}"><i>{html.escape(note)}</i></p>')
        question = html.escape(turn.question).replace("\n", "<br>")
        cursor.insertHtml(
            f'<table width="100%" cellpadding="10" cellspacing="0" bgcolor="{bubble}">'
            f'<tr><td><b>You asked</b><br>{question}</td></tr></table>')
        _plain_block(cursor)
        _render_answer(cursor, turn, palette, muted, title_of)


def _render_answer(cursor: QTextCursor, turn: Turn, palette: QPalette, muted: str,
                   title_of: Callable[[int], str | None]) -> None:
    warning = semantic_color("warning", palette).name()
    failed = semantic_color("failed", palette).name()
    if turn.status in ("running", "stopping"):
        doing = "Stopping…" if turn.status == "stopping" else "Working on it"
        live = [doing]
        if turn.iteration:
            live.append(f"step {turn.iteration}")
        live.extend(work_facts(turn)[1 if turn.iteration else 0:])
        if turn.cost_usd is not None:
            live.append(cost_text(turn))
        cursor.insertHtml(f'<p style="color:{muted}"><i>{html.escape(" · ".join(live))}'
                          "…</i> The run panel shows each step.</p>")
        return
    if turn.status == "failed":
        error = turn.error or "The question could not be answered."
        message = html.escape(error[:1].upper() + error[1:])
        extra = ""
        if turn.error_kind == "config":
            extra = ' <a href="rlm:settings">Open settings</a>'
        cursor.insertHtml(f'<p style="color:{failed}"><b>Not answered.</b> {message}{extra}</p>')
        return
    if turn.partial or (turn.stop_reason and turn.stop_reason != StopReason.ANSWERED):
        reason = stop_text(turn.stop_reason)
        said = f"{reason} — here is what was found." if turn.answer else f"{reason}."
        label = "Partial answer" if turn.answer else "No answer"
        cursor.insertHtml(f'<p style="color:{warning}"><b>{label}</b> — '
                          f"{html.escape(said)}</p>")
        cursor.insertBlock()
    answer = turn.answer.strip() or ("_The run ended without an answer._"
                                     if not turn.error else turn.error)
    citations = checked(turn.citations)
    if citations:   # checked after FINAL: numbered markers with their status, then sources
        start = cursor.position()
        insert_markdown(cursor, cited_markdown(answer, citations, _linker(title_of)))
        decorate(cursor.document(), citations, palette, start)
    else:
        insert_markdown(cursor, cite_links(answer, title_of))  # no HTML, images as alt text
    _plain_block(cursor)
    export = (f' · <a href="{EXPORT_LINK}{html.escape(turn.run_id)}">Export…</a>'
              if exportable(turn) else "")
    cursor.insertHtml(f'<p style="color:{muted}"><small>{html.escape(facts_line(turn))}'
                      f"{export}</small></p>")


def _plain_block(cursor: QTextCursor) -> None:
    """Start a new paragraph that is in no list and has no heading or table formatting."""
    cursor.movePosition(QTextCursor.MoveOperation.End)
    cursor.insertBlock(QTextBlockFormat(), QTextCharFormat())
    current = cursor.currentList()
    if current is not None:
        current.remove(cursor.block())
    cursor.setBlockFormat(QTextBlockFormat())

