"""The answer pane beside the grid: one cell's answer, why it has none, its explanation, the
model's own words when they could not be read, its checked sources (a click opens the page),
and the person's marks: Reviewed, Flag and a note. All of it plain text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from rlm_desktop.review.cells import Cell, Column, Row
from rlm_desktop.review.words import KIND_LABELS, dollars, status_tone, status_words
from rlm_desktop.run.blocks import muted_label
from rlm_desktop.widgets.citation_marks import checked, mark, page_text
from rlm_desktop.widgets.citation_marks import status_words as seen
from rlm_desktop.widgets.citation_marks import title_of as cited_title
from rlm_desktop.widgets.palette_tones import css, tone
from rlm_desktop.widgets.safe_text import wrapped_tooltip

CITE_ROLE = Qt.ItemDataRole.UserRole + 1
NOTE_CHARS = 4000


def _plain(text: str = "", *, bold: bool = False, wrap: bool = True) -> QLabel:
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)     # the model's and documents' words
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    label.setText(text)
    return label


class CellPane(QWidget):
    """Shows one cell; says what to do when none is chosen."""

    citation_clicked = Signal(int, int, str)      # document id, page, quote
    mark_requested = Signal(int, int, object)     # document id, question id, {name: value}
    again_requested = Signal(int, int)            # document id, question id
    run_requested = Signal(str)                   # the id of the analysis that found it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Answer")
        self.doc_id = self.column_id = 0
        self.cell: Cell | None = None
        self.empty = muted_label("Click an answer in the table to see where it comes from, "
                                 "and to mark it reviewed or flag it.", wrap=True,
                                 small=False)
        self.where = _plain(bold=True)
        self.question = _plain()
        self.question.setForegroundRole(self.question.foregroundRole())
        self.answer = _plain()
        font = QFont(self.answer.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.answer.setFont(font)
        self.answer.setAccessibleName("The answer")
        self.status = _plain()
        self.problem = _plain()
        self.explanation_title = _plain("Explanation", bold=True)
        self.explanation = _plain()
        self.raw_title = _plain("The model's words", bold=True)
        self.raw = _plain()
        self.raw.setAccessibleName("The model's words")
        self.sources_title = _plain("Sources", bold=True)
        self.sources = QListWidget()
        self.sources.setAccessibleName("Sources")
        self.sources.setWordWrap(True)
        self.sources.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.sources.setUniformItemSizes(False)
        self.sources.itemActivated.connect(self._open)
        self.sources.itemClicked.connect(self._open)
        self.how = muted_label(wrap=True)
        self.again = QPushButton("Ask again")
        self.again.setToolTip("Ask this question of this document again (the answer found "
                              "now replaces this one)")
        self.again.clicked.connect(
            lambda: self.again_requested.emit(self.doc_id, self.column_id))
        self.show_run = QPushButton("See how it was found")
        self.show_run.setToolTip("Open the record of the step-by-step analysis that found "
                                 "this answer, in the Analysis panel")
        self.show_run.clicked.connect(self._show_run)
        self.reviewed = QCheckBox("Reviewed: I checked this answer")
        self.flagged = QCheckBox("Flag for a second look")
        self.reviewed.clicked.connect(lambda on: self._mark(reviewed=bool(on)))
        self.flagged.clicked.connect(lambda on: self._mark(flagged=bool(on)))
        self.note = QPlainTextEdit()
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText("A note on this answer, for you and your colleagues")
        self.note.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.save_note = QPushButton("Save note")
        self.save_note.clicked.connect(lambda: self._mark(
            note=self.note.toPlainText()[:NOTE_CHARS]))
        self.note_saved = muted_label()

        marks = QFrame()
        marks.setFrameShape(QFrame.Shape.StyledPanel)
        marks_layout = QVBoxLayout(marks)
        marks_layout.addWidget(self.reviewed)
        marks_layout.addWidget(self.flagged)
        marks_layout.addWidget(self.note, 1)
        row = QHBoxLayout()
        row.addWidget(self.note_saved, 1)
        row.addWidget(self.save_note)
        marks_layout.addLayout(row)
        self.marks = marks
        # Below the table, side by side: the answer | its sources | the person's marks.
        answer = QVBoxLayout()
        for widget in (self.where, self.question, self.answer, self.status, self.problem,
                       self.explanation_title, self.explanation, self.raw_title, self.raw,
                       self.how):
            answer.addWidget(widget)
        buttons = QHBoxLayout()
        buttons.addWidget(self.again)
        buttons.addWidget(self.show_run)
        buttons.addStretch(1)
        answer.addLayout(buttons)
        answer.addStretch(1)
        sources = QVBoxLayout()
        sources.addWidget(self.sources_title)
        sources.addWidget(self.sources, 1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.empty)
        columns = QHBoxLayout()
        columns.addLayout(answer, 3)
        columns.addLayout(sources, 3)
        columns.addWidget(marks, 2, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(columns, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.clear()

    # --- showing ------------------------------------------------------------------------

    def clear(self) -> None:
        self.doc_id = self.column_id = 0
        self.cell = None
        for widget in self._details():
            widget.setVisible(False)
        self.empty.setVisible(True)

    def _details(self) -> list[QWidget]:
        return [self.where, self.question, self.answer, self.status, self.problem,
                self.explanation_title, self.explanation, self.raw_title, self.raw,
                self.sources_title, self.sources, self.how, self.marks]

    def show_cell(self, row: Row, column: Column, cell: Cell | None) -> None:
        same = (row.id, column.id) == (self.doc_id, self.column_id)
        self.doc_id, self.column_id, self.cell = row.id, column.id, cell
        self.empty.setVisible(False)
        for widget in self._details():
            widget.setVisible(True)
        self.where.setText(row.title)
        kind = KIND_LABELS.get(column.kind, column.kind)
        self.question.setText(f"{column.question}  ({kind})")
        status = cell.status if cell is not None else ""
        self.status.setText(status_words(status))
        self.status.setStyleSheet(f"color: {css(tone(self.palette(), status_tone(status)))}")
        data: dict[str, Any] = cell.data if cell is not None else {}
        shown = str(data.get("shown") or "")
        # An answer that could not be read as its type is shown as the model's words only.
        self.answer.setText(shown if status == "answered" else "")
        self.answer.setVisible(bool(self.answer.text()))
        problem = str(data.get("problem") or "")
        self.problem.setText(_sentence(problem))
        self.problem.setVisible(bool(problem))
        explanation = str(data.get("explanation") or "")
        self.explanation.setText(explanation)
        self.explanation.setVisible(bool(explanation))
        self.explanation_title.setVisible(bool(explanation))
        raw = str(data.get("raw") or "")
        show_raw = bool(raw) and (status in ("unreadable", "failed") or
                                  (status == "answered" and raw.strip() != shown.strip()))
        self.raw.setText(raw)
        self.raw.setVisible(show_raw)
        self.raw_title.setVisible(show_raw)
        self._show_sources(cell)
        self.how.setText(_how(data) if cell is not None else
                         "Not run yet: start or resume the review to find this answer.")
        self.marks.setEnabled(cell is not None)
        self.again.setVisible(cell is not None)
        self.show_run.setVisible(bool(data.get("run_id")))
        self.reviewed.setChecked(bool(data.get("reviewed")))
        self.flagged.setChecked(bool(data.get("flagged")))
        if not same:      # the same answer again (it was marked): the note being typed stays
            self.note.setPlainText(str(data.get("note") or ""))
            self.note.document().setModified(False)
            self.note_saved.setText("")

    def _show_sources(self, cell: Cell | None) -> None:
        self.sources.clear()
        citations = checked(cell.citations if cell is not None else [])
        self.sources_title.setVisible(bool(citations))
        self.sources.setVisible(bool(citations))
        for n, cite in enumerate(citations, 1):
            sign = mark(cite)
            text = f"[{n}]{' ' + sign if sign else ''} {page_text(cite)} — {seen(cite)}"
            if cite.quote:
                text += f"\n“{' '.join(cite.quote.split())}”"
            item = QListWidgetItem(text)
            item.setData(CITE_ROLE, (cite.doc_id, cite.page, cite.quote or ""))
            item.setToolTip(wrapped_tooltip(f"{cited_title(cite)}, {page_text(cite)}\n"
                                            "Click to open the page"))
            if str(cite.status) in ("not_found", "invalid"):
                item.setForeground(tone(self.palette(), "warn"))
            self.sources.addItem(item)

    def source_texts(self) -> list[str]:
        return [self.sources.item(i).text() for i in range(self.sources.count())]

    def open_source(self, n: int) -> None:
        """Open the n-th source (from 0), as a click does."""
        self._open(self.sources.item(n))

    def _open(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        doc_id, page, quote = item.data(CITE_ROLE)
        self.citation_clicked.emit(int(doc_id), int(page), str(quote))

    def _show_run(self) -> None:
        run_id = str(self.cell.data.get("run_id") or "") if self.cell is not None else ""
        if run_id:
            self.run_requested.emit(run_id)

    def _mark(self, **change: Any) -> None:
        if self.cell is None:
            return
        if "note" in change:
            self.note.document().setModified(False)
            self.note_saved.setText("Saving the note…")
        self.mark_requested.emit(self.doc_id, self.column_id, change)

    def marked(self, data: dict[str, Any]) -> None:
        """The worker saved a mark of the shown cell."""
        if (data.get("doc_id"), data.get("column_id")) != (self.doc_id, self.column_id):
            return
        if self.note_saved.text() == "Saving the note…" and "note" in data and \
                str(data.get("note")) == self.note.toPlainText()[:NOTE_CHARS]:
            self.note_saved.setText("Note saved.")


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".") \
        if text else ""


def _how(data: dict[str, Any]) -> str:
    strategy = str(data.get("strategy") or "")
    how = {"direct": "Found by the helper model reading the whole document at once",
           "rlm": "Found by a step-by-step analysis of this document (a helper analysis)"}.get(
        strategy, "")
    cost = data.get("cost_usd")
    parts = [how] if how else []
    if isinstance(cost, (int, float)):
        parts.append(dollars(float(cost)))
    seconds = data.get("seconds")
    if isinstance(seconds, (int, float)) and seconds > 0:
        parts.append(f"{seconds:.1f} s")
    return " · ".join(parts)
