"""The Review tab: choose the documents and the questions (or a template), start, stop,
resume; the grid fills answer by answer with the progress and cost; a click on an answer
shows it beside the grid; earlier reviews reopen; the table exports to Excel, CSV or Word."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rlm_desktop.advice import in_app
from rlm_desktop.review.detail import CellPane
from rlm_desktop.review.exporting import ReviewExporter
from rlm_desktop.review.filters import FilterBar
from rlm_desktop.review.model import Column, ReviewFilter, ReviewModel, Row, rows_from
from rlm_desktop.review.questions import QuestionButtons
from rlm_desktop.review.running import ReviewRun
from rlm_desktop.review.words import (
    NOT_RUN,
    plural,
    progress_words,
)
from rlm_desktop.run.blocks import muted_label
from rlm_desktop.run.format import one_line
from rlm_desktop.widgets.icons import icon
from rlm_desktop.worker_client import WorkerClient

Scope = Callable[[], tuple[str | None, list[int] | None]]
Documents = Callable[[list[int] | None], list[Row]]
NEW = ""            # the reviews list's first entry: a review not created yet
MIN_WIDTH = 180
ROW_TITLE_WIDTH = 240
COLUMN_MAX_WIDTH = 280
FIT_ROWS = 40
PROGRESS_MS = 100         # the progress line is redrawn at most this often


class ReviewPanel(QWidget):
    """See the module docstring. ``scope`` gives the library's collection and checked
    documents; ``documents`` the rows they make, for a review not started yet."""

    citation_clicked = Signal(int, int, str)       # document id, page, quote
    ask_about_table = Signal(str, str)             # review id, its name
    run_requested = Signal(str)                    # an answer's analysis, to show
    message = Signal(str, bool)                    # text, problem

    def __init__(self, client: WorkerClient, scope: Scope, documents: Documents,
                 settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self._scope = scope
        self._documents = documents
        self.setAccessibleName("Review")
        self.review: dict[str, Any] | None = None      # the open review (None: a new one)
        self.drafts: list[dict[str, Any]] = []          # a new review's questions
        self.runner = ReviewRun(client, self)
        self.model = ReviewModel(self)
        self.proxy = ReviewFilter(self)
        self.proxy.setSourceModel(self.model)
        self.exporter = ReviewExporter(client, self, settings)
        self._settings = settings
        self.exporter.reported.connect(self._say)
        self._build()
        self.runner.answered.connect(self._answered)
        self._progress_text = ""
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_MS)
        self._progress_timer.timeout.connect(
            lambda: self.progress.setText(self._progress_text))
        self.runner.progressed.connect(self._progressed)
        self.runner.said.connect(self._say)
        self.runner.ended.connect(self._ended)
        self.model.dataChanged.connect(self._cells_changed)
        self.model.modelReset.connect(self._update)

    # --- layout -------------------------------------------------------------------------

    def _build(self) -> None:
        self.reviews = QComboBox()
        self.reviews.setAccessibleName("Reviews")
        self.reviews.setToolTip("Open an earlier review, or start a new one")
        self.reviews.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.reviews.setMinimumContentsLength(16)
        self.reviews.addItem("New review", NEW)
        self.reviews.activated.connect(self._review_picked)
        self.delete_button = QToolButton()
        self.delete_button.setIcon(icon("remove"))
        self.delete_button.setToolTip("Delete this review (the documents stay in the library)")
        self.delete_button.setAccessibleName("Delete review")
        self.delete_button.clicked.connect(self.confirm_delete)
        top = QHBoxLayout()
        top.addWidget(QLabel("Review:"))
        top.addWidget(self.reviews, 1)
        top.addWidget(self.delete_button)

        self.scope_label = QLabel()
        self.scope_label.setTextFormat(Qt.TextFormat.PlainText)
        self.scope_label.setWordWrap(True)
        self.questions = QuestionButtons(self.client)
        self.questions.chosen.connect(self.add_questions)

        # A new review's spending limit (the worker stops it cleanly there); 0: none.
        self.budget = QDoubleSpinBox()
        self.budget.setAccessibleName("Spending limit for this review")
        self.budget.setPrefix("Stop at $")
        self.budget.setSpecialValueText("No spending limit")
        self.budget.setRange(0.0, 100_000.0)
        self.budget.setDecimals(2)
        self.budget.setSingleStep(1.0)
        self.budget.setToolTip("The review stops when its answers have cost this much (the "
                               "answers being worked on then may add a little); Resume goes "
                               "on later. Set it to 0 for no limit.")
        remembered = (self._settings.value("review/budget", 0.0, type=float)
                      if self._settings is not None else 0.0)
        self.budget.setValue(remembered if isinstance(remembered, float) else 0.0)
        self.start_button = QPushButton(icon("run"), "Start")
        self.start_button.setToolTip("Ask every question of every document")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.setToolTip("Stop; the answers found so far are kept")
        self.stop_button.clicked.connect(self.stop)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Find only the answers not found yet")
        self.resume_button.clicked.connect(lambda: self.run(again=[]))
        self.rerun_button = QPushButton("Re-run failed")
        self.rerun_button.setToolTip("Ask again where the AI service or the safe workspace "
                                     "failed")
        self.rerun_button.clicked.connect(lambda: self.run(again=["failed"]))
        self.export_button = QPushButton(icon("export"), "Export…")
        self.export_button.setToolTip("Save the table as an Excel workbook (with its sources), "
                                      "a CSV table or a Word document")
        self.export_button.clicked.connect(self.export)
        self.add_documents_button = QPushButton(icon("add-file"), "Add new documents")
        self.add_documents_button.setToolTip("Add the documents of the library's selection that "
                                             "this review does not have yet; Resume then "
                                             "finds only their answers")
        self.add_documents_button.clicked.connect(self.add_new_documents)
        self.ask_button = QPushButton(icon("ask"), "Ask about this table…")
        self.ask_button.setToolTip("Ask a question of the whole table (for example: which "
                                   "leases can be ended before 2028?); the answer can still "
                                   "check and cite the documents themselves")
        self.ask_button.clicked.connect(self._ask_about_table)
        actions = QHBoxLayout()
        actions.addWidget(self.budget)
        for button in (self.start_button, self.stop_button, self.resume_button,
                       self.rerun_button):
            actions.addWidget(button)
        actions.addWidget(self.add_documents_button)
        actions.addStretch(1)
        actions.addWidget(self.ask_button)
        actions.addWidget(self.export_button)
        self.progress = QLabel()
        self.progress.setTextFormat(Qt.TextFormat.PlainText)
        self.progress.setAccessibleName("Progress")
        self.note = muted_label(wrap=True, small=False)
        self.note.setAccessibleName("Review message")

        self.filters = FilterBar(self.proxy)

        self.grid = QTableView()
        self.grid.setAccessibleName("Review table")
        self.grid.setModel(self.proxy)
        self.grid.setSortingEnabled(True)
        self.grid.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.grid.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.setWordWrap(False)
        self.grid.setTextElideMode(Qt.TextElideMode.ElideRight)
        # The documents' titles are the rows' headers, so they stay in view when the
        # questions scroll sideways; a click on one sorts by document.
        rows = self.grid.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        rows.setTextElideMode(Qt.TextElideMode.ElideRight)
        rows.setSectionsClickable(True)
        rows.sectionClicked.connect(self._sort_by_document)
        header = self.grid.horizontalHeader()
        header.setDefaultSectionSize(170)
        header.setMinimumSectionSize(60)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        self.grid.selectionModel().selectionChanged.connect(self._selection_changed)
        self.pane = CellPane()
        self.pane.citation_clicked.connect(self.citation_clicked)
        self.pane.mark_requested.connect(self.mark)
        self.pane.again_requested.connect(self.ask_again)
        self.pane.run_requested.connect(self.run_requested)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(self.grid)
        self.split.addWidget(self.pane)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        self.split.setSizes([400, 260])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.scope_label)
        layout.addWidget(self.questions)
        layout.addLayout(actions)
        layout.addWidget(self.progress)
        layout.addWidget(self.note)
        layout.addWidget(self.filters)
        layout.addWidget(self.split, 1)
        # The window keeps its own minimum: the table scrolls and the rows wrap instead.
        self.setMinimumWidth(MIN_WIDTH)
        self._show_draft()

    # --- what is shown ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.runner.running

    @property
    def last_outcome(self) -> dict[str, Any]:
        return self.runner.last_outcome

    @property
    def review_id(self) -> str:
        return str(self.review["id"]) if self.review else ""

    def refresh(self) -> None:
        """Read the list of reviews again (the engine started, or a review changed)."""
        self.client.request("reviews", {}, on_done=self._got_reviews)
        if not self.questions.templates:
            self.questions.load_templates()

    def _got_reviews(self, reply: dict[str, Any]) -> None:
        if not reply.get("ok"):
            return
        current = self.review_id
        self.reviews.blockSignals(True)
        self.reviews.clear()
        self.reviews.addItem("New review", NEW)
        for item in reply.get("result") or []:
            if not isinstance(item, dict):
                continue
            label = (f"{one_line(str(item.get('name') or 'Review'), 60)} — "
                     f"{plural(int(item.get('rows') or 0), 'document')} × "
                     f"{plural(int(item.get('columns') or 0), 'question')}, "
                     f"{str(item.get('created_at') or '')[:10]}")
            self.reviews.addItem(label, str(item.get("id") or ""))
        index = self.reviews.findData(current)
        self.reviews.setCurrentIndex(max(0, index))
        self.reviews.blockSignals(False)

    def scope_changed(self) -> None:
        """The library's collection or checked documents changed."""
        if self.review is None:
            self._show_draft()
        else:
            self._update()

    def new_documents(self) -> list[int]:
        """Documents of the library's selection that the open review does not have."""
        if self.review is None:
            return []
        _collection, ids = self._scope()
        have = {row.id for row in self.model.rows}
        return [row.id for row in self._documents(ids) if row.id not in have]

    def add_new_documents(self) -> None:
        new = self.new_documents()
        if not new or self.running:
            return

        def added(reply: dict[str, Any]) -> None:
            if not reply.get("ok"):
                self._say("The documents were not added: "
                          + in_app(str(reply.get("error") or "")), True)
                return
            self._say(f"Added {plural(len(new), 'document')}. Resume to find their answers.")
            self.open_review(self.review_id)

        self.client.request("review_add", {"review_id": self.review_id,
                                           "document_ids": new}, on_done=added)

    def _scope_words(self) -> tuple[str, int]:
        collection, ids = self._scope()
        rows = self._documents(ids)
        if ids:
            return f"the {plural(len(ids), 'checked document')}", len(rows)
        if collection is None:
            return "", 0
        return f"the {plural(len(rows), 'document')} of “{collection}”", len(rows)

    def _show_draft(self) -> None:
        _collection, ids = self._scope()
        columns = [Column(-(n + 1), str(d.get("name") or d["question"]), d["question"],
                          str(d.get("kind") or "text"), tuple(d.get("choices") or ()))
                   for n, d in enumerate(self.drafts)]
        self.model.set_table("", columns, self._documents(ids), [])
        self._fill_column_filter()

    def _update(self) -> None:
        draft = self.review is None
        words, count = self._scope_words()
        if draft:
            if not count:
                text = ("Add documents to the library (or choose a collection), then add "
                        "the questions to ask of each one.")
            elif not self.drafts:
                text = (f"A new review of {words}. Add the questions to ask of each "
                        "document, or start from a template.")
            else:
                text = (f"A new review of {words}: {plural(len(self.drafts), 'question')} "
                        f"× {plural(count, 'document')} = "
                        f"{plural(len(self.drafts) * count, 'answer')} to find. Start when "
                        "the questions are ready.")
        else:
            assert self.review is not None
            where = (f"“{self.review.get('collection')}”" if self.review.get("collection")
                     else "chosen documents")
            text = (f"{one_line(str(self.review.get('name') or ''), 80)}: "
                    f"{plural(len(self.model.rows), 'document')} of {where} × "
                    f"{plural(len(self.model.columns), 'question')}.")
        self.scope_label.setText(text)
        missing = self.model.count(NOT_RUN) + self.model.count("stopped")
        failed = self.model.count("failed")
        running = self.running
        self.start_button.setVisible(draft)
        self.budget.setVisible(draft)
        self.start_button.setEnabled(draft and bool(self.drafts) and count > 0 and not running)
        self.resume_button.setVisible(not draft)
        self.resume_button.setEnabled(not draft and missing > 0 and not running)
        self.rerun_button.setVisible(not draft)
        self.rerun_button.setEnabled(not draft and failed > 0 and not running)
        self.stop_button.setEnabled(running and self.runner.review_id == self.review_id)
        self.export_button.setEnabled(not draft)
        new = len(self.new_documents()) if not draft else 0
        self.add_documents_button.setVisible(new > 0)
        self.add_documents_button.setEnabled(new > 0 and not running)
        self.add_documents_button.setText(f"Add {plural(new, 'new document')}")
        self.ask_button.setEnabled(not draft and self.model.count() - missing > 0)
        self.delete_button.setEnabled(not draft and not running)
        self.questions.setEnabled(not (running and self.runner.review_id == self.review_id))
        self.reviews.setEnabled(not running)
        if not running and not draft:
            done = self.model.count() - missing - failed
            cost = self._stored_cost()
            self.progress.setText(progress_words(done, self.model.count(), cost, failed))
        elif draft and not running:
            self.progress.setText("")

    def _ask_about_table(self) -> None:
        if self.review is not None:
            self.ask_about_table.emit(self.review_id, str(self.review.get("name") or ""))

    def _stored_cost(self) -> float | None:
        costs = [c.get("cost_usd") for c in self.model.cells.values()]
        known = [float(c) for c in costs if isinstance(c, (int, float))]
        return round(sum(known), 6) if known else None

    def _fill_column_filter(self) -> None:
        self.filters.set_columns(self.model.columns)
        self.grid.setColumnHidden(0, True)       # shown as the rows' headers instead
        self.fit_columns()

    def fit_columns(self) -> None:
        """Each question as wide as its answers (within bounds), so more fit in view; the
        documents' titles as wide as the longest. Measured on the first rows only: a
        thousand rows must not cost a pause."""
        metrics = self.grid.fontMetrics()
        header = self.grid.horizontalHeader()
        rows = range(min(FIT_ROWS, self.model.rowCount()))
        titles = [metrics.horizontalAdvance(str(self.model.rows[r].title)) for r in rows]
        self.grid.verticalHeader().setFixedWidth(min(ROW_TITLE_WIDTH, max(titles, default=80)
                                                     + 20))
        for column in range(1, self.model.columnCount()):
            texts = [str(self.model.index(r, column).data() or "") for r in rows]
            width = max([metrics.horizontalAdvance(t) for t in texts]
                        + [header.sectionSizeHint(column)])
            header.resizeSection(column, max(90, min(COLUMN_MAX_WIDTH, width + 16)))

    def _sort_by_document(self) -> None:
        header = self.grid.horizontalHeader()
        ascending = not (header.sortIndicatorSection() == 0 and
                         header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder)
        self.grid.sortByColumn(0, Qt.SortOrder.AscendingOrder if ascending
                               else Qt.SortOrder.DescendingOrder)

    def _say(self, text: str, problem: bool = False) -> None:
        self.note.setText(text)
        self.message.emit(text, problem)

    # --- reviews ------------------------------------------------------------------------

    def _review_picked(self, index: int) -> None:
        review_id = str(self.reviews.itemData(index) or "")
        if review_id == NEW:
            self.new_review()
        else:
            self.open_review(review_id)

    def new_review(self) -> None:
        self.review = None
        self.drafts = []
        self.reviews.setCurrentIndex(0)
        self.pane.clear()
        self._say("")
        self._show_draft()

    def open_review(self, review_id: str) -> None:
        def got(reply: dict[str, Any]) -> None:
            if not reply.get("ok"):
                self._say("That review could not be opened: "
                          + in_app(str(reply.get("error") or "")), True)
                return
            self.show_table(reply.get("result") or {})

        self.client.request("review_table", {"review_id": review_id}, on_done=got)

    def show_table(self, table: dict[str, Any]) -> None:
        review = table.get("review") or {}
        self.review = review
        columns = [Column.from_json(c) for c in review.get("columns") or []
                   if isinstance(c, dict)]
        rows = rows_from([d for d in table.get("documents") or [] if isinstance(d, dict)])
        cells = [c for c in table.get("cells") or [] if isinstance(c, dict)]
        if self.model.review_id == review.get("id") and \
                [c.id for c in columns] == [c.id for c in self.model.columns] and \
                [r.id for r in rows] == [r.id for r in self.model.rows]:
            for cell in cells:       # the same table read again: its answers, no reset
                self.model.add_cell(cell)
            self.model.flush()
            self._update()
            return
        self.model.set_table(str(review.get("id") or ""), columns, rows, cells)
        self._fill_column_filter()
        index = self.reviews.findData(self.review_id)
        if index < 0:
            self.refresh()
        else:
            self.reviews.setCurrentIndex(index)
        self.pane.clear()
        self._update()

    def confirm_delete(self) -> None:
        if self.review is None or self.running:
            return
        review_id, name = self.review_id, str(self.review.get("name") or "")
        box = QMessageBox(QMessageBox.Icon.Question, "Delete the review",
                          f"Delete the review “{one_line(name, 80)}” and its answers, "
                          "marks and notes? The documents stay in the library.",
                          QMessageBox.StandardButton.Cancel, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        delete = box.addButton("Delete review", QMessageBox.ButtonRole.DestructiveRole)

        def deleted(_reply: dict[str, Any]) -> None:
            self.new_review()
            self.refresh()

        def chosen() -> None:
            if box.clickedButton() is delete:
                self.client.request("review_delete", {"review_id": review_id},
                                    on_done=deleted)

        box.finished.connect(chosen)
        box.finished.connect(box.deleteLater)
        box.open()

    # --- questions ----------------------------------------------------------------------

    def add_questions(self, questions: list[dict[str, Any]]) -> None:
        """A new review's questions are kept until Start; an open review's are added to it
        at once (their answers are then missing: Resume finds them)."""
        if self.review is None:
            self.drafts += questions
            self._show_draft()
            return

        def added(reply: dict[str, Any]) -> None:
            if not reply.get("ok"):
                self._say("The question was not added: "
                          + in_app(str(reply.get("error") or "")), True)
                return
            self._say(f"Added {plural(len(questions), 'question')}. Resume to find the "
                      "new answers.")
            self.open_review(self.review_id)

        self.client.request("review_add", {"review_id": self.review_id,
                                           "columns": questions}, on_done=added)

    # --- running ------------------------------------------------------------------------

    def start(self) -> None:
        """Create the new review from the drafts and the library's scope, then run it."""
        if self.review is not None or not self.drafts or self.running:
            return
        collection, ids = self._scope()
        args: dict[str, Any] = {"columns": self.drafts}
        if self.budget.value() > 0:
            args["budget_usd"] = round(self.budget.value(), 2)
        if self._settings is not None:
            self._settings.setValue("review/budget", self.budget.value())
        if ids:
            args["document_ids"] = ids
        else:
            args["collection"] = collection
        self.start_button.setEnabled(False)
        self._say("Creating the review…")

        def created(reply: dict[str, Any]) -> None:
            if not reply.get("ok"):
                self._say("The review could not start: "
                          + in_app(str(reply.get("error") or "")), True)
                self._update()
                return
            review = reply.get("result") or {}
            self.drafts = []
            self.review = review
            columns = [Column.from_json(c) for c in review.get("columns") or []]
            doc_ids = [int(d) for d in review.get("doc_ids") or []]
            if doc_ids != [r.id for r in self.model.rows] or \
                    not self.model.adopt(str(review.get("id")), columns):
                rows = {r.id: r for r in self._documents(ids)}
                self.model.set_table(str(review.get("id")), columns,
                                     [rows.get(d, Row(d, f"Document {d}")) for d in doc_ids],
                                     [])
            self._fill_column_filter()
            self.refresh()
            self.run(again=[])

        self.client.request("review_create", args, on_done=created)

    def run(self, again: list[str]) -> int:
        if self.review is None or self.runner.running:
            return 0
        request = self.runner.start(self.review_id, again)
        # Rows keep their places while answers arrive (nothing jumps under the pointer, and
        # a thousand answers cost no re-sorting); the order and filters apply at the end.
        self.proxy.setDynamicSortFilter(False)
        self._update()
        return request

    def ask_again(self, doc_id: int, column_id: int) -> int:
        """One answer asked again, whatever it was."""
        if self.review is None or self.runner.running:
            return 0
        request = self.runner.start(self.review_id, ["answered", "not_stated", "unreadable",
                                                     "failed"], only=(doc_id, column_id))
        self._update()
        return request

    def stop(self) -> None:
        if self.runner.running:
            self.runner.stop()
            self.stop_button.setEnabled(False)

    def _progressed(self, text: str) -> None:
        self._progress_text = text
        if not self._progress_timer.isActive():
            self._progress_timer.start()

    def _answered(self, cell: dict[str, Any]) -> None:
        if self.review_id == self.runner.review_id:
            self.model.add_cell(cell, streamed=True)

    def _ended(self, _outcome: dict[str, Any]) -> None:
        self.model.flush()
        if self._progress_timer.isActive():
            self._progress_timer.stop()
            self.progress.setText(self._progress_text)
        self.fit_columns()
        self.proxy.setDynamicSortFilter(True)      # sorted and filtered again, once
        self.refresh()
        self._update()

    # --- answers ------------------------------------------------------------------------

    def _selection_changed(self, selected: QItemSelection, _deselected: Any) -> None:
        indexes = selected.indexes()
        if indexes:
            self.show_answer(indexes[0])

    def show_answer(self, proxy_index: QModelIndex) -> None:
        found = self.model.cell_at(self.proxy.mapToSource(proxy_index))
        if found is None:
            self.pane.clear()
        else:
            self.pane.show_cell(*found)

    def select(self, doc_id: int, column_id: int) -> bool:
        """Select an answer as a click does (False when the filter hides it)."""
        index = self.proxy.mapFromSource(self.model.index_of(doc_id, column_id))
        if not index.isValid():
            return False
        self.grid.setCurrentIndex(index)
        self.grid.scrollTo(index)
        return True

    def _cells_changed(self, top: QModelIndex, bottom: QModelIndex) -> None:
        if not self.pane.doc_id:
            self._update_soon()
            return
        index = self.model.index_of(self.pane.doc_id, self.pane.column_id)
        if index.isValid() and top.row() <= index.row() <= bottom.row() and \
                top.column() <= index.column() <= bottom.column():
            found = self.model.cell_at(index)
            if found is not None:
                self.pane.show_cell(*found)
        self._update_soon()

    def _update_soon(self) -> None:
        if not self.running:
            self._update()

    def mark(self, doc_id: int, column_id: int, change: dict[str, Any]) -> None:
        def done(reply: dict[str, Any]) -> None:
            if not reply.get("ok"):
                self._say("The mark was not saved: " + in_app(str(reply.get("error") or "")),
                          True)
                return
            result = reply.get("result") or {}
            self.model.set_marks(result)
            self.pane.marked(result)

        self.client.request("review_mark", {"review_id": self.review_id, "doc_id": doc_id,
                                            "column_id": column_id, **change}, on_done=done)

    def export(self) -> None:
        if self.review is not None:
            self.exporter.start(self.review_id, str(self.review.get("name") or "Review"))
