"""Asking through the window with the real worker and a scripted model: answer, follow-up, stop."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl

from tests.engine.ingest.makers import make_pdf
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS, call
from tests.support.fake_openai import ChatRequest, FakeOpenAI, Reply, by_model, sequence
from tests.support.harness import repl


def add_lease(qtbot: Any, win: Any, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    make_pdf(folder / "lease.pdf", ["Lease agreement between A and B.",
                                    "Clause 9: the secret code is 7319."], title="Lease")
    win.library.add_paths([str(folder)])
    qtbot.waitUntil(lambda: win.library.document_count() == 1 and
                    not win.library.runner.running, timeout=REPLY_TIMEOUT_MS)


def ask(qtbot: Any, win: Any, question: str) -> None:
    panel = win.ask_panel
    panel.question.setPlainText(question)
    qtbot.keyClick(panel.question, Qt.Key.Key_Return)        # Enter asks
    assert panel.running
    qtbot.waitUntil(lambda: not panel.running, timeout=REPLY_TIMEOUT_MS)


def needle_script() -> Any:
    root = sequence(
        repl('hits = [d for d in documents if "Lease" in d["title"]]\n'
             'page = context[hits[0]["start"]:hits[0]["end"]]\n'
             'verdict = llm_query("What is the secret code? " + page)\nprint(verdict)'),
        repl('FINAL("The code is **" + verdict + "** " + cite(hits[0]["id"], 2))'))

    def sub(request: ChatRequest) -> str:
        return "7319" if "secret code is 7319" in request.last_user else "not found"

    return by_model({"fake-root": root, "fake-sub": sub})


def test_an_answer_with_its_facts_and_the_run_panel_fed_in_order(
        qtbot: Any, window: Any, configured: FakeOpenAI, tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    configured.set_script(needle_script())
    ask(qtbot, window, "What is the secret code?")
    panel, runs = window.ask_panel, window.run_panel
    turn = panel.turns[-1]
    assert turn.status == "done" and turn.stop_reason == "answered", turn
    text = panel.answer_text()
    assert "You asked" in text and "What is the secret code?" in text
    # Markdown rendered; the engine checked the citation, so it is numbered, with a source.
    assert "The code is 7319 [1]" in text
    assert "[1] Lease, p. 2 — Page cited without a quote" in text
    assert 'href="cite:' in panel.view.toHtml()
    assert [c["status"] for c in turn.citations] == ["no_quote"]
    facts = next(line for line in text.splitlines() if line.startswith("Answered · $"))
    # Steps and helper questions, the words of the plain view (not "model calls").
    assert "2 steps · 1 helper question" in facts and " s · " in facts
    assert panel.question.toPlainText() == ""
    # The run panel got begin, every event in the worker's order, then the reply.
    assert runs.calls[0] == ("begin", "What is the secret code?")
    kind, result, error = runs.calls[-1]
    assert kind == "finish" and error is None and result.answer.startswith("The code is")
    types = [e["type"] for e in runs.events()]
    assert types[0] == "run_started" and types[-1] == "run_finished"
    assert types.index("cell_started") < types.index("subcall_started") \
        < types.index("subcall_finished") < types.index("cell_finished")
    assert "answer" in types and types.count("iteration_started") == 2
    stored = call(qtbot, window.client, "run_events", {"run_id": result.run_id})
    assert [e["type"] for e in stored["result"]["events"]] == types
    assert window.sandbox_label.text().startswith("Safe workspace: ")   # VOCABULARY.md
    # History was refreshed with the new run.
    qtbot.waitUntil(lambda: any(r.run_id == result.run_id
                                for r in window.history_panel.runs or []),
                    timeout=REPLY_TIMEOUT_MS)


def test_a_follow_up_keeps_the_conversation(qtbot: Any, window: Any, configured: FakeOpenAI,
                                           tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    configured.set_script(by_model({"fake-root": sequence(
        repl("first = 'seven three one nine'\nFINAL(first)"))}))
    ask(qtbot, window, "What is the secret code?")
    panel = window.ask_panel
    conversation = panel.conversation
    assert conversation and panel.turns[0].answer == "seven three one nine"
    assert "Follow-up questions keep the earlier ones in mind." in panel.scope_label.text()
    configured.requests.clear()
    # The REPL carries over: the follow-up's code uses a variable from the first question.
    configured.set_script(by_model({"fake-root": repl("FINAL(first.upper())")}))
    ask(qtbot, window, "Say it louder")
    assert panel.conversation == conversation
    assert panel.turns[1].answer == "SEVEN THREE ONE NINE"
    follow_up = configured.requests[0]
    history = " ".join(str(m.get("content")) for m in follow_up.messages)
    assert "What is the secret code?" in history and "seven three one nine" in history
    assert panel.answer_text().count("You asked") == 2
    # New conversation forgets it.
    panel.new_action.trigger()
    assert panel.conversation is None and panel.turns == []
    assert panel.stack.currentWidget() is panel.empty


def test_stop_ends_the_run_within_two_seconds(qtbot: Any, window: Any,
                                              configured: FakeOpenAI, tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    # The first turn works; the second would keep the model busy for a minute.
    configured.set_script(by_model({"fake-root": sequence(
        repl("notes = 'Clause 9 holds the code'\nprint(notes)"),
        Reply(content=repl("FINAL(notes)"), latency=60))}))
    panel, runs = window.ask_panel, window.run_panel
    panel.question.setPlainText("What is the secret code?")
    panel.ask_button.click()
    qtbot.waitUntil(lambda: any(e["type"] == "cell_finished" for e in runs.events()),
                    timeout=REPLY_TIMEOUT_MS)
    started = time.monotonic()
    runs.stop_requested.emit()                 # the run panel's Stop button
    assert panel.turns[-1].status == "stopping" and panel.ask_button.text() == "Stopping…"
    qtbot.waitUntil(lambda: not panel.running, timeout=REPLY_TIMEOUT_MS)
    took = time.monotonic() - started
    turn = panel.turns[-1]
    assert turn.stop_reason == "cancelled", turn
    print(f"stopped in {took:.2f} s")
    assert took < 3.5, f"Stop took {took:.1f} s (the engine promises 2 s; slack for load)"
    text = panel.answer_text()
    assert "Stopped by you" in text
    assert "Partial answer — Stopped by you" in text or "No answer — Stopped by you." in text
    _, result, error = runs.finishes()[-1]
    assert result.stop_reason == "cancelled" and error is None
    assert panel.ask_button.text() == "Ask" and panel.ask_button.isEnabled()


def test_without_a_model_the_answer_says_what_to_do(qtbot: Any, worker: Any,
                                                    tmp_path: Path) -> None:
    from engine.config import Settings, save_settings
    from rlm_desktop.window.main_window import MainWindow
    from tests.rlm_desktop.recording_panels import RecordingHistoryPanel, RecordingRunPanel

    save_settings(Settings())                  # no model chosen yet
    win = MainWindow(worker, run_panel=RecordingRunPanel(),
                     history_panel=RecordingHistoryPanel(), offer_setup=False)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.library.loaded, timeout=REPLY_TIMEOUT_MS)
    add_lease(qtbot, win, tmp_path / "docs")
    ask(qtbot, win, "Anything?")
    turn = win.ask_panel.turns[-1]
    assert turn.status == "failed", turn
    print(turn.error_kind, turn.error)
    assert "Not answered." in win.ask_panel.answer_text()
    assert turn.error_kind == "config"
    assert 'href="rlm:settings"' in win.ask_panel.view.toHtml()
    with qtbot.waitSignal(win.ask_panel.settings_requested, timeout=1000):
        win.ask_panel.view.anchorClicked.emit(QUrl("rlm:settings"))
    assert win.run_panel.finishes()[-1][2]      # the error reached the run panel
