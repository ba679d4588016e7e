"""The live run panel: every step, code cell, output and helper question of a question, with
totals. The plain view (the default) leaves out code, output, tracebacks and token counts;
"Show details" brings them back.

Events are queued as they arrive and applied on a short timer with a time budget
(``TICK_BUDGET_S``): a burst of a thousand events becomes a few small ticks, never one
long stall of the window. The same panel replays a stored run read-only.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPalette, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.events import StopReason
from engine.rlm.pace_words import PACE_TIP, pace_line, reused_count
from rlm_desktop.advice import in_app
from rlm_desktop.replies import AskResult, RunRecord
from rlm_desktop.run import format as fmt
from rlm_desktop.run.blocks import Elided, ToneIcon, muted_label, small_font
from rlm_desktop.run.cards import RunTimeline, warm_up
from rlm_desktop.run.header import BudgetBar, StatBox, stop_icon, window_text
from rlm_desktop.run.sandbox_badge import SandboxBadge
from rlm_desktop.run.tree import RunTree
from rlm_desktop.widgets.safe_text import safe_tooltip

SAVED = "Saved run"          # how a replayed run's status begins
EMPTY_TITLE = "Watch the model work"
EMPTY_TEXT = ("When you ask a question, you can watch the work here: each step the model "
              "takes, the code it runs and what it prints, every question it hands to a "
              "helper model, and the running cost.")


class RunPanel(QWidget):
    """Shows one question's run as it happens (``begin``/``add_event``/``finish``) or from
    history (``show_run``)."""

    stop_requested = Signal()
    export_requested = Signal()      # Export… pressed: the window knows which run is shown
    details_toggled = Signal(bool)   # the person pressed Show details (the window remembers it)

    TICK_MS = 30              # events arriving within this time are applied together
    APPLY_BUDGET_S = 0.004    # per tick: folding events into the tree...
    TICK_BUDGET_S = 0.010     # ...and building widgets, then the window gets its turn

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Run panel")
        self.details = False     # plain view until set_details(True)
        self.tree = RunTree()
        self.timeline: RunTimeline | None = None
        self.live = False
        self.read_only = False
        self.replay_kind = SAVED
        self.stopping = False
        self.question = ""
        self.final_elapsed: float | None = None
        self.longest_tick_s = 0.0
        self.ticks = 0
        self._queue: deque[tuple[str, Any, Any]] = deque()
        self._header_seen = (-1, -1)
        self._follow = True
        self._started_at: float | None = None   # time.monotonic() when the live run began
        self._build()
        self._pump = QTimer(self)
        self._pump.setSingleShot(True)
        self._pump.timeout.connect(self._tick)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._show_elapsed)
        stop_key = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        stop_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        stop_key.activated.connect(self.request_stop)
        self.clear()
        warm_up(self)

    # --- layout -----------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        header = self.header = QWidget(self)
        grid = QVBoxLayout(header)
        grid.setContentsMargins(14, 12, 14, 10)
        grid.setSpacing(8)
        top = QHBoxLayout()
        self.question_label = QLabel()
        self.question_label.setWordWrap(True)
        self.question_label.setTextFormat(Qt.TextFormat.PlainText)
        self.question_label.setFont(small_font(self.question_label, 1.5, bold=True))
        self.question_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                          QSizePolicy.Policy.Preferred)
        top.addWidget(self.question_label, 1)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setAccessibleName("Stop this run")
        self.stop_button.setToolTip("Stop this run; what it found so far is kept (Esc)")
        self.stop_button.setIcon(stop_icon(self.stop_button))
        self.stop_button.clicked.connect(self.request_stop)
        top.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignTop)
        self.export_button = QPushButton("Export…")
        self.export_button.setAccessibleName("Export this answer")
        self.export_button.setToolTip("Save this answer and its sources as a Word, PDF or "
                                      "Markdown file")
        self.export_button.clicked.connect(self.export_requested)
        self.export_button.setVisible(False)
        top.addWidget(self.export_button, 0, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(top)
        status = QHBoxLayout()
        status.setSpacing(6)
        self.status_icon = ToneIcon("idle", header)
        status.addWidget(self.status_icon)
        self.status_label = Elided()
        self.status_label.setAccessibleName("Run status")
        status.addWidget(self.status_label, 1)
        self.badge = SandboxBadge(header)
        status.addWidget(self.badge)
        grid.addLayout(status)
        stats = QGridLayout()
        stats.setHorizontalSpacing(18)
        self.cost_box, self.tokens_box = StatBox("Cost"), StatBox("Tokens")
        self.calls_box, self.time_box = StatBox("Model calls"), StatBox("Elapsed")
        self.steps_box, self.helpers_box = StatBox("Steps"), StatBox("Helper questions")
        self.window_box = StatBox("Reads at once")
        boxes = (self.cost_box, self.steps_box, self.helpers_box, self.tokens_box,
                 self.calls_box, self.time_box, self.window_box)
        for column, box in enumerate(boxes):
            stats.addWidget(box, 0, column)
        stats.setColumnStretch(len(boxes), 1)
        self.details_button = QToolButton(header)
        self.details_button.setText("Show details")
        self.details_button.setCheckable(True)
        self.details_button.setAccessibleName("Show details")
        self.details_button.setToolTip("Show the code the model writes, what it prints, error "
                                       "messages and token counts")
        self.details_button.toggled.connect(self._details_pressed)
        stats.addWidget(self.details_button, 0, len(boxes) + 1,
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
        grid.addLayout(stats)
        self.pace_label = muted_label()   # details view: the helper questions sent at once
        self.pace_label.setAccessibleName("Helper questions at a time")
        self.pace_label.setToolTip(PACE_TIP)
        grid.addWidget(self.pace_label)
        self._show_mode()
        self.budget_row = QWidget(header)
        budget = QHBoxLayout(self.budget_row)
        budget.setContentsMargins(0, 0, 0, 0)
        self.budget_bar = BudgetBar()
        budget.addWidget(self.budget_bar, 1)
        self.budget_label = muted_label()
        budget.addWidget(self.budget_label)
        grid.addWidget(self.budget_row)
        outer.addWidget(header)
        self.header_line = QFrame(self)
        self.header_line.setFrameShape(QFrame.Shape.HLine)
        self.header_line.setFrameShadow(QFrame.Shadow.Sunken)
        outer.addWidget(self.header_line)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setAccessibleName("Steps of the run")
        self.content = QWidget()
        self.content.setBackgroundRole(QPalette.ColorRole.Window)
        self.content_layout = QVBoxLayout(self.content)
        self.content_layout.setContentsMargins(12, 12, 12, 16)
        self.content_layout.setSpacing(10)
        self.empty = QWidget(self.content)       # what shows before any step arrives
        empty = QVBoxLayout(self.empty)
        empty.setContentsMargins(24, 48, 24, 24)
        self.empty_title = QLabel(EMPTY_TITLE)
        self.empty_title.setFont(small_font(self.empty_title, 2.0, bold=True))
        self.empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_text = muted_label(EMPTY_TEXT, wrap=True, small=False)
        self.empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.addWidget(self.empty_title)
        empty.addWidget(self.empty_text)
        self.content_layout.addWidget(self.empty)
        self.content_layout.addStretch(1)
        self.scroll_area.setWidget(self.content)
        bar = self.scroll_area.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._range_changed)
        outer.addWidget(self.scroll_area, 1)

    # --- the interface MainWindow uses ------------------------------------------

    def begin(self, question: str) -> None:
        """A new live run: clears the panel and starts the clock."""
        self.clear()
        self.question = question
        self.live = True
        self._follow = True
        self._started_at = time.monotonic()
        self._ticker.start()
        self.question_label.setText(fmt.one_line(question, 240))
        self.question_label.setToolTip(safe_tooltip(question))
        self.stop_button.setVisible(True)
        self.stop_button.setEnabled(True)
        self.empty_title.setText("Starting…")
        self.empty_text.setText("Getting the documents and the safe workspace ready.")
        self._refresh_header(force=True)

    def add_event(self, event: dict[str, Any]) -> None:
        """Any run event (all depths), in order; applied on the next tick."""
        self._queue.append(("event", event, None))
        self._schedule()

    def finish(self, result: AskResult | None, error: str | None = None) -> None:
        """The ask reply, or an error (the worker died): the run ends, everything stays."""
        self._queue.append(("finish", result, error))
        self._schedule()

    def show_run(self, run: RunRecord, events: list[dict[str, Any]],
                 kind: str = SAVED) -> None:
        """Replay a stored run, read-only (no Stop); ``kind`` heads its status ("Saved run",
        or the demo's words)."""
        self.clear()
        self.read_only = True
        self.replay_kind = kind
        self._follow = False
        self.question = run.question
        self.question_label.setText(fmt.one_line(self.question, 240))
        self.question_label.setToolTip(safe_tooltip(self.question))
        self.empty_title.setText("Opening the saved run…")
        self.empty_text.setText("")
        self._queue.extend(("event", e, None) for e in events)
        self._queue.append(("stored", run, None))
        self._schedule()

    def clear(self) -> None:
        self._pump.stop()
        self._ticker.stop()
        self._queue.clear()
        if self.timeline is not None:
            self.timeline.hide()
            self.timeline.deleteLater()
            self.timeline = None
        self.tree = RunTree()
        self.live = self.read_only = self.stopping = False
        self.replay_kind = SAVED
        self.question = ""
        self.final_elapsed = None
        self._started_at = None
        self._header_seen = (-1, -1)
        self.question_label.setText("No question yet")
        self.question_label.setToolTip("")
        self.stop_button.setVisible(False)
        self.stop_button.setText("Stop")
        self.empty_title.setText(EMPTY_TITLE)
        self.empty_text.setText(EMPTY_TEXT)
        self.empty.show()
        self._refresh_header(force=True)

    def set_details(self, details: bool) -> None:
        """Switch between the plain view and the details view; the run shown is redrawn."""
        if details == self.details:
            return
        self.details = details
        self._show_mode()
        if self.timeline is not None:      # rebuilt from the tree on the next tick
            self.timeline.hide()
            self.timeline.deleteLater()
            self.timeline = None
            self._schedule()
        self._refresh_header(force=True)

    def _details_pressed(self, checked: bool) -> None:
        if checked != self.details:
            self.set_details(checked)
            self.details_toggled.emit(checked)

    def _show_mode(self) -> None:
        details = self.details
        self.details_button.blockSignals(True)
        self.details_button.setChecked(details)
        self.details_button.blockSignals(False)
        self.details_button.setText("Hide details" if details else "Show details")
        for box in (self.tokens_box, self.calls_box):
            box.setVisible(details)
        for box in (self.steps_box, self.helpers_box):
            box.setVisible(not details)
        self._show_pace()

    def _show_pace(self) -> None:
        """The last change of the helper questions sent at once, in the details view."""
        pace = self.tree.pace if self.live or self.tree.root is not None else None
        text = ""
        if pace is not None:
            line = pace_line(int(pace.get("previous") or 0), int(pace.get("limit") or 0),
                             str(pace.get("reason") or ""), int(pace.get("ceiling") or 0),
                             float(pace.get("pause_s") or 0.0))
            text = line[:1].upper() + line[1:]
        if text != self.pace_label.text():
            self.pace_label.setText(text)
        self.pace_label.setVisible(self.details and bool(text))

    def request_stop(self) -> None:
        """Stop button or Esc: ask once, and say that stopping is under way."""
        if not self.live or self.stopping:
            return
        self.stopping = True
        self.stop_button.setText("Stopping…")
        self.stop_button.setEnabled(False)
        self._refresh_header(force=True)
        self.stop_requested.emit()

    def elapsed(self) -> float | None:
        """Seconds since ``begin`` of the live run (None when there is none)."""
        return None if self._started_at is None else time.monotonic() - self._started_at

    # --- for tests, benchmarks and screenshots ------------------------------------

    def pending(self) -> int:
        """Events not yet applied, plus one while widgets still catch up."""
        root = self.tree.root
        behind = root is not None and (self.timeline is None or self.timeline.seen != root.version)
        return len(self._queue) + int(behind)

    def flush(self) -> None:
        """Apply everything queued now (tests and screenshots; the app lets ticks do it)."""
        for _ in range(10_000):
            if not self.pending():
                return
            self._tick(budget=3600.0)

    # --- the tick ------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self._pump.isActive():
            self._pump.start(self.TICK_MS)

    def _tick(self, budget: float | None = None) -> None:
        started = time.perf_counter()
        apply_until = started + (budget or self.APPLY_BUDGET_S)
        applied = 0
        while self._queue:
            kind, payload, extra = self._queue.popleft()
            if kind == "event":
                self.tree.apply(payload)
            elif kind == "finish":
                self._apply_finish(payload, extra)
            else:
                self._apply_stored(payload)
            applied += 1
            if applied % 16 == 0 and time.perf_counter() > apply_until:
                break
        root = self.tree.root
        if root is not None and self.timeline is None:
            self.empty.hide()
            self.timeline = RunTimeline(root, self.content, self.details)
            self.content_layout.insertWidget(1, self.timeline)
        self._refresh_header()
        synced = True
        if self.timeline is not None and root is not None and self.timeline.seen != root.version:
            synced = self.timeline.sync(started + (budget or self.TICK_BUDGET_S))
        if self._queue or not synced:
            self._pump.start(0)
        elapsed = time.perf_counter() - started
        self.ticks += 1
        self.longest_tick_s = max(self.longest_tick_s, elapsed)

    def _apply_finish(self, result: AskResult | None, error: str | None) -> None:
        self.final_elapsed = self.elapsed()
        if result is not None:
            self.tree.set_usage(result.usage)
            if result.duration_s is not None:
                self.final_elapsed = result.duration_s
            self.tree.close(result.stop_reason or "failed", answer=result.answer,
                            partial=result.partial, error=in_app(error or result.error),
                            duration_s=self.final_elapsed, question=self.question)
        else:
            self.tree.close("failed", error=in_app(error or "The run ended without a reply."),
                            duration_s=self.final_elapsed, question=self.question)
        self._end_live()

    def _apply_stored(self, run: RunRecord) -> None:
        reason = "running" if run.status == "running" else run.stop_reason or "failed"
        if run.status == "interrupted":
            reason = StopReason.WORKER_DIED
        self.final_elapsed = run.duration_s
        self.tree.set_usage(run.usage)
        self.tree.close(reason, answer=run.answer or None, partial=run.partial,
                        error=in_app(run.error) or None, duration_s=self.final_elapsed,
                        question=self.question)
        self._end_live()

    def _end_live(self) -> None:
        self.live = self.stopping = False
        self._ticker.stop()
        self.stop_button.setVisible(False)
        self._refresh_header(force=True)

    # --- the header -------------------------------------------------------------------

    def _refresh_header(self, force: bool = False) -> None:
        root = self.tree.root
        seen = (self.tree.events, root.version if root else -1)
        if seen == self._header_seen and not force:
            return
        self._header_seen = seen
        kind, text = self._status()
        self.status_icon.set_kind(kind)
        self.status_label.set_full(text)
        self.status_label.setAccessibleDescription(text)
        self.badge.set_status(self.tree.sandbox, checking=self.live)
        busy = self.live or self.read_only or root is not None
        self.export_button.setVisible(not self.live and root is not None and root.finished
                                      and bool(root.answer))
        self.header.setVisible(busy)        # idle: only the empty state says what comes here
        self.header_line.setVisible(busy)
        self._show_totals()
        self._show_elapsed()

    def _status(self) -> tuple[str, str]:
        root = self.tree.root
        prefix = f"{self.replay_kind} · " if self.read_only else ""
        if root is not None and root.finished:  # (the reply itself may still be on its way)
            text = fmt.stop_title(root.stop_reason)
            if root.answer and root.stop_reason != StopReason.ANSWERED:
                text += " · partial answer"
            tone = fmt.stop_tone(root.stop_reason)
            return {"calm": "ok", "neutral": "info"}.get(tone, "warn"), prefix + text
        if self.stopping:
            return "running", "Stopping… the current step is being wrapped up"
        if self.live:
            if root is not None and root.steps:
                step = root.steps[-1]
                return "running", (f"Working · step {step.number} of {step.max_iterations}"
                                   f" · {root.activity()}")
            return "running", "Starting…"
        if self.read_only:
            return "info", "Loading the saved run…"
        return "idle", "Ask a question to see the model work here."

    def _show_totals(self) -> None:
        has_run = self.live or self.tree.root is not None
        totals = self.tree.totals()
        if not has_run:
            for box in (self.cost_box, self.tokens_box, self.calls_box, self.steps_box,
                        self.helpers_box, self.window_box):
                box.set("–")
            self.budget_row.hide()
            self._show_pace()
            return
        if totals.cost_usd is None and totals.calls:
            names = ", ".join(totals.unpriced_models) or "a model"
            known = fmt.money(totals.known_cost_usd)
            self.cost_box.set("unknown", f"The price of {names} is unknown, so the total "
                              f"cannot be given. Known part so far: {known}. Prices can be "
                              "added in Settings.", caption=f"Cost · {known} known")
        else:
            self.cost_box.set(fmt.money(totals.cost_usd or 0.0), "What the model calls cost")
        self.tokens_box.set(fmt.tokens(totals.tokens),
                            f"{totals.prompt_tokens:,} read + {totals.completion_tokens:,} "
                            "written by the models")
        self.calls_box.set(f"{totals.calls:,}", "Replies of the main model and of helpers")
        root = self.tree.root
        steps = root.steps[-1].number if root is not None and root.steps else 0
        limit = root.max_iterations if root is not None else 0
        self.steps_box.set(f"{steps:,}", "Steps the main model has taken" +
                           (f" (at most {limit:,})" if limit else ""))
        questions = sum(1 for call in self.tree.calls.values() if call.kind != "rlm_query")
        reused = sum(1 for call in self.tree.calls.values() if call.cached)
        self.helpers_box.set(
            f"{questions:,}", "Questions the main model handed to the helper model about "
            "pieces of the documents" + (f"; {reused:,} of them had been asked before, so "
                                         "their answers were reused at no cost" if reused
                                         else ""),
            caption=f"Helper questions · {reused_count(reused)}" if reused else None)
        self.window_box.set(*window_text(root.windows if root is not None else {},
                                         self.details))
        self._show_pace()
        budget = self.tree.budget_usd
        self.budget_row.setVisible(budget is not None)
        if budget is not None:
            spent = totals.known_cost_usd
            share = min(1.0, spent / budget)
            self.budget_bar.set_share(share)
            prefix = "at least " if totals.cost_usd is None else ""
            self.budget_label.setText(f"{prefix}{fmt.money(spent)} of {fmt.money(budget)} "
                                      f"budget ({share:.0%})")

    def _show_elapsed(self) -> None:
        if self.final_elapsed is not None:
            self.time_box.set(fmt.clock(self.final_elapsed), fmt.seconds(self.final_elapsed))
        elif self.live and self._started_at is not None:
            self.time_box.set(fmt.clock(self.elapsed() or 0.0))
        else:
            self.time_box.set("–")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.badge.set_compact(self.width() < 520)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.stop_button.setIcon(stop_icon(self.stop_button))
            self._refresh_header(force=True)

    # --- following the newest step ---------------------------------------------------

    def _scrolled(self, value: int) -> None:
        bar = self.scroll_area.verticalScrollBar()
        self._follow = value >= bar.maximum() - 24

    def _range_changed(self, _low: int, high: int) -> None:
        # Also right after the end, so the outcome card comes into view.
        if self._follow and not self.read_only:
            self.scroll_area.verticalScrollBar().setValue(high)
