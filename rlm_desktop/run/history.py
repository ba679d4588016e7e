"""History: the questions asked before, per collection, to reopen (read-only) or delete."""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QKeySequence,
    QPainter,
    QPalette,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from engine.events import StopReason
from rlm_desktop.replies import RunRecord
from rlm_desktop.run import format as fmt
from rlm_desktop.run.blocks import muted_label, paint_mark, small_font
from rlm_desktop.widgets import palette_tones as tones
from rlm_desktop.widgets.safe_links import open_untrusted_link
from rlm_desktop.widgets.safe_text import MarkdownView, safe_tooltip

RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
META_ROLE = Qt.ItemDataRole.UserRole + 3     # the second line: collection, date, cost, result
KIND_ROLE = Qt.ItemDataRole.UserRole + 4     # the outcome's mark: ok, warn, running, info
CITES_ROLE = Qt.ItemDataRole.UserRole + 5    # "4 sources checked · 1 not found", or ""
CITES_WARN_ROLE = Qt.ItemDataRole.UserRole + 6   # True: a quote was not found, or is broken
CITES_SHORT_ROLE = Qt.ItemDataRole.UserRole + 7  # "4 sources · 1 not found", for a narrow list
ALL = "All collections"
EMPTY_TEXT = ("No questions yet.\nAsk something in the Ask panel: every question, its answer "
              "and each step the model took are kept here to look at again.")
SHORT_RESULTS: dict[StopReason, str] = {
    StopReason.ANSWERED: "Answered", StopReason.MAX_ITERATIONS: "Partial: step limit",
    StopReason.BUDGET: "Partial: spending limit", StopReason.TIMEOUT: "Partial: time limit",
    StopReason.MAX_SUB_CALLS: "Partial: helper question limit",
    StopReason.MAX_ERRORS: "Stopped: code kept failing", StopReason.CANCELLED: "Stopped by you",
    StopReason.PROVIDER_ERROR: "Failed: AI service",
    StopReason.SANDBOX_ERROR: "Failed: safe workspace",
    StopReason.ERROR: "Error", StopReason.WORKER_DIED: "Interrupted",
}


def result_of(run: RunRecord, short: bool = False) -> tuple[str, str]:
    """(mark kind, words) for a history row's outcome; ``short`` for the list."""
    status = run.status
    if status == "running":
        return "running", "Running…"
    reason = StopReason.WORKER_DIED if status == "interrupted" else run.stop_reason
    known = StopReason.parse(reason)
    kind = {"calm": "ok", "neutral": "info"}.get(fmt.stop_tone(reason), "warn")
    if short:
        return kind, SHORT_RESULTS[known] if known is not None else fmt.stop_title(reason)
    text = fmt.stop_title(reason)
    if run.partial and known not in (StopReason.ANSWERED, StopReason.WORKER_DIED):
        text += " (partial answer)"
    return kind, text


# What became of the checked citations, in VOCABULARY.md's words, shortened for a list.
CITATION_COUNT_WORDS = (("not_found", "not found"), ("invalid", "broken"),
                        ("relocated", "corrected"), ("no_quote", "without a quote"))
WARNING_STATUSES = ("not_found", "invalid")


def citation_summary(counts: dict[str, object], *,
                     short: bool = False) -> tuple[str, bool]:
    """("4 sources checked · 1 not found", True when any is not found or broken); ("", False)
    for an answer with no checked citations. ``short`` leaves out "checked"."""
    numbers = {str(k): v for k, v in counts.items()
               if isinstance(v, int) and not isinstance(v, bool) and v > 0}
    total = sum(numbers.values())
    if not total:
        return "", False
    parts = [f"{total:,} source{'s' if total != 1 else ''}" + ("" if short else " checked")]
    parts += [f"{numbers[status]:,} {words}" for status, words in CITATION_COUNT_WORDS
              if numbers.get(status)]
    return " · ".join(parts), any(numbers.get(status) for status in WARNING_STATUSES)


def cost_text(run: RunRecord) -> str:
    cost = run.cost_usd
    return fmt.money(cost) if cost is not None else "cost unknown"


class HistoryDelegate(QStyledItemDelegate):
    """Two lines per question: the question, then collection · date · cost · outcome."""

    def sizeHint(self, option: QStyleOptionViewItem,
                 index: QModelIndex | QPersistentModelIndex) -> QSize:
        line = option.fontMetrics.lineSpacing()
        return QSize(200, 2 * line + 16)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        widget = option.widget
        style = widget.style() if widget is not None else None
        palette = option.palette
        painter.save()
        if style is not None:
            opt = QStyleOptionViewItem(option)
            opt.text = ""
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_role = palette.ColorRole.HighlightedText if selected else palette.ColorRole.Text
        rect = option.rect.adjusted(10, 7, -10, -7)
        line = option.fontMetrics.lineSpacing()
        font = small_font(widget, 0.0, bold=True) if widget is not None else option.font
        painter.setFont(font)
        painter.setPen(palette.color(text_role))
        question = painter.fontMetrics().elidedText(str(index.data() or ""),
                                                    Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), line),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), question)
        second = QRect(rect.left(), rect.top() + line + 2, rect.width(), line)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        side = line - 4
        paint_mark(painter, QRectF(second.left(), second.top() + 2, side, side),
                   str(index.data(KIND_ROLE) or "info"), palette)
        painter.setFont(option.font)
        metrics = painter.fontMetrics()
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        room = second.width() - side - 6
        # The citations' check last, kept whole (the rest is cut first; a narrow list gets
        # the short words), in the warning tone when a quote was not found or is broken.
        meta = str(index.data(META_ROLE) or "")
        cites = str(index.data(CITES_ROLE) or "")
        if cites and metrics.horizontalAdvance(f"{meta} · {cites}") > room:
            cites = str(index.data(CITES_SHORT_ROLE) or cites)
        cites = " · " + cites if cites else ""
        cites_width = min(metrics.horizontalAdvance(cites), room * 3 // 5)
        painter.setPen(palette.color(text_role) if selected else tones.muted(palette))
        meta = metrics.elidedText(meta, Qt.TextElideMode.ElideRight, room - cites_width)
        meta_rect = second.adjusted(side + 6, 0, 0, 0)
        painter.drawText(meta_rect, int(left), meta)
        if cites:
            if index.data(CITES_WARN_ROLE) and not selected:
                painter.setPen(tones.tone(palette, "warn"))
            start = meta_rect.left() + metrics.horizontalAdvance(meta)
            painter.drawText(QRect(start, second.top(), meta_rect.right() - start,
                                   second.height()), int(left),
                             metrics.elidedText(cites, Qt.TextElideMode.ElideRight,
                                                meta_rect.right() - start))
        painter.restore()


class HistoryFilter(QSortFilterProxyModel):
    """Rows of one collection (or all) whose question or answer contains the search text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.collection: str | None = None
        self.text = ""
        self.rows: list[RunRecord] = []
        self.setSortRole(SORT_ROLE)

    def set_filter(self, collection: str | None, text: str) -> None:
        self.beginFilterChange()
        self.collection, self.text = collection, text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int,
                         parent: QModelIndex | QPersistentModelIndex) -> bool:
        if row >= len(self.rows):
            return True
        run = self.rows[row]
        if self.collection is not None and run.collection != self.collection:
            return False
        if self.text:
            words = f"{run.question}\n{run.answer}".casefold()
            return self.text in words
        return True


class HistoryPanel(QWidget):
    """Past questions with answer preview, date, cost and outcome; open or delete one."""

    open_requested = Signal(str)     # run_id
    delete_requested = Signal(str)   # run_id, after the person confirmed
    export_requested = Signal(str, str)   # run_id, the question

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("History of questions")
        self.runs: list[RunRecord] = []
        self.model = QStandardItemModel(self)
        self.proxy = HistoryFilter(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.sort(0, Qt.SortOrder.DescendingOrder)
        self._build()
        self.search.setVisible(False)
        self.collections.setVisible(False)
        self._show_selected()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(8)
        bar = QHBoxLayout()
        self.collections = QComboBox()
        self.collections.setAccessibleName("Show questions of collection")
        self.collections.addItem(ALL)
        self.collections.currentIndexChanged.connect(self._refilter)
        bar.addWidget(self.collections)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search questions and answers")
        self.search.setAccessibleName("Search questions and answers")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._refilter)
        bar.addWidget(self.search, 1)
        layout.addLayout(bar)
        self.stack = QStackedWidget()
        self.empty = muted_label(EMPTY_TEXT, wrap=True, small=False)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_page = QWidget()
        centred = QVBoxLayout(self.empty_page)
        centred.addStretch(1)
        centred.addWidget(self.empty)
        centred.addStretch(1)
        self.stack.addWidget(self.empty_page)
        self.view = QListView()
        self.view.setAccessibleName("Past questions")
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(HistoryDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.activated.connect(self._open_index)
        self.view.doubleClicked.connect(self._open_index)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        self.stack.addWidget(self.view)
        layout.addWidget(self.stack, 1)
        self.preview = QWidget()
        preview = QVBoxLayout(self.preview)
        preview.setContentsMargins(2, 4, 2, 0)
        preview.setSpacing(4)
        self.preview_question = QLabel()
        self.preview_question.setWordWrap(True)
        self.preview_question.setTextFormat(Qt.TextFormat.PlainText)
        self.preview_question.setFont(small_font(self.preview_question, 0.5, bold=True))
        preview.addWidget(self.preview_question)
        # Answers are Markdown the model wrote: rendered the safe way (a QLabel's Markdown
        # would render its HTML and read the files its images point at).
        self.preview_answer = MarkdownView(
            on_link=lambda url: open_untrusted_link(url, self))
        self.preview_answer.setAccessibleName("Answer")
        preview.addWidget(self.preview_answer)
        self.preview_facts = muted_label(wrap=True)
        preview.addWidget(self.preview_facts)
        self.preview_citations = muted_label(wrap=True)
        self.preview_citations.setAccessibleName("Citations checked")
        preview.addWidget(self.preview_citations)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("See every step of this question again (Enter)")
        self.open_button.setAccessibleName("Open the selected question's steps")
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip("Delete this question from the history (Delete)")
        self.delete_button.setAccessibleName("Delete the selected question from the history")
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save this question's answer and its sources as a Word, "
                                      "PDF or Markdown file")
        self.export_button.setAccessibleName("Export the selected question's answer")
        self.export_button.clicked.connect(self.export_selected)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        preview.addLayout(buttons)
        layout.addWidget(self.preview)
        delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.view)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.activated.connect(self.delete_selected)

    # --- the interface MainWindow uses ------------------------------------------

    def set_runs(self, runs: list[RunRecord]) -> None:
        """The ``history`` rows, newest first; keeps the selection when the run is still there."""
        selected = self.selected_run()
        keep = selected.run_id if selected else None
        self.runs = list(runs)
        self.proxy.rows = self.runs
        self.model.clear()
        for run in self.runs:
            self.model.appendRow(self._item(run))
        self._fill_collections()
        self.stack.setCurrentWidget(self.view if self.runs else self.empty_page)
        self.search.setVisible(bool(self.runs))  # nothing to search yet
        if (keep is None or not self.select_run(keep)) and self.proxy.rowCount():
            self.view.setCurrentIndex(self.proxy.index(0, 0))
        self._show_selected()

    def _item(self, run: RunRecord) -> QStandardItem:
        question = " ".join(run.question.split()) or "(no question)"
        kind, result = result_of(run, short=True)
        meta = [run.collection, fmt.when(run.started_at), cost_text(run), result]
        item = QStandardItem(question)
        item.setData(run.run_id, RUN_ID_ROLE)
        item.setData(run.started_at, SORT_ROLE)
        item.setData(" · ".join(m for m in meta if m), META_ROLE)
        item.setData(kind, KIND_ROLE)
        cites, warn = citation_summary(run.citation_counts)
        item.setData(cites, CITES_ROLE)
        item.setData(warn, CITES_WARN_ROLE)
        item.setData(citation_summary(run.citation_counts, short=True)[0], CITES_SHORT_ROLE)
        answer = run.answer
        item.setToolTip(safe_tooltip(f"{question}\n\n{result_of(run)[1]}"
                                     + (f"\n{cites}" if cites else "")
                                     + (f"\n{answer}" if answer else "")))
        item.setData(f"{question}. {' · '.join(m for m in [*meta, cites] if m)}",
                     Qt.ItemDataRole.AccessibleTextRole)
        return item

    def _fill_collections(self) -> None:
        current = self.collections.currentText()
        names = sorted({r.collection for r in self.runs if r.collection}, key=str.casefold)
        self.collections.blockSignals(True)
        self.collections.clear()
        self.collections.addItem(ALL)
        self.collections.addItems(names)
        self.collections.setCurrentIndex(max(0, self.collections.findText(current)))
        self.collections.blockSignals(False)
        self.collections.setVisible(len(names) > 1)
        self._refilter()

    def _refilter(self) -> None:
        name = self.collections.currentText()
        self.proxy.set_filter(None if name in (ALL, "") else name, self.search.text())

    # --- selection, open, delete ------------------------------------------------

    def selected_run(self) -> RunRecord | None:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        run_id = index.data(RUN_ID_ROLE)
        return next((r for r in self.runs if r.run_id == run_id), None)

    def select_run(self, run_id: str) -> bool:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(RUN_ID_ROLE) == run_id:
                self.view.setCurrentIndex(index)
                return True
        return False

    def open_selected(self) -> None:
        run = self.selected_run()
        if run is not None:
            self.open_requested.emit(run.run_id)

    def export_selected(self) -> None:
        run = self.selected_run()
        if run is not None and run.status != "running":
            self.export_requested.emit(run.run_id, run.question)

    def delete_selected(self) -> None:
        run = self.selected_run()
        if run is not None and self.confirm_delete(run):
            self.delete_requested.emit(run.run_id)

    def confirm_delete(self, run: RunRecord) -> bool:
        """Ask before deleting (tests replace this method)."""
        question = fmt.one_line(run.question, 120)
        box = QMessageBox(
            QMessageBox.Icon.Question, "Delete this question?",
            f"Delete “{question}” and its saved steps from the history?\n\n"
            "Your documents are not affected.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        # Not QMessageBox.question: it would read a question holding a tag as rich text.
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        return box.exec() == QMessageBox.StandardButton.Yes

    def _open_index(self, index: QModelIndex) -> None:
        run_id = index.data(RUN_ID_ROLE)
        if run_id:
            self.open_requested.emit(str(run_id))

    def _show_selected(self) -> None:
        run = self.selected_run()
        self.open_button.setEnabled(run is not None)
        self.delete_button.setEnabled(run is not None)
        self.export_button.setEnabled(run is not None and run.status != "running")
        self.preview.setVisible(run is not None)
        if run is None:
            return
        self.preview_question.setText(run.question)
        cut = len(fmt.plain_citations(run.answer)) >= 300   # the stored preview's length
        answer = fmt.markdown_citations(run.answer)
        self.preview_answer.set_markdown(answer + ("…" if cut else "")
                                         if answer else "*No answer was given.*")
        _, result = result_of(run)
        cost = run.cost_usd
        facts = [run.collection, fmt.when(run.started_at), fmt.seconds(run.duration_s),
                 f"cost {fmt.money(cost)}" if cost is not None else "cost unknown", result]
        self.preview_facts.setText(" · ".join(f for f in facts if f))
        cites, warn = citation_summary(run.citation_counts)
        self.preview_citations.setText(cites + (": check the claims marked ⚠ before relying "
                                                "on them" if warn else ""))
        self.preview_citations.setVisible(bool(cites))
        self._tone_citations(warn)

    def _tone_citations(self, warn: bool) -> None:
        label, palette = self.preview_citations, QPalette(self.palette())
        palette.setColor(QPalette.ColorRole.WindowText, tones.tone(palette, "warn"))
        label.setPalette(palette)
        label.setForegroundRole(QPalette.ColorRole.WindowText if warn
                                else QPalette.ColorRole.PlaceholderText)
        label.setProperty("warn", warn)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.view.viewport().update()
            self._tone_citations(bool(self.preview_citations.property("warn")))
