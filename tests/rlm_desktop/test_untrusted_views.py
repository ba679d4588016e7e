"""Every view that shows a model's or a document's text, fed hostile Markdown and HTML: nothing
is read from disk, no HTML is obeyed, and links the model wrote go through the link gate."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import Qt, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from engine.rlm.citations import format_marker
from rlm_desktop.ask.panel import AskPanel
from rlm_desktop.library.dialogs import confirm
from rlm_desktop.library.ingest import IngestBar
from rlm_desktop.library.model import STATUS, TITLE, LibraryModel
from rlm_desktop.replies import Document, RunRecord
from rlm_desktop.run.calls import CallsTable
from rlm_desktop.run.header import StatBox
from rlm_desktop.run.history import HistoryPanel
from rlm_desktop.run.items import OutcomeCard, ResponseView
from rlm_desktop.run.sandbox_badge import SandboxDetails
from rlm_desktop.run.tree import CallNode, ResponseNode, RunNode
from rlm_desktop.settings.widgets import Notice, hint_label
from rlm_desktop.settings.wizard import SetupWizard
from rlm_desktop.widgets import safe_links
from rlm_desktop.window.banner import Banner
from tests.rlm_desktop.ask.test_panel import FakeClient
from tests.rlm_desktop.hostile import (
    FifoWatch,
    bold_or_linked,
    fifo_text,
    hostile_text,
    images,
    tooltip_shown,
)
from tests.rlm_desktop.settings_stand_in import SettingsStandIn

CITED = '**Six months** ' + format_marker(4, 7, "six (6) months") + "."


@pytest.fixture
def watch(tmp_path: Path) -> FifoWatch:
    return FifoWatch(tmp_path)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The link gate's dialogs replaced by records (the person always says yes)."""
    seen: dict[str, list[str]] = {"asked": [], "refused": [], "opened": []}
    monkeypatch.setattr(safe_links, "confirm_link",
                        lambda url, _parent, on_open: seen["asked"].append(url.toString())
                        or on_open())
    monkeypatch.setattr(safe_links, "refuse_link",
                        lambda url, _parent: seen["refused"].append(url.toString()))
    monkeypatch.setattr(safe_links.QDesktopServices, "openUrl",
                        lambda url: seen["opened"].append(url.toString()) or True)
    return seen


def shown(qtbot: Any, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.resize(480, 400)
    widget.show()
    widget.grab()                         # laid out and painted: any image would load now
    QApplication.processEvents()
    return widget


def assert_plain(text: str) -> None:
    """The hostile pieces read as typed (HTML) or as their description (images)."""
    assert "<b>bold</b>" in text and '<img src="/dev/zero">' in text
    assert '<a href="file:///etc">x</a>' in text
    assert "[image: zero]" in text and "[image: passwd]" in text


# --- the Ask panel ----------------------------------------------------------------------

def ask_panel(qtbot: Any, answer: str) -> AskPanel:
    client = FakeClient()
    panel = AskPanel(client, lambda: ("acme", None))  # type: ignore[arg-type]
    panel.ask("What does it say?")
    on_done = client.requests[-1][3]
    on_done({"ok": True, "result": {"answer": answer, "stop_reason": "answered",
                                    "usage": {}, "duration_s": 1.0}})
    shown(qtbot, panel)
    return panel


def test_ask_panel_answers_read_no_file_and_obey_no_html(qtbot: Any, watch: FifoWatch) -> None:
    panel = ask_panel(qtbot, fifo_text(watch.path))
    assert watch.opened() == 0
    panel.turns.clear()
    panel = ask_panel(qtbot, hostile_text(watch.path))
    document = panel.view.document()
    assert_plain(panel.answer_text())
    assert images(document) == [] and not bold_or_linked(document, "<b>bold</b>")


def test_ask_panel_citation_quotes_are_escaped_tooltips(qtbot: Any, watch: FifoWatch) -> None:
    evil = f"<img src='{watch.path}'>"
    panel = ask_panel(qtbot, "Rent is due " + format_marker(3, 12, evil) + ".")
    link = panel.view.document().find("p. 12")
    assert link.charFormat().anchorHref() == "cite:3/12"
    assert tooltip_shown(link.charFormat().toolTip()) == evil
    assert watch.opened() == 0


def test_ask_panel_links_ask_first_and_refuse_other_schemes(qtbot: Any,
                                                            gate: dict[str, list[str]]) -> None:
    panel = ask_panel(qtbot, "See [the form](https://evil.example/?q=secret).")
    cited: list[tuple[int, int]] = []
    panel.citation_clicked.connect(lambda doc, page: cited.append((doc, page)))
    panel.view.anchorClicked.emit(QUrl("https://evil.example/?q=secret"))
    assert gate["asked"] == ["https://evil.example/?q=secret"]
    assert gate["opened"] == ["https://evil.example/?q=secret"]
    for link in ("file:///etc/passwd", "mailto:x@example.com?body=secret", "javascript:x()"):
        panel.view.anchorClicked.emit(QUrl(link))
    assert len(gate["refused"]) == 3 and len(gate["opened"]) == 1
    panel.view.anchorClicked.emit(QUrl("cite:3/12"))       # ours: no question asked
    assert cited == [(3, 12)] and len(gate["asked"]) == 1


# --- the run panel ----------------------------------------------------------------------

def outcome(qtbot: Any, answer: str) -> OutcomeCard:
    card = OutcomeCard()
    card.show_run(RunNode(run_id="r", answer=answer, stop_reason="answered", duration_s=2.0))
    shown(qtbot, card)
    return card


def test_run_panel_answer_is_rendered_markdown_without_html_or_files(
        qtbot: Any, watch: FifoWatch, gate: dict[str, list[str]]) -> None:
    card = outcome(qtbot, fifo_text(watch.path))
    assert watch.opened() == 0
    card = outcome(qtbot, hostile_text(watch.path))
    assert_plain(card.answer.view.text())
    assert images(card.answer.view.document()) == []
    card = outcome(qtbot, CITED + " [site](file:///etc/passwd)")
    document = card.answer.view.document()
    assert card.answer.view.text() == "Six months [doc 4, p. 7]. site"
    assert bold_or_linked(document, "Six months")          # the Markdown is rendered
    assert not bold_or_linked(document, "[doc 4, p. 7]")   # a citation reads as text
    card.answer.view.anchorClicked.emit(QUrl("file:///etc/passwd"))
    assert gate["refused"] == ["file:///etc/passwd"] and gate["opened"] == []


def test_run_panel_tooltips_show_model_names_as_typed(qtbot: Any, watch: FifoWatch) -> None:
    evil = f"<img src='{watch.path}'><b>gpt</b>"
    view = ResponseView(ResponseNode(model=evil, text="Reading."))
    qtbot.addWidget(view)
    view.resize(60, 100)                  # the facts line is elided: its tooltip has it all
    view.show()
    facts = view.findChildren(QLabel)[0]
    assert facts.toolTip() and tooltip_shown(facts.toolTip()).startswith(evil)
    table = CallsTable()
    qtbot.addWidget(table)
    calls = [CallNode(call_id=f"c{n}", model=evil, prompt_preview=f"{evil} clause {n}",
                      finished=True, response_preview="<i>yes</i>") for n in range(3)]
    table.sync(calls, time.perf_counter() + 1)
    tip = tooltip_shown(table.topLevelItem(0).toolTip(0))
    assert f"to {evil}, depth 1" in tip and "<i>yes</i>" in tip
    assert evil in tooltip_shown(table.toolTip())         # "Every prompt here begins: …"
    box = StatBox("Cost")
    qtbot.addWidget(box)
    box.set("unknown", f"{evil} has no price")
    assert tooltip_shown(box.toolTip()) == f"{evil} has no price"
    assert watch.opened() == 0


def test_history_preview_and_tooltip(qtbot: Any, watch: FifoWatch,
                                     gate: dict[str, list[str]]) -> None:
    panel = HistoryPanel()
    run = RunRecord(run_id="r1", collection="acme", question=f"<img src='{watch.path}'>",
                    answer=fifo_text(watch.path), status="finished", stop_reason="answered",
                    started_at="2026-11-20T10:00:00Z")
    panel.set_runs([run])
    shown(qtbot, panel)
    tip = panel.model.item(0).toolTip()
    assert tooltip_shown(tip).startswith(f"<img src='{watch.path}'>")
    assert watch.opened() == 0
    panel.set_runs([RunRecord(run_id="r2", question="q", answer=hostile_text(watch.path),
                              status="finished", stop_reason="answered")])
    panel.grab()
    assert_plain(panel.preview_answer.text())
    assert images(panel.preview_answer.document()) == []
    assert not bold_or_linked(panel.preview_answer.document(), "<b>bold</b>")
    panel.preview_answer.anchorClicked.emit(QUrl("https://example.com/?q=1"))
    assert gate["asked"] == ["https://example.com/?q=1"]


def test_sandbox_details_escape_what_the_status_says(qtbot: Any, watch: FifoWatch) -> None:
    status = {"isolation": {"filesystem": True}, "note": f"<img src='{watch.path}'> <b>x</b>",
              "layers": {"<img src='/dev/zero'>": False},
              "missing": {"<img src='/dev/zero'>": f"<img src='{watch.path}'>"},
              "platform": "<b>linux</b>"}
    details = shown(qtbot, SandboxDetails(status))
    assert isinstance(details, SandboxDetails)
    assert "<b>linux</b>" in details.text.text().replace("&lt;", "<").replace("&gt;", ">")
    assert watch.opened() == 0


# --- library, banner, settings ------------------------------------------------------------

def test_library_tooltips_and_labels_show_names_as_typed(qtbot: Any, watch: FifoWatch) -> None:
    evil = f"<img src='{watch.path}'>"
    model = LibraryModel()
    model.set_documents([Document.from_json(
        {"id": 1, "title": f"<b>{evil}</b>", "type": "pdf", "pages": 1, "tokens": 1,
         "status": "failed", "error": f"{evil} could not be read", "error_kind": "parse",
         "path": f"/docs/{evil}.pdf"})])
    assert tooltip_shown(model.index(0, TITLE).data(Qt.ItemDataRole.ToolTipRole)) == \
        f"/docs/{evil}.pdf"
    assert evil in tooltip_shown(model.index(0, STATUS).data(Qt.ItemDataRole.ToolTipRole))
    bar = IngestBar()
    bar.begin(evil)
    shown(qtbot, bar)
    assert bar.label.textFormat() == Qt.TextFormat.PlainText
    parent = QWidget()
    qtbot.addWidget(parent)
    box: QMessageBox = confirm(parent, "Delete collection", f"Delete “{evil}”?", "Delete",
                               lambda: None)
    box.grab()
    assert box.textFormat() == Qt.TextFormat.PlainText
    box.close()
    assert watch.opened() == 0


def test_banner_and_settings_messages_are_plain_text(qtbot: Any, watch: FifoWatch) -> None:
    evil = f"<img src='{watch.path}'> <a href='file:///etc'>fix</a>"
    banner = Banner()
    banner.show_message(f"The engine stopped: {evil}", "failed")
    shown(qtbot, banner)
    assert banner.text.textFormat() == Qt.TextFormat.PlainText
    notice = Notice()
    notice.show_message("error", evil)
    shown(qtbot, notice)
    assert notice.text() == evil and notice._text.textFormat() == Qt.TextFormat.PlainText
    hint = shown(qtbot, hint_label(evil))
    assert isinstance(hint, QLabel) and hint.textFormat() == Qt.TextFormat.PlainText
    assert watch.opened() == 0


def test_setup_summary_shows_a_served_model_name_as_typed(qtbot: Any, watch: FifoWatch) -> None:
    # A local server names its own models: the summary page puts them in its HTML.
    evil = f"<img src='{watch.path}'><b>m</b>"
    client = SettingsStandIn()
    server = {"name": "Ollama", "base_url": "http://127.0.0.1:11434/v1", "reachable": True,
              "models": [evil], "error": None}
    client.servers = [server]
    client.models = {server["base_url"]: [evil]}
    wizard = SetupWizard(client)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: wizard.service.found.kind not in ("", "busy"))
    qtbot.waitUntil(lambda: wizard.settings is not None)
    wizard.next()
    wizard.models_page.main.set_model(evil)
    wizard.models_page.helper.set_model("")
    wizard.next()
    summary = wizard.test_page.summary
    summary.grab()
    document = QTextDocument()
    document.setHtml(summary.text())
    assert f"Main model: {evil}" in document.toPlainText()
    assert watch.opened() == 0
