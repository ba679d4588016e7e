"""The helper questions a code cell asked, as a compact table: question, answer, tokens, cost,
time (tokens in the details view only)."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QTreeWidget, QTreeWidgetItem

from engine.rlm.pace_words import REUSED, REUSED_TIP
from rlm_desktop.run import format as fmt
from rlm_desktop.run.blocks import paint_mark
from rlm_desktop.run.tree import CallNode
from rlm_desktop.widgets.safe_text import safe_tooltip

CALL_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def call_state(call: CallNode) -> str:
    if call.interrupted:
        return "idle"
    if not call.finished:
        return "running"
    return "warn" if call.error else "ok"


def common_start(a: str, b: str) -> str:
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return a[:size]


def word_prefix(common: str, count: int, minimum: int = 24) -> str:
    """The whole words of ``common`` (what ``count`` prompts all begin with) when at least
    three prompts share a long enough start, else ""."""
    if count < 3:
        return ""
    cut = common.rfind(" ")
    return common[: cut + 1] if cut + 1 >= minimum else ""


def call_text(call: CallNode, shared: str = "") -> str:
    """Two lines: what was asked, and what came back (or that it is still working)."""
    prompt = fmt.one_line(call.prompt_preview, 240) or "(empty prompt)"
    if shared and prompt.startswith(shared) and len(prompt) > len(shared):
        prompt = "…" + prompt[len(shared):]
    if call.kind == "rlm_query":
        prompt = "Helper analysis: " + prompt
    if call.interrupted:
        answer = "did not finish"
    elif not call.finished:
        answer = "working…"
    elif call.error:
        answer = "did not work: " + fmt.one_line(call.error, 200)
    else:
        answer = "→ " + (fmt.one_line(call.response_preview, 240) or "(empty answer)")
        if call.cached:   # first, so eliding a long answer never hides it
            answer = f"→ ({REUSED}) " + answer.removeprefix("→ ")
    return f"{prompt}\n{answer}"


def call_tooltip(call: CallNode) -> str:
    what = "A helper analysis (rlm_query)" if call.kind == "rlm_query" else \
        "A helper question (llm_query)"
    lines = [f"{what} to {call.model or 'the helper model'}, depth {call.depth}",
             f"Prompt ({call.prompt_chars:,} characters): {fmt.one_line(call.prompt_preview, 300)}"]
    if call.finished and not call.error:
        lines.append(f"Answer ({call.response_chars:,} characters): "
                     f"{fmt.one_line(call.response_preview, 300)}")
    if call.error:
        lines.append(f"Problem: {fmt.one_line(call.error, 300)}")
    if call.cached:
        lines.append(REUSED_TIP)
    elif call.finished:
        lines.append(f"{call.prompt_tokens:,} prompt + {call.completion_tokens:,} completion "
                     f"tokens · cost {fmt.money(call.cost_usd)} · {fmt.seconds(call.latency_s)}")
    if call.kind == "rlm_query":
        lines.append("Its steps are shown below this table.")
    return "\n".join(lines)


class CallsTable(QTreeWidget):
    """One row per call, in the order the code made them; grows up to ``VISIBLE_ROWS``."""

    VISIBLE_ROWS = 8
    child_requested = Signal(str)   # the call id of an rlm_query whose helper run to show

    def __init__(self, parent: QFrame | None = None, details: bool = True) -> None:
        super().__init__(parent)
        self.setAccessibleName("Helper questions of this step")
        self.setColumnCount(4)
        self.setHeaderLabels(["Helper question and answer", "Tokens", "Cost", "Time"])
        self.headerItem().setToolTip(1, "Tokens: the pieces of text the models read and wrote, "
                                        "which the AI service charges for")
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.viewport().setBackgroundRole(QPalette.ColorRole.AlternateBase)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        metrics = self.fontMetrics()
        for column, sample in ((1, "888.8k"), (2, "$0.000088"), (3, "88.8 s")):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.setColumnWidth(column, metrics.horizontalAdvance(sample) + 16)
            self.headerItem().setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
        self.setColumnHidden(1, not details)    # the plain view shows no token counts
        self.seen: list[int] = []
        self.nodes: list[CallNode] = []
        self.shared = ""   # the start every prompt repeats, shown once in the tooltip
        self._common: str | None = None
        self._icons: dict[str, QIcon] = {}
        self._row_height = 0
        self.itemActivated.connect(self._activated)
        self.itemClicked.connect(self._activated)

    def sync(self, calls: list[CallNode], deadline: float) -> bool:
        """Update changed rows and add new ones until ``deadline``; True when up to date."""
        if len(calls) > len(self.nodes):
            # A batch usually repeats one instruction: the common start only shrinks as
            # prompts arrive, so only the new ones need comparing.
            common = self._common
            for call in calls[len(self.nodes):]:
                text = fmt.one_line(call.prompt_preview, 240)
                common = text if common is None else common_start(common, text)
            self._common = common
            shared = word_prefix(common or "", len(calls))
            if shared != self.shared:
                self.shared = shared
                self.seen = [-1] * len(self.seen)   # show every row with the new prefix
                self.setToolTip(safe_tooltip(f"Every prompt here begins: “{shared.strip()} …”")
                                if shared else "")
        for index, seen in enumerate(self.seen):
            if calls[index].version != seen:
                item = self.topLevelItem(index)
                if item is not None:
                    self._fill(item, calls[index])
                self.seen[index] = calls[index].version
        added = 0
        done = True
        while len(self.seen) < len(calls):
            if added % 32 == 31 and time.perf_counter() > deadline:
                done = False
                break
            call = calls[len(self.seen)]
            item = QTreeWidgetItem()
            for column in (1, 2, 3):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight
                                      | Qt.AlignmentFlag.AlignTop)
            item.setData(0, CALL_ID_ROLE, call.call_id)
            self._fill(item, call)
            self.addTopLevelItem(item)
            self.nodes.append(call)
            self.seen.append(call.version)
            added += 1
        if added:
            self._fit()
        return done

    def _fill(self, item: QTreeWidgetItem, call: CallNode) -> None:
        item.setText(0, call_text(call, self.shared))
        item.setIcon(0, self._icon(call_state(call)))
        item.setToolTip(0, safe_tooltip(call_tooltip(call)))   # prompts and model names
        if call.cached:
            item.setText(1, "–")
            item.setText(2, "reused")
            item.setText(3, "–")
        elif call.finished:
            item.setText(1, fmt.compact(call.prompt_tokens + call.completion_tokens))
            item.setText(2, fmt.money(call.cost_usd))
            item.setText(3, fmt.seconds(call.latency_s))
        elif call.kind == "rlm_query" and call.usage.calls:  # the helper run's calls so far
            item.setText(1, fmt.compact(call.usage.tokens))
            item.setText(2, fmt.money(call.usage.cost_usd))

    def _fit(self) -> None:
        rows = self.topLevelItemCount()
        if not self._row_height and rows:
            self._row_height = max(self.sizeHintForRow(0), 2 * self.fontMetrics().lineSpacing())
        shown = min(rows, self.VISIBLE_ROWS)
        height = self.header().sizeHint().height() + shown * self._row_height \
            + 2 * self.frameWidth() + 2
        if height != self.height():
            self.setFixedHeight(height)

    def _icon(self, kind: str) -> QIcon:
        icon = self._icons.get(kind)
        if icon is None:
            side = self.fontMetrics().height()
            ratio = self.devicePixelRatioF()
            pixmap = QPixmap(int(side * ratio), int(side * ratio))
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            paint_mark(painter, QRectF(2.5, 2.5, side - 5, side - 5), kind, self.palette())
            painter.end()
            icon = self._icons[kind] = QIcon(pixmap)
        return icon

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        index = self.indexOfTopLevelItem(item)
        if 0 <= index < len(self.nodes) and self.nodes[index].kind == "rlm_query":
            self.child_requested.emit(self.nodes[index].call_id)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._icons:
            self._icons.clear()
            for index, call in enumerate(self.nodes):
                item = self.topLevelItem(index)
                if item is not None:
                    item.setIcon(0, self._icon(call_state(call)))
