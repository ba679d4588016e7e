"""The review grid's model without a worker: 1,000 answers arrive in a few batches (never a
reset) while the window stays responsive; typed sorting; filters by status and marks; the
question dialog's checks; untrusted answers shown as plain text."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QTableView

from rlm_desktop.review.cells import Column, Row
from rlm_desktop.review.dialogs import QuestionDialog
from rlm_desktop.review.model import STATUS_ROLE, ReviewModel
from rlm_desktop.review.proxy import ReviewFilter
from rlm_desktop.review.running import outcome_words, started_words

COLUMNS = [Column(1, "Rent", "What is the rent?", "money"),
           Column(2, "Ends", "When does it end?", "date"),
           Column(3, "Notice", "Notice in days?", "number"),
           Column(4, "Law", "Which law?", "choice", ("English", "German")),
           Column(5, "Break", "Break fee?", "yesno")]


def cell(doc: int, column: int, status: str = "answered", **extra: Any) -> dict[str, Any]:
    values = {1: ({"amount": str(1000 + doc), "currency": "EUR"}, f"EUR {1000 + doc:,}"),
              2: (f"20{30 - doc % 9:02d}-06-30", f"30 June 20{30 - doc % 9:02d}"),
              3: (doc % 7 * 30, str(doc % 7 * 30)),
              4: ("English", "English"),
              5: (doc % 2 == 0, "Yes" if doc % 2 == 0 else "No")}
    value, shown = values[column]
    return {"review_id": "rv_1", "doc_id": doc, "column_id": column, "status": status,
            "value": value, "shown": shown, "citations": [{"status": "verified"}],
            **extra}


def table(rows: int = 200) -> ReviewModel:
    model = ReviewModel()
    model.set_table("rv_1", COLUMNS, [Row(n, f"Lease {n:03d}") for n in range(1, rows + 1)],
                    [])
    return model


def test_a_thousand_answers_arrive_in_batches_without_stalling(qtbot: Any) -> None:
    model = table()
    proxy = ReviewFilter()
    proxy.setSourceModel(model)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    view.resize(900, 600)
    view.show()
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    cells = [cell(doc, column) for doc in range(1, 201) for column in range(1, 6)]
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    ticker = QTimer()
    ticker.setInterval(5)
    ticker.timeout.connect(tick)
    ticker.start()

    def arrive() -> None:      # as the worker client delivers lines: a slice at a time
        for data in cells[:25]:
            model.add_cell(data)
        del cells[:25]
        if cells:
            QTimer.singleShot(2, arrive)

    arrive()
    qtbot.waitUntil(lambda: len(model.cells) == 1000, timeout=10_000)
    ticker.stop()
    assert not resets and model.flushes < 100          # batched, never a full reset
    assert max(gaps[1:]) < 0.25, max(gaps)          # the loop kept turning (loaded CI: lax)
    assert model.count("answered") == 1000 and model.count("") == 0
    # Sorted by the typed rent, highest first, while the answers were arriving.
    assert proxy.index(0, 0).data() == "Lease 200"
    assert proxy.index(0, 1).data() == "EUR 1,200  ✓"


def test_sorting_is_by_typed_value_and_filters_by_status_and_marks(qtbot: Any) -> None:
    model = table(4)
    for data in (cell(1, 3), cell(2, 3), cell(3, 3, "not_stated", shown="", value=None),
                 cell(4, 3, "failed", problem="the AI service failed: 500", shown="",
                      value=None, flagged=True)):
        model.add_cell(data)
    model.flush()
    proxy = ReviewFilter()
    proxy.setSourceModel(model)
    proxy.sort(3, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, 3).data() for r in range(4)] == [
        "30  ✓", "60  ✓", "Not in this document  ✓", "⚑ Failed: the AI service failed: 500  ✓"]
    proxy.set_status("failed")
    assert proxy.rowCount() == 1 and proxy.index(0, 3).data(STATUS_ROLE) == "failed"
    proxy.set_status("", 1)              # not run yet, in the first question
    assert proxy.rowCount() == 4
    proxy.set_status(None)
    proxy.set_marks("flagged")
    assert [proxy.index(r, 0).data() for r in range(proxy.rowCount())] == ["Lease 004"]
    proxy.set_marks("all")
    proxy.setFilterFixedString("lease 002")
    assert proxy.rowCount() == 1
    # A cell of another review, or of a question no longer shown, is ignored.
    model.add_cell({**cell(1, 1), "review_id": "rv_other"})
    model.add_cell(cell(99, 1))
    model.flush()
    assert model.count("answered") == 2
    assert model.index(0, 1).data() == "Not run yet"
    assert model.headerData(0, Qt.Orientation.Vertical) == "Lease 001"


def test_markup_in_an_answer_stays_text(qtbot: Any) -> None:
    model = table(1)
    model.add_cell(cell(1, 4, "unreadable", shown="<img src=x> <b>Scots</b>",
                        problem="the answer is none of the choices"))
    model.flush()
    index = model.index(0, 4)
    assert index.data() == "⚠ <img src=x> <b>Scots</b>  ✓"
    model.add_cell(cell(1, 1, "unreadable", shown="x", problem="could not read <b>x</b>"))
    model.flush()
    tip = model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert "could not read &lt;b&gt;x&lt;/b&gt;" in tip and "<b>" not in tip


def test_the_question_dialog_checks_before_adding(qtbot: Any) -> None:
    dialog = QuestionDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.buttons.accepted.emit()
    assert dialog.problem.text() == "Write the question first." and not dialog.result()
    dialog.question.setPlainText("  Which   law governs? ")
    dialog.set_kind("choice")
    assert dialog.choices.isVisible()
    dialog.choices.setText("English")
    dialog.buttons.accepted.emit()
    assert "at least two choices" in dialog.problem.text()
    dialog.choices.setText("English; German, New York")
    dialog.name.setText("Law")
    dialog.buttons.accepted.emit()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.question_json() == {"question": "Which law governs?", "kind": "choice",
                                      "choices": ["English", "German", "New York"],
                                      "name": "Law"}
    assert [dialog.kind.itemData(i) for i in range(dialog.kind.count())] == [
        "text", "yesno", "number", "date", "money", "choice", "list"]
    assert dialog.kind.itemText(4).startswith("Amount of money")


def test_the_words_of_a_run() -> None:
    assert started_words({"total": 200, "estimate_usd": 0.41, "long_documents": 3}) == \
        "Finding 200 answers: about $0.41; 3 answers in long documents, read step by step."
    assert "cost unknown" in started_words({"total": 2, "estimate_usd": None})
    assert outcome_words({"ran": 37, "stopped": "cancelled", "cost_usd": 0.0042}) == \
        "Stopped by you after 37 answers for $0.0042. Resume finds the rest."
    assert outcome_words({"ran": 6, "failed": 1, "cost_usd": 0.02}) == \
        "Done: 6 answers for $0.02. 1 answer failed: Re-run failed asks again."


def test_the_answer_pane_shows_hostile_text_as_typed(qtbot: Any) -> None:
    from rlm_desktop.review.cells import Cell
    from rlm_desktop.review.detail import CellPane

    pane = CellPane()
    qtbot.addWidget(pane)
    pane.show()
    hostile = '<img src="file:///etc/passwd"><a href="http://x.example">click</a>'
    data = cell(1, 4, "unreadable", shown=hostile, raw=hostile, explanation=hostile,
                problem="the answer is none of the choices: " + hostile,
                citations=[{"n": 1, "doc_id": 1, "page": 2, "quote": hostile,
                            "status": "not_found", "title": hostile}])
    opened: list[tuple[int, int, str]] = []
    pane.citation_clicked.connect(lambda *args: opened.append(args))
    pane.show_cell(Row(1, hostile), COLUMNS[3], Cell.from_json(data))
    for label in (pane.where, pane.raw, pane.explanation):
        assert label.textFormat() == Qt.TextFormat.PlainText and label.text() == hostile
    assert pane.problem.text().endswith(hostile + ".")
    assert pane.status.text() == "Could not read the answer" and not pane.answer.isVisible()
    assert pane.source_texts() == [
        f"[1] ⚠ p. 2 — Quote not found in the documents — check this claim\n“{hostile}”"]
    pane.open_source(0)
    assert opened == [(1, 2, hostile)]
    marks: list[Any] = []
    pane.mark_requested.connect(lambda *args: marks.append(args))
    pane.flagged.click()
    pane.note.setPlainText("see clause 12")
    pane.save_note.click()
    assert marks == [(1, 4, {"flagged": True}), (1, 4, {"note": "see clause 12"})]
