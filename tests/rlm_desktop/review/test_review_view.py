"""The Review tab through the real worker and a scripted helper model: two questions over
generated leases, the grid filling with typed answers, a failing answer saying why, sources
opening the viewer, marks kept, filters, export to Excel, an earlier review reopened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from PySide6.QtCore import Qt

from tests.engine.ingest.makers import make_pdf
from tests.engine.review.test_runner import lease_answers
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS, call, configure
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply


def failing_second_law(request: ChatRequest) -> Reply | str:
    question = request.last_user.split("Question:")[-1]
    if "Lease 1 between" in request.last_user and "law" in question:
        return Reply(fault="500")
    return lease_answers(request)


def add_leases(qtbot: Any, win: Any, folder: Path, count: int = 3) -> None:
    folder.mkdir(parents=True)
    for i in range(count):
        make_pdf(folder / f"lease{i}.pdf",
                 [f"Lease {i} between Acme and Tenant {i}.",
                  f"The rent is EUR {1000 + i},00 per month. This lease is governed by "
                  "English law."], title=f"Lease {i}")
    win.library.add_paths([str(folder)])
    qtbot.waitUntil(lambda: win.library.document_count() == count
                    and not win.library.runner.running, timeout=REPLY_TIMEOUT_MS)


def add_question(qtbot: Any, panel: Any, question: str, kind: str, choices: str = "",
                 name: str = "") -> None:
    dialog = panel.questions.open_dialog()
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    dialog.question.setPlainText(question)
    dialog.set_kind(kind)
    assert dialog.choices.isVisibleTo(dialog) == (kind == "choice")
    dialog.choices.setText(choices)
    dialog.name.setText(name)
    dialog.buttons.accepted.emit()
    assert dialog.result() == dialog.DialogCode.Accepted


def test_a_review_from_the_app(qtbot: Any, window: Any, configured: FakeOpenAI,
                               tmp_path: Path) -> None:
    configured.set_script(failing_second_law)
    add_leases(qtbot, window, tmp_path / "leases")
    window.review.show_review()
    panel = window.review.panel
    assert panel.model.rowCount() == 3 and not panel.buttons.start_button.isEnabled()
    add_question(qtbot, panel, "What is the monthly rent?", "money", name="Rent")
    add_question(qtbot, panel, "Which law governs?", "choice", "English, New York")
    assert [c.name for c in panel.model.columns] == ["Rent", "Which law governs?"]
    assert "2 questions × 3 documents = 6 answers" in panel.scope_label.text()
    assert panel.buttons.start_button.isEnabled()

    panel.buttons.start_button.click()
    qtbot.waitUntil(lambda: panel.running, timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not panel.running and bool(panel.last_outcome),
                    timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: len(panel.model.cells) == 6, timeout=REPLY_TIMEOUT_MS)
    assert panel.last_outcome["ran"] == 6 and panel.last_outcome["failed"] == 1
    assert panel.progress.text().startswith("5 of 6 answers · 1 failed · $")
    assert "Re-run failed asks again" in panel.note.text()
    assert panel.buttons.rerun_button.isEnabled() and not panel.buttons.resume_button.isEnabled()

    rent, law = panel.model.columns
    docs = panel.model.rows
    shown = panel.model.index_of(docs[0].id, rent.id).data()
    assert shown == "EUR 1,000  ✓"                        # typed, with its check mark
    assert panel.model.index_of(docs[0].id, law.id).data() == "English  ↪"
    failed = panel.model.index_of(docs[1].id, law.id)
    assert failed.data().startswith("Failed: the AI service failed")
    assert failed.data(Qt.ItemDataRole.ForegroundRole) is not None    # the failure's tone

    # A failing answer says why, in the pane too.
    assert panel.select(docs[1].id, law.id)
    assert panel.pane.status.text() == "Failed"
    assert panel.pane.problem.text().startswith("The AI service failed")
    # An answer's sources, and one opening the cited page in the viewer.
    assert panel.select(docs[0].id, rent.id)
    assert panel.pane.answer.text() == "EUR 1,000"
    sources = panel.pane.source_texts()
    assert sources == ["[1] ✓ p. 2 — Quote checked on this page\n"
                       "“The rent is EUR 1000,00 per month”"]
    panel.pane.open_source(0)
    viewer = window.viewer
    qtbot.waitUntil(lambda: viewer.doc is not None and viewer.doc.id == docs[0].id
                    and viewer.page == 2, timeout=REPLY_TIMEOUT_MS)
    assert viewer.quotes == ("The rent is EUR 1000,00 per month",)
    assert window.side_tabs.currentWidget() is viewer

    # Marks are saved by the worker and kept.
    panel.pane.reviewed.click()
    panel.pane.flagged.click()
    panel.pane.note.setPlainText("Check the indexation clause")
    panel.pane.save_note.click()
    qtbot.waitUntil(lambda: panel.pane.note_saved.text() == "Note saved.",
                    timeout=REPLY_TIMEOUT_MS)
    stored = call(qtbot, window.client, "review_table", {"review_id": panel.review_id})
    cell = next(c for c in stored["result"]["cells"]
                if (c["doc_id"], c["column_id"]) == (docs[0].id, rent.id))
    assert cell["reviewed"] and cell["flagged"] and cell["note"] == "Check the indexation clause"
    assert panel.model.index_of(docs[0].id, rent.id).data().startswith("⚑ EUR 1,000")

    # Filters: by status, by marks, by words.
    panel.filters.status.setCurrentIndex(panel.filters.status.findData("failed"))
    assert panel.proxy.rowCount() == 1
    assert panel.proxy.index(0, 0).data() == docs[1].title
    panel.filters.status.setCurrentIndex(0)
    panel.filters.marks.setCurrentIndex(panel.filters.marks.findData("flagged"))
    assert panel.proxy.rowCount() == 1 and panel.proxy.index(0, 0).data() == docs[0].title
    panel.filters.marks.setCurrentIndex(0)
    panel.filters.search.setText("1,002")
    assert panel.proxy.rowCount() == 1 and panel.proxy.index(0, 0).data() == docs[2].title
    panel.filters.search.clear()
    panel.grid.sortByColumn(1, Qt.SortOrder.DescendingOrder)          # rent, highest first
    assert [panel.proxy.index(r, 0).data() for r in range(3)] == [d.title for d in docs[::-1]]

    # Export to Excel through the save dialog.
    out = tmp_path / "leases review.xlsx"
    panel.buttons.export_button.click()
    qtbot.waitUntil(lambda: panel.exporter.file_dialog is not None, timeout=5000)
    dialog = panel.exporter.file_dialog
    dialog.setDirectory(str(out.parent))
    dialog.selectFile(out.name)
    dialog.accept()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Saved the review"),
                    timeout=REPLY_TIMEOUT_MS)
    grid = openpyxl.load_workbook(out)["Review"]
    assert [c.value for c in grid[1]] == ["Document", "Rent", "Which law governs?"]
    assert grid["B2"].value == 1000 and grid["C2"].value == "English"

    # Re-run the failed answer (the model now answers it); only it is asked.
    configured.set_script(lease_answers)
    asked = len(configured.requests)
    panel.buttons.rerun_button.click()
    qtbot.waitUntil(lambda: not panel.running and panel.last_outcome.get("ran") == 1,
                    timeout=REPLY_TIMEOUT_MS)
    assert len(configured.requests) == asked + 1
    qtbot.waitUntil(lambda: panel.model.index_of(docs[1].id, law.id).data() == "English  ↪",
                    timeout=REPLY_TIMEOUT_MS)

    # An earlier review reopens from the list.
    review_id = panel.review_id
    panel.new_review()
    assert panel.review is None and panel.model.columnCount() == 1
    qtbot.waitUntil(lambda: panel.picker.reviews.findData(review_id) > 0, timeout=REPLY_TIMEOUT_MS)
    panel.picker.reviews.setCurrentIndex(panel.picker.reviews.findData(review_id))
    panel.picker.reviews.activated.emit(panel.picker.reviews.currentIndex())
    qtbot.waitUntil(lambda: panel.review_id == review_id and len(panel.model.cells) == 6,
                    timeout=REPLY_TIMEOUT_MS)
    assert panel.model.index_of(docs[0].id, rent.id).data(Qt.ItemDataRole.ToolTipRole)

    # A new review from a template: its questions over the same documents, not run yet.
    panel.new_review()
    qtbot.waitUntil(lambda: bool(panel.questions.templates), timeout=REPLY_TIMEOUT_MS)
    panel.questions.menu.aboutToShow.emit()
    lease = next(a for a in panel.questions.menu.actions() if a.text().startswith("Leases"))
    lease.trigger()
    assert len(panel.model.columns) > 5 and panel.model.count("") == 3 * len(
        panel.model.columns)
    assert panel.buttons.start_button.isEnabled()


def test_stop_keeps_the_answers_and_resume_finds_the_rest_with_a_new_question(
        qtbot: Any, window: Any, configured: FakeOpenAI, tmp_path: Path) -> None:
    configured.set_script(lambda request: Reply(content=str(lease_answers(request)),
                                                latency=0.4))
    configure(configured, batch_concurrency=1)          # one answer at a time: a clear stop
    add_leases(qtbot, window, tmp_path / "leases", count=4)
    window.review.show_review()
    panel = window.review.panel
    panel.add_questions([{"question": "What is the monthly rent?", "kind": "money"}])
    panel.buttons.start_button.click()
    qtbot.waitUntil(lambda: len(panel.model.cells) >= 1, timeout=REPLY_TIMEOUT_MS)
    assert panel.buttons.stop_button.isEnabled() and not panel.questions.isEnabled()
    assert " of 4 answers · $" in panel.progress.text()
    panel.buttons.stop_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=10_000)
    assert panel.last_outcome["stopped"] == "cancelled"
    assert panel.note.text().startswith("Stopped by you after")
    found = panel.last_outcome["ran"]
    assert 1 <= found < 4
    qtbot.waitUntil(lambda: panel.buttons.resume_button.isEnabled(), timeout=REPLY_TIMEOUT_MS)

    # A question added to the open review: Resume finds its answers and the missing rents.
    panel.add_questions([{"question": "Which law governs?", "kind": "choice",
                          "choices": ["English", "New York"], "name": "Law"}])
    qtbot.waitUntil(lambda: len(panel.model.columns) == 2, timeout=REPLY_TIMEOUT_MS)
    configured.set_script(lease_answers)
    asked = len(configured.requests)
    panel.buttons.resume_button.click()
    qtbot.waitUntil(lambda: not panel.running and panel.last_outcome.get("stopped") is None
                    and panel.last_outcome.get("ran") == 8 - found, timeout=REPLY_TIMEOUT_MS)
    assert len(configured.requests) == asked + 8 - found      # nothing asked twice
    qtbot.waitUntil(lambda: len(panel.model.cells) == 8, timeout=REPLY_TIMEOUT_MS)
    assert panel.model.count("answered") == 8 and not panel.buttons.resume_button.isEnabled()


def test_ask_about_this_table_sends_the_question_to_the_table(qtbot: Any, window: Any,
                                                              configured: FakeOpenAI,
                                                              tmp_path: Path) -> None:
    def script(request: ChatRequest) -> Reply | str:
        if request.model == "fake-sub":            # a review answer from the helper model
            return lease_answers(request)
        return "```repl\nFINAL('Lease 2 has the highest rent.')\n```"

    configured.set_script(script)
    add_leases(qtbot, window, tmp_path / "leases", count=2)
    window.review.show_review()
    panel = window.review.panel
    add_question(qtbot, panel, "What is the monthly rent?", "money", name="Rent")
    assert not panel.buttons.ask_button.isEnabled()              # nothing to ask about yet
    panel.buttons.start_button.click()
    qtbot.waitUntil(lambda: not panel.running and bool(panel.last_outcome),
                    timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(panel.buttons.ask_button.isEnabled, timeout=REPLY_TIMEOUT_MS)

    panel.buttons.ask_button.click()
    ask = window.ask_panel
    assert window.review.tabs.currentWidget() is ask
    assert ask.scope_label.text().startswith("About the review table “")
    asked = len(configured.requests)
    ask.ask("Which lease has the highest rent?")
    qtbot.waitUntil(lambda: not ask.running and ask.turns[-1].answer != "",
                    timeout=REPLY_TIMEOUT_MS)
    first = configured.requests[asked]
    assert "This question is about the review table" in first.last_user
    assert ask.turns[-1].answer == "Lease 2 has the highest rent."

    # Choosing documents in the library goes back to asking about them.
    window.library.scope_changed.emit()
    assert ask.table is None and "review table" not in ask.scope_label.text()


def test_an_answer_can_be_asked_again_and_its_analysis_opened(qtbot: Any, window: Any,
                                                              configured: FakeOpenAI,
                                                              tmp_path: Path) -> None:
    """A helper model whose window holds too little for a whole lease: each answer is found
    by a step-by-step analysis, whose record opens from the answer."""
    configured.model_fields = {"fake-sub": {"max_model_len": 800}}

    def script(request: ChatRequest) -> Reply | str:
        return ('```repl\nFINAL("ANSWER: EUR 1000.00\\nEXPLANATION: Page 2.\\nQUOTES:'
                '\\n- page 2: \\"The rent is EUR 1000,00 per month\\"")\n```')

    configured.set_script(script)
    add_leases(qtbot, window, tmp_path / "leases", count=1)
    window.review.show_review()
    panel = window.review.panel
    add_question(qtbot, panel, "What is the monthly rent?", "money", name="Rent")
    panel.buttons.start_button.click()
    qtbot.waitUntil(lambda: not panel.running and bool(panel.last_outcome),
                    timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: len(panel.model.cells) == 1, timeout=REPLY_TIMEOUT_MS)
    rent, = panel.model.columns
    doc, = panel.model.rows
    assert panel.select(doc.id, rent.id)
    pane = panel.pane
    assert pane.show_run.isVisibleTo(pane) and pane.again.isVisibleTo(pane)
    assert "step-by-step analysis" in pane.how.text()

    pane.show_run.click()
    qtbot.waitUntil(lambda: "Opened the saved analysis" in (window.last_open_message or ""),
                    timeout=REPLY_TIMEOUT_MS)

    asked = len(configured.requests)
    pane.again.click()
    qtbot.waitUntil(lambda: panel.running, timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not panel.running, timeout=REPLY_TIMEOUT_MS)
    assert len(configured.requests) > asked
    assert panel.last_outcome["ran"] == 1


def test_documents_added_to_the_library_later_join_the_review(qtbot: Any, window: Any,
                                                              configured: FakeOpenAI,
                                                              tmp_path: Path) -> None:
    configured.set_script(lease_answers)
    add_leases(qtbot, window, tmp_path / "leases", count=2)
    window.review.show_review()
    panel = window.review.panel
    add_question(qtbot, panel, "What is the monthly rent?", "money", name="Rent")
    assert panel.buttons.budget.value() == 0.0 and panel.buttons.budget.isVisibleTo(panel)
    panel.buttons.budget.setValue(2.0)                     # a spending limit for this review
    panel.buttons.start_button.click()
    qtbot.waitUntil(lambda: not panel.running and bool(panel.last_outcome),
                    timeout=REPLY_TIMEOUT_MS)
    assert panel.review is not None and panel.review["budget_usd"] == 2.0
    assert not panel.buttons.budget.isVisibleTo(panel)
    assert not panel.buttons.add_documents_button.isVisibleTo(panel)

    later = tmp_path / "later"
    later.mkdir()
    make_pdf(later / "lease9.pdf", ["Lease 9 between Acme and Tenant 9.",
                                    "The rent is EUR 1009,00 per month."], title="Lease 9")
    window.library.add_paths([str(later / "lease9.pdf")])
    qtbot.waitUntil(lambda: window.library.document_count() == 3
                    and not window.library.runner.running, timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: panel.buttons.add_documents_button.isVisibleTo(panel),
                    timeout=REPLY_TIMEOUT_MS)
    assert panel.buttons.add_documents_button.text() == "Add 1 new document"
    panel.buttons.add_documents_button.click()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 3, timeout=REPLY_TIMEOUT_MS)
    asked = len(configured.requests)
    panel.buttons.resume_button.click()
    qtbot.waitUntil(lambda: panel.running, timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not panel.running, timeout=REPLY_TIMEOUT_MS)
    assert len(configured.requests) == asked + 1         # only the new document's answer
    assert panel.last_outcome["ran"] == 1
