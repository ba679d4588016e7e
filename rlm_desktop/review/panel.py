"""The Review tab: choose the documents and the questions (or a template), start, stop,
resume; the grid fills answer by answer with the progress and cost; a click on an answer
shows it beside the grid; earlier reviews reopen; the table exports to Excel, CSV or Word."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QSettings, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from rlm_desktop.advice import in_app
from rlm_desktop.review.actions import ReviewActions
from rlm_desktop.review.answers import AnswerView
from rlm_desktop.review.cells import Column, rows_from
from rlm_desktop.review.draft import Documents, Draft, Scope
from rlm_desktop.review.exporting import ReviewExporter
from rlm_desktop.review.filters import FilterBar
from rlm_desktop.review.model import ReviewModel
from rlm_desktop.review.picker import NEW, ReviewPicker
from rlm_desktop.review.progress import ProgressLine
from rlm_desktop.review.proxy import ReviewFilter
from rlm_desktop.review.questions import QuestionButtons
from rlm_desktop.review.running import ReviewRun
from rlm_desktop.review.words import NOT_RUN, plural, progress_words, review_words
from rlm_desktop.run.blocks import muted_label
from rlm_desktop.worker_client import WorkerClient

MIN_WIDTH = 180


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
        self.setAccessibleName("Review")
        self.review: dict[str, Any] | None = None      # the open review (None: a new one)
        self.draft = Draft(scope, documents)            # a new review, until Start
        self.runner = ReviewRun(client, self)
        self.model = ReviewModel(self)
        self.proxy = ReviewFilter(self)
        self.proxy.setSourceModel(self.model)
        self.exporter = ReviewExporter(client, self, settings)
        self._settings = settings
        self.exporter.reported.connect(self._say)
        self._build()
        self.runner.answered.connect(self._answered)
        self.runner.progressed.connect(self.progress.show_soon)
        self.runner.said.connect(self._say)
        self.runner.ended.connect(self._ended)
        self.model.dataChanged.connect(self._cells_changed)
        self.model.modelReset.connect(self._update)

    # --- layout -------------------------------------------------------------------------

    def _build(self) -> None:
        self.picker = ReviewPicker()
        self.picker.picked.connect(self._review_picked)
        self.picker.delete_button.clicked.connect(self.confirm_delete)

        self.scope_label = QLabel()
        self.scope_label.setTextFormat(Qt.TextFormat.PlainText)
        self.scope_label.setWordWrap(True)
        self.questions = QuestionButtons(self.client)
        self.questions.chosen.connect(self.add_questions)

        self.buttons = ReviewActions(self._settings)
        self.buttons.start_button.clicked.connect(self.start)
        self.buttons.stop_button.clicked.connect(self.stop)
        self.buttons.resume_button.clicked.connect(lambda: self.run(again=[]))
        self.buttons.rerun_button.clicked.connect(lambda: self.run(again=["failed"]))
        self.buttons.export_button.clicked.connect(self.export)
        self.buttons.add_documents_button.clicked.connect(self.add_new_documents)
        self.buttons.ask_button.clicked.connect(self._ask_about_table)
        self.progress = ProgressLine()
        self.note = muted_label(wrap=True, small=False)
        self.note.setAccessibleName("Review message")

        self.filters = FilterBar(self.proxy)

        self.answers = AnswerView(self.model, self.proxy)
        self.grid, self.pane = self.answers.grid, self.answers.pane
        self.pane.citation_clicked.connect(self.citation_clicked)
        self.pane.mark_requested.connect(self.mark)
        self.pane.again_requested.connect(self.ask_again)
        self.pane.run_requested.connect(self.run_requested)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picker)
        layout.addWidget(self.scope_label)
        layout.addWidget(self.questions)
        layout.addWidget(self.buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.note)
        layout.addWidget(self.filters)
        layout.addWidget(self.answers, 1)
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
        self.picker.show_reviews(reply.get("result") or [], self.review_id)

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
        have = {row.id for row in self.model.rows}
        return [row.id for row in self.draft.rows() if row.id not in have]

    def add_new_documents(self) -> None:
        new = self.new_documents()
        if new and not self.running:
            self._add({"document_ids": new}, "The documents were not added: ",
                      f"Added {plural(len(new), 'document')}. Resume to find their answers.")

    def _add(self, what: dict[str, Any], failed: str, added: str) -> None:
        """Add questions or documents to the open review, then read it again."""
        def done(reply: dict[str, Any]) -> None:
            if not self._failed(reply, failed):
                self._say(added)
                self.open_review(self.review_id)

        self.client.request("review_add", {"review_id": self.review_id, **what}, on_done=done)

    def _show_draft(self) -> None:
        self.model.set_table("", self.draft.columns(), self.draft.rows(), [])
        self._fill_column_filter()

    def _update(self) -> None:
        draft = self.review is None
        if self.review is None:
            text, count = self.draft.describe()
        else:
            text, count = review_words(self.review, len(self.model.rows),
                                       len(self.model.columns)), len(self.model.rows)
        self.scope_label.setText(text)
        missing = self.model.count(NOT_RUN) + self.model.count("stopped")
        failed = self.model.count("failed")
        running = self.running
        running_here = running and self.runner.review_id == self.review_id
        self.buttons.show_state(
            draft=draft, startable=draft and bool(self.draft.questions) and count > 0,
            missing=missing, failed=failed, answered=self.model.count() - missing,
            new_documents=len(self.new_documents()) if not draft else 0, running=running,
            running_here=running_here)
        self.picker.show_state(draft, running)
        self.questions.setEnabled(not running_here)
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
        self.grid.table_changed()

    def _say(self, text: str, problem: bool = False) -> None:
        self.note.setText(text)
        self.message.emit(text, problem)

    def _failed(self, reply: dict[str, Any], words: str) -> bool:
        """Say what went wrong (after ``words``) when the worker's reply is a failure."""
        if reply.get("ok"):
            return False
        self._say(words + in_app(str(reply.get("error") or "")), True)
        return True

    # --- reviews ------------------------------------------------------------------------

    def _review_picked(self, review_id: str) -> None:
        if review_id == NEW:
            self.new_review()
        else:
            self.open_review(review_id)

    def new_review(self) -> None:
        self.review = None
        self.draft.questions = []
        self.picker.reviews.setCurrentIndex(0)
        self.pane.clear()
        self._say("")
        self._show_draft()

    def open_review(self, review_id: str) -> None:
        def got(reply: dict[str, Any]) -> None:
            if not self._failed(reply, "That review could not be opened: "):
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
        if not self.picker.choose(self.review_id):
            self.refresh()
        self.pane.clear()
        self._update()

    def confirm_delete(self) -> None:
        if self.review is None or self.running:
            return
        review_id = self.review_id

        def deleted(_reply: dict[str, Any]) -> None:
            self.new_review()
            self.refresh()

        self.picker.confirm_delete(
            str(self.review.get("name") or ""),
            lambda: self.client.request("review_delete", {"review_id": review_id},
                                        on_done=deleted))

    # --- questions ----------------------------------------------------------------------

    def add_questions(self, questions: list[dict[str, Any]]) -> None:
        """A new review's questions are kept until Start; an open review's are added to it
        at once (their answers are then missing: Resume finds them)."""
        if self.review is None:
            self.draft.questions += questions
            self._show_draft()
            return
        self._add({"columns": questions}, "The question was not added: ",
                  f"Added {plural(len(questions), 'question')}. Resume to find the new answers.")

    # --- running ------------------------------------------------------------------------

    def start(self) -> None:
        """Create the new review from the drafts and the library's scope, then run it."""
        if self.review is not None or not self.draft.questions or self.running:
            return
        args = self.draft.create_args(self.buttons.budget_usd())
        self.buttons.start_button.setEnabled(False)
        self._say("Creating the review…")

        def created(reply: dict[str, Any]) -> None:
            if self._failed(reply, "The review could not start: "):
                self._update()
                return
            self.review = reply.get("result") or {}
            self.draft.created(self.model, self.review, args.get("document_ids"))
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
            self.buttons.stop_button.setEnabled(False)

    def _answered(self, cell: dict[str, Any]) -> None:
        if self.review_id == self.runner.review_id:
            self.model.add_cell(cell, streamed=True)

    def _ended(self, _outcome: dict[str, Any]) -> None:
        self.model.flush()
        self.progress.flush()
        self.grid.fit_columns()
        self.proxy.setDynamicSortFilter(True)      # sorted and filtered again, once
        self.refresh()
        self._update()

    # --- answers ------------------------------------------------------------------------

    def select(self, doc_id: int, column_id: int) -> bool:
        """Select an answer as a click does (False when the filter hides it)."""
        return self.answers.select(doc_id, column_id)

    def _cells_changed(self, top: QModelIndex, bottom: QModelIndex) -> None:
        self.answers.cells_changed(top, bottom)
        self._update_soon()

    def _update_soon(self) -> None:
        if not self.running:
            self._update()

    def mark(self, doc_id: int, column_id: int, change: dict[str, Any]) -> None:
        def done(reply: dict[str, Any]) -> None:
            if self._failed(reply, "The mark was not saved: "):
                return
            result = reply.get("result") or {}
            self.model.set_marks(result)
            self.pane.marked(result)

        self.client.request("review_mark", {"review_id": self.review_id, "doc_id": doc_id,
                                            "column_id": column_id, **change}, on_done=done)

    def export(self) -> None:
        if self.review is not None:
            self.exporter.start(self.review_id, str(self.review.get("name") or "Review"))
