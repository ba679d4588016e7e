"""The run panel's timeline: steps, code cells with output, helper questions and analyses.

Each view mirrors a node of ``rlm_desktop.run.tree`` and refreshes itself in ``sync(deadline)`` only
when the node's version moved, building new children until the deadline passes (the
rest waits for the next tick), so a burst of events never stalls the window.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rlm_desktop.run import format as fmt
from rlm_desktop.run.blocks import (
    Card,
    Elided,
    FoldedText,
    ToneIcon,
    muted_label,
    small_font,
)
from rlm_desktop.run.calls import CallsTable
from rlm_desktop.run.items import NoticeRow, OutcomeCard, ResponseView, usage_text, vbox
from rlm_desktop.run.tree import (
    CallNode,
    CellNode,
    Item,
    ResponseNode,
    RunNode,
    RunTree,
    StepNode,
)
from rlm_desktop.widgets import palette_tones as tones


def late(deadline: float) -> bool:
    return time.perf_counter() > deadline


def place(layout: QVBoxLayout, widget: QWidget, index: int = -1) -> None:
    """Add a widget and show it now, inside the tick's time budget (a visible parent would
    otherwise show it in a queued call the budget never sees)."""
    layout.insertWidget(index, widget)
    widget.show()


def calls_title(cell: CellNode, details: bool = True) -> str:
    """"12 helper questions to gpt-5-mini · 1 helper analysis · 14 calls · 20.1k tokens ·
    $0.02" (the plain view leaves out calls and tokens)."""
    queries = [c for c in cell.calls if c.kind != "rlm_query"]
    helpers = len(cell.calls) - len(queries)
    parts = []
    if queries:
        models = {c.model for c in queries if c.model}
        to = f" to {next(iter(models))}" if len(models) == 1 else ""
        parts.append(fmt.plural(len(queries), "helper question") + to)
    if helpers:
        parts.append(fmt.plural(helpers, "helper analysis", "helper analyses"))
    usage = usage_text(cell.usage, details)
    if usage:
        parts.append(usage)
    return " · ".join(parts)


class CellView(QWidget):
    """One code cell: its code, what it printed, its helper questions and the helper analyses
    it began. The plain view (``details`` off) leaves out the code, its output and any
    traceback: a failure is one sentence there."""

    def __init__(self, node: CellNode, parent: QWidget | None = None,
                 details: bool = True) -> None:
        super().__init__(parent)
        self.node = node
        self.details = details
        self.seen = -1
        self.layout_ = vbox(self, spacing=4)
        head = QHBoxLayout()
        head.setSpacing(6)
        self.icon = ToneIcon("running", self)
        head.addWidget(self.icon)
        title = QLabel(f"Code · cell {node.number}" if details else "Working on the documents")
        title.setFont(small_font(title, bold=True))
        if details:
            title.setToolTip("The Python code the main model wrote to read the documents; it "
                             "runs in the safe workspace")
        head.addWidget(title)
        self.status = muted_label(elide=True)  # takes the free space, right-aligned
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.status, 1)
        self.layout_.addLayout(head)
        self.code = FoldedText(self, code=True, folded_lines=14)
        self.code.block.setAccessibleName(f"Code of cell {node.number}")
        self.layout_.addWidget(self.code)
        self.code.setVisible(details)
        self.output_title: QLabel | None = None
        self.output: FoldedText | None = None
        self.error_row: QWidget | None = None
        self.error: FoldedText | None = None
        self.calls_title: QLabel | None = None
        self.calls: CallsTable | None = None
        self.children_: dict[str, ChildRunBlock] = {}

    def sync(self, deadline: float) -> bool:
        node = self.node
        version = node.version
        if self.details:        # (the plain view never shows it: skip the highlighting)
            self.code.set_text(node.code.rstrip("\n"))
        kind, text = self._status()
        self.icon.set_kind(kind)
        self.status.setText(text)
        if node.finished and self.details:
            self._show_output()
        elif node.finished and node.error and self.error_row is None:
            self.error_row = self._error_sentence(
                "This step hit a problem; the model sees it and usually works around it in "
                "the next step. Show details to see what went wrong.")
            place(self.layout_, self.error_row, self.layout_.indexOf(self.code) + 1)
        done = True
        if node.calls:
            done = self._sync_calls(deadline)
        if done:
            self.seen = version
        return done

    def _status(self) -> tuple[str, str]:
        node = self.node
        if node.interrupted:
            return "idle", "did not finish"
        if not node.finished:
            return "running", "running…"
        extra = " · its safe workspace was restarted" if node.restarted else ""
        if node.timed_out:
            return "warn", f"stopped after {fmt.seconds(node.duration_s)}: too slow{extra}"
        if node.error:
            return "warn", f"error after {fmt.seconds(node.duration_s)}{extra}"
        return "ok", f"ran in {fmt.seconds(node.duration_s)}{extra}"

    def _show_output(self) -> None:
        node = self.node
        if self.output is None:
            self.output_title = muted_label(elide=True)
            self.output = FoldedText(self, folded_lines=8, folded_chars=480)
            self.output.block.setAccessibleName(f"Output of cell {node.number}")
            at = self.layout_.indexOf(self.code) + 1
            place(self.layout_, self.output_title, at)
            place(self.layout_, self.output, at + 1)
        assert self.output_title is not None
        cut = f" ({node.cut_chars:,} characters in the middle not shown)" if node.cut_chars else ""
        has_output = bool(node.output.strip())
        self.output_title.setText(("Output" + cut) if has_output else "No output")
        self.output.setVisible(has_output)
        self.output.set_text(node.output.rstrip("\n"))
        if node.error and self.error is None:
            self.error_row = self._error_sentence(
                "The code stopped with an error. The model sees it and usually corrects it in "
                "the next step.")
            self.error = FoldedText(self, folded_lines=6)
            self.error.block.setAccessibleName(f"Error of cell {node.number}")
            at = self.layout_.indexOf(self.output) + 1
            place(self.layout_, self.error_row, at)
            place(self.layout_, self.error, at + 1)
        if self.error is not None:
            self.error.set_text((node.error or "").rstrip("\n"))

    def _error_sentence(self, text: str) -> QWidget:
        row_widget = QWidget(self)
        row = QHBoxLayout(row_widget)
        row.setContentsMargins(0, 2, 0, 0)
        row.setSpacing(6)
        row.addWidget(ToneIcon("warn", row_widget))
        row.addWidget(muted_label(text, wrap=True), 1)
        return row_widget

    def _sync_calls(self, deadline: float) -> bool:
        node = self.node
        if self.calls is None:
            self.calls_title = muted_label(elide=True)
            self.calls = CallsTable(details=self.details)
            self.calls.child_requested.connect(self.reveal_child)
            place(self.layout_, self.calls_title)
            place(self.layout_, self.calls)
        assert self.calls_title is not None
        self.calls_title.setText(calls_title(node, self.details))
        done = self.calls.sync(node.calls, deadline)
        self.calls_title.setToolTip(self.calls.toolTip())
        for call in node.calls:
            if call.child is None:
                continue
            block = self.children_.get(call.call_id)
            if block is None:
                if late(deadline):
                    return False
                block = self.children_[call.call_id] = ChildRunBlock(call, self,
                                                                     self.details)
                place(self.layout_, block)
            done = block.sync(deadline) and done
        return done

    def reveal_child(self, call_id: str) -> None:
        block = self.children_.get(call_id)
        if block is None:
            return
        block.set_expanded(True)
        scroll = self.parent()
        while scroll is not None and not isinstance(scroll, QScrollArea):
            scroll = scroll.parent()
        if isinstance(scroll, QScrollArea):
            scroll.ensureWidgetVisible(block.header_widget, 0, 40)


class StepCard(Card):
    """One step (iteration) of a run: the model's reply, its cells and notices, in order."""

    def __init__(self, node: StepNode, parent: QWidget | None = None,
                 details: bool = True) -> None:
        super().__init__(parent)
        self.node = node
        self.details = details
        self.seen = -1
        self.views: list[ResponseView | CellView | NoticeRow] = []
        self.layout_ = vbox(self, (14, 10, 12, 12), 8)
        head = QHBoxLayout()
        head.setSpacing(6)
        self.title = QLabel()
        self.title.setFont(small_font(self.title, 0.5, bold=True))
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        head.addWidget(self.title)
        self.of = muted_label()
        head.addWidget(self.of)
        self.summary = muted_label(elide=True)  # takes the free space, right-aligned
        self.summary.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.summary, 1)
        self.layout_.addLayout(head)

    def sync(self, deadline: float) -> bool:
        node = self.node
        version = node.version
        self.title.setText(f"Step {node.number}")
        self.of.setText(f"of {node.max_iterations}" if node.max_iterations else "")
        self.summary.setText(usage_text(node.usage, self.details))
        self.setAccessibleName(f"Step {node.number} of {node.max_iterations}")
        done = True
        for view in self.views:
            if view.node.version != view.seen:
                done = view.sync(deadline) and done
        while len(self.views) < len(node.items):
            if late(deadline):
                return False
            view = self._view(node.items[len(self.views)])
            self.views.append(view)
            done = view.sync(deadline) and done
            place(self.layout_, view)
        if done:
            self.seen = version
        return done

    def _view(self, item: Item) -> ResponseView | CellView | NoticeRow:
        if isinstance(item, ResponseNode):
            return ResponseView(item, self, self.details)
        if isinstance(item, CellNode):
            return CellView(item, self, self.details)
        return NoticeRow(item, self)


class RunTimeline(QWidget):
    """A run's steps from start to outcome; used for the question's run and for helper
    analyses. ``details`` off is the plain view: no code, output, tracebacks or tokens."""

    def __init__(self, node: RunNode, parent: QWidget | None = None,
                 details: bool = True) -> None:
        super().__init__(parent)
        self.node = node
        self.details = details
        self.seen = -1
        self.layout_ = vbox(self, spacing=10)
        self.intro = muted_label(wrap=True)
        self.intro.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.layout_.addWidget(self.intro)
        self.notices: list[NoticeRow] = []
        self.steps: list[StepCard] = []
        self.outcome: OutcomeCard | None = None

    def sync(self, deadline: float) -> bool:
        node = self.node
        version = node.version
        self.intro.setText(self._intro())
        while len(self.notices) < len(node.intro):
            row = NoticeRow(node.intro[len(self.notices)], self)
            place(self.layout_, row, 1 + len(self.notices))
            self.notices.append(row)
        done = True
        for card in self.steps:
            if card.node.version != card.seen:
                done = card.sync(deadline) and done
                if not done:
                    return False
        while len(self.steps) < len(node.steps):
            if late(deadline):
                return False
            card = StepCard(node.steps[len(self.steps)], self, self.details)
            self.steps.append(card)
            synced = card.sync(deadline)  # built while hidden, then shown once
            place(self.layout_, card, len(self.notices) + len(self.steps))
            if not synced:
                return False
        if node.finished or node.answer is not None:
            if self.outcome is None:
                self.outcome = OutcomeCard(self)
                self.outcome.show_run(node)
                place(self.layout_, self.outcome)
            self.outcome.show_run(node)
            if not self.details and node.error:      # one sentence; the rest under details
                self.outcome.error.setText(fmt.plain_error(node.error))
        if done:
            self.seen = version
        return done

    def _intro(self) -> str:
        node = self.node
        if node.depth > 0:
            return f"Asked: {fmt.one_line(node.question, 600)}" if node.question else ""
        parts = []
        if node.documents or node.context_chars:
            parts.append(f"Reading {fmt.plural(node.documents, 'document')} "
                         f"({fmt.characters(node.context_chars)})")
        if node.root_model:
            parts.append(f"with {node.root_model}" + (
                f"; helper model {node.sub_model}" if node.sub_model and
                node.sub_model != node.root_model else ""))
        text = " ".join(parts)
        if not node.steps and not node.finished:
            text = (text + ". " if text else "") + ("Getting the documents and the safe "
                                                    "workspace ready…")
        return text


class ChildRunBlock(QFrame):
    """A helper analysis (rlm_query), folded to a live one-line summary until opened."""

    def __init__(self, call: CallNode, parent: QWidget | None = None,
                 details: bool = True) -> None:
        super().__init__(parent)
        assert call.child is not None
        self.call = call
        self.details = details
        self.node: RunNode = call.child
        self.seen = -1
        self.timeline: RunTimeline | None = None
        self.expanded = False
        self.layout_ = vbox(self, (12, 2, 0, 4), 4)
        self.header_widget = QWidget(self)
        head = QHBoxLayout(self.header_widget)
        head.setContentsMargins(0, 0, 0, 0)
        head.setSpacing(6)
        self.arrow = QToolButton(self.header_widget)
        self.arrow.setAutoRaise(True)
        self.arrow.setArrowType(Qt.ArrowType.RightArrow)
        self.arrow.clicked.connect(lambda: self.set_expanded(not self.expanded))
        head.addWidget(self.arrow)
        self.title = QLabel("Helper analysis")
        self.title.setFont(small_font(self.title, bold=True))
        head.addWidget(self.title)
        self.summary = muted_label(elide=True)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        head.addWidget(self.summary, 1)
        self.layout_.addWidget(self.header_widget)
        self.question = Elided("", self)
        self.question.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.question.setFont(small_font(self.question))
        self.layout_.addWidget(self.question)
        self._name_arrow()

    def set_expanded(self, expanded: bool) -> None:
        if expanded == self.expanded:
            return
        self.expanded = expanded
        self.arrow.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self._name_arrow()
        if expanded and self.timeline is None:
            self.timeline = RunTimeline(self.node, self, self.details)
            place(self.layout_, self.timeline)
        self.question.setVisible(not expanded)  # the open run shows its question itself
        if self.timeline is not None:
            self.timeline.setVisible(expanded)
            if expanded:
                self.timeline.sync(time.perf_counter() + 0.05)

    def _name_arrow(self) -> None:
        action = "Hide" if self.expanded else "Show"
        self.arrow.setAccessibleName(f"{action} the steps of helper analysis "
                                     f"{self.node.run_id}")
        self.arrow.setToolTip(f"{action} this helper analysis's steps")

    def sync(self, deadline: float) -> bool:
        node = self.node
        version = node.version
        number = node.run_id.rsplit(".", 1)[-1]
        self.title.setText(f"Helper analysis {number}")
        self.question.set_full(node.question or self.call.prompt_preview)
        facts = []
        if node.steps:
            facts.append(f"step {node.steps[-1].number} of {node.max_iterations}")
        usage = usage_text(node.usage, self.details)
        if usage:
            facts.append(usage)
        facts.append(fmt.stop_title(node.stop_reason).lower() if node.finished else "working…")
        self.summary.setText(" · ".join(facts))
        done = True
        if self.timeline is not None and self.expanded:
            done = self.timeline.sync(deadline)
        if done:
            self.seen = version
        return done

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(tones.tint(self.palette(), "info", 0.5), 2))
        rect = QRectF(self.rect())
        painter.drawLine(QLineF(rect.left() + 3, rect.top() + 6,
                                rect.left() + 3, rect.bottom() - 4))
        painter.end()


def warm_up(panel: QWidget) -> None:
    """Lay out and paint one sample step off screen, so the fonts, styles and bindings a
    timeline needs are loaded now (at start-up) rather than in the first live tick."""
    tree = RunTree()
    for event in WARM_UP_EVENTS:
        tree.apply(event)
    assert tree.root is not None
    sample = RunTimeline(tree.root, panel)
    sample.hide()  # never shown with the panel; rendered off screen only
    sample.sync(time.perf_counter() + 1.0)
    sample.resize(400, 600)
    sample.grab()
    sample.deleteLater()


_IDS = {"run_id": "warm-up", "depth": 0}
WARM_UP_EVENTS: list[dict[str, Any]] = [
    {"type": "run_started", **_IDS, "question": "", "root_model": "m", "sub_model": "s",
     "context_chars": 1, "documents": 1, "limits": {"max_iterations": 1}},
    {"type": "iteration_started", **_IDS, "iteration": 1, "max_iterations": 1},
    {"type": "model_response", **_IDS, "iteration": 1, "model": "m", "text": "Look.",
     "prompt_tokens": 1, "completion_tokens": 1},
    {"type": "cell_started", **_IDS, "iteration": 1, "cell": 1, "code": "print(1)  # x"},
    {"type": "subcall_started", **_IDS, "call_id": "w:1", "kind": "llm_query", "model": "s",
     "prompt_preview": "p", "prompt_chars": 1, "iteration": 1, "cell": 1},
    {"type": "subcall_finished", **_IDS, "call_id": "w:1", "kind": "llm_query", "model": "s",
     "response_preview": "a", "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": 0.0},
    {"type": "cell_finished", **_IDS, "iteration": 1, "cell": 1, "output": "1",
     "error": "Traceback"},
    {"type": "notice", **_IDS, "level": "warning", "message": "w"},
    {"type": "answer", **_IDS, "text": "a"},
    {"type": "run_finished", **_IDS, "stop_reason": "answered", "duration_s": 1.0},
]
