"""The Ask panel without a worker: the question box keys, rendering, facts and partial answers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QTextDocument

from rlm_desktop.ask.panel import AskPanel, QuestionBox
from rlm_desktop.ask.render import Turn, cite_links, cost_text, facts_line, parse_cite_url, render
from rlm_desktop.replies import AskResult


class FakeClient:
    """Records requests; replies only when the test says so."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any], Any, Any]] = []
        self.cancelled: list[int] = []

    def request(self, cmd: str, args: dict[str, Any] | None = None, *, on_event: Any = None,
                on_done: Any = None) -> int:
        self.requests.append((cmd, args or {}, on_event, on_done))
        return len(self.requests)

    def cancel(self, request_id: int) -> None:
        self.cancelled.append(request_id)


def test_enter_asks_and_shift_enter_makes_a_new_line(qtbot: Any) -> None:
    box = QuestionBox()
    qtbot.addWidget(box)
    asked: list[int] = []
    box.submitted.connect(lambda: asked.append(1))
    qtbot.keyClicks(box, "first line")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(box, "second")
    assert box.toPlainText() == "first line\nsecond" and not asked
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert asked == [1]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/tmp/x.pdf")])
    dropped: list[list[str]] = []
    box.files_dropped.connect(dropped.append)
    box.insertFromMimeData(mime)
    assert dropped == [["/tmp/x.pdf"]] and box.toPlainText() == "first line\nsecond"


def test_citations_become_links_with_titles() -> None:
    text = 'Capped at 10,000 [[cite doc=3 page=12 quote="shall not \\"exceed\\""]] and more ' \
           "[[cite doc=9 page=1]]."
    linked = cite_links(text, {3: "Lease [2021]"}.get)
    assert "[\\[Lease (2021), p. 12\\]](cite:3/12 \"shall not 'exceed'\")" in linked
    assert "[\\[document 9, p. 1\\]](cite:9/1)" in linked
    assert parse_cite_url("cite:3/12") == (3, 12) and parse_cite_url("https://x") is None


def test_costs_and_facts() -> None:
    turn = Turn("q")
    turn.apply_result(AskResult.from_json(
        {"answer": "a", "stop_reason": "answered", "duration_s": 75.2,
         "usage": {"calls": 3, "prompt_tokens": 10, "completion_tokens": 5,
                   "cost_usd": 0.01234}}))
    assert facts_line(turn) == "Answered · $0.0123 · 1 min 15 s"
    turn.iteration, turn.helper_questions = 3, 12       # steps and helper questions, not calls
    assert facts_line(turn) == "Answered · $0.0123 · 1 min 15 s · 3 steps · 12 helper questions"
    turn.apply_usage({"cost_usd": None, "known_cost_usd": 0.5, "unpriced_models": ["x"]})
    assert cost_text(turn) == "at least $0.5000 (a price is unknown)"
    turn.apply_usage({"cost_usd": None, "known_cost_usd": 0.0, "unpriced_models": ["x"]})
    assert cost_text(turn) == "cost unknown"                  # never a made-up $0


def test_a_partial_answer_is_flagged_with_its_reason(qtbot: Any) -> None:
    turn = Turn("Which clauses?")
    turn.apply_result(AskResult.from_json(
        {"answer": "Clauses 3 and 9 so far", "stop_reason": "max_iterations",
         "partial": True, "duration_s": 3.0, "usage": {"cost_usd": 0.2}}))
    document = QTextDocument()
    render(document, [turn], QuestionBox().palette(), lambda _id: None)
    text = document.toPlainText()
    assert "Partial answer — Stopped at the step limit — here is what was found." in text
    assert "Clauses 3 and 9 so far" in text
    assert "Stopped at the step limit · $0.2000 · 3.0 s" in text


def test_panel_asks_shows_progress_and_stops(qtbot: Any) -> None:
    client = FakeClient()
    scope = {"value": ("acme", [4, 5])}
    panel = AskPanel(client, lambda: scope["value"])  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    assert panel.scope_label.text() == "About the 2 checked documents in “acme”."
    events: list[dict[str, Any]] = []
    panel.run_event.connect(events.append)
    request_id = panel.ask("How much?")
    cmd, args, on_event, on_done = client.requests[-1]
    assert cmd == "ask" and args == {"question": "How much?", "collection": "acme",
                                     "document_ids": [4, 5], "conversation": None}
    assert panel.ask_button.text() == "Stop"
    on_event({"type": "iteration_started", "iteration": 2, "depth": 0})
    on_event({"type": "usage_totals", "calls": 4, "prompt_tokens": 1, "completion_tokens": 1,
              "cost_usd": 0.5})
    on_event({"type": "subcall_started", "kind": "llm_query", "depth": 0})
    assert [e["type"] for e in events] == ["iteration_started", "usage_totals",
                                           "subcall_started"]
    qtbot.waitUntil(lambda: "step 2 · 1 helper question · $0.5000" in panel.answer_text())
    panel.stop()
    panel.stop()                               # a second press does not cancel twice
    assert client.cancelled == [request_id]
    assert "Stopping…" in panel.answer_text()
    on_done({"ok": True, "result": {"answer": "", "stop_reason": "cancelled", "partial": True,
                                    "conversation": "c-1", "usage": {}, "duration_s": 1.0}})
    assert not panel.running and panel.conversation == "c-1"
    assert "No answer — Stopped by you." in panel.answer_text()
    # Other documents checked: the next question starts a new conversation.
    scope["value"] = ("acme", [4])
    panel.update_scope()
    assert "starts a new conversation" in panel.scope_label.text()
    panel.ask("Next?")
    assert client.requests[-2][0] == "end_conversation"
    assert client.requests[-1][1]["conversation"] is None
    assert "New conversation: the selected documents changed." in panel.answer_text()


def test_nothing_to_ask_about_yet(qtbot: Any) -> None:
    client = FakeClient()
    panel = AskPanel(client, lambda: (None, None))  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    assert panel.ask("Anything?") == 0 and not client.requests
    assert "Add documents first" in panel.scope_label.text()


def test_saved_settings_start_a_new_conversation_at_the_next_question(qtbot: Any) -> None:
    client = FakeClient()
    panel = AskPanel(client, lambda: ("acme", None))  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    answered = {"ok": True, "result": {"answer": "Yes.", "stop_reason": "answered",
                                       "conversation": "c-1", "usage": {}, "duration_s": 1.0}}
    panel.ask("First?")
    client.requests[-1][3](answered)
    panel.ask("A follow-up keeps the conversation?")
    assert client.requests[-1][1]["conversation"] == "c-1"
    client.requests[-1][3](answered)
    panel.settings_changed()          # say, a new key after the old one was refused
    panel.ask("And now?")
    assert client.requests[-2][:2] == ("end_conversation", {"conversation": "c-1"})
    assert client.requests[-1][1]["conversation"] is None
    assert "it uses the settings you just saved" in panel.answer_text()
    client.requests[-1][3](dict(answered, result=dict(answered["result"], conversation="c-2")))
    panel.ask("Then follow-ups continue the new one.")
    assert client.requests[-1][1]["conversation"] == "c-2"


def test_the_question_box_hint_follows_the_readable_documents(qtbot: Any) -> None:
    client = FakeClient()
    readable = [0]
    panel = AskPanel(client, lambda: ("default", None),  # type: ignore[arg-type]
                     readable=lambda: readable[0])
    qtbot.addWidget(panel)
    assert "Add documents first" in panel.question.placeholderText()
    assert "no readable documents yet" in panel.scope_label.text()
    assert panel.ask("Anything?") == 0 and not client.requests
    readable[0] = 3                 # documents were added: the library tells the panel
    panel.update_scope()
    assert panel.question.placeholderText().startswith("Ask a question")
    assert panel.scope_label.text() == "About every readable document in “default”."
