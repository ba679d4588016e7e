"""Export from the app: the Ask panel's button, File > Export answer… and a saved analysis,
through the real worker; the files are read back with python-docx and PyMuPDF."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import docx
import pymupdf
from PySide6.QtWidgets import QApplication

from rlm_desktop.export.choices import ExportChoices, suggested_name
from rlm_desktop.export.exporter import ExportTarget
from tests.rlm_desktop.ask.test_flow import add_lease, ask
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS, call
from tests.rlm_desktop.viewer.test_viewer import quoting_script
from tests.support.fake_openai import FakeOpenAI

QUESTION = "What is the code?"


def squeeze(text: str) -> str:
    return " ".join(text.split())


def docx_text(path: Path) -> str:
    return squeeze("\n".join(p.text for p in docx.Document(str(path)).paragraphs))


def pdf_text(path: Path) -> str:
    with pymupdf.open(str(path)) as pdf:
        return squeeze("\n".join(page.get_text() for page in pdf))


def answered(qtbot: Any, window: Any, server: FakeOpenAI, tmp_path: Path) -> None:
    add_lease(qtbot, window, tmp_path / "docs")
    server.set_script(quoting_script("the secret code is 7319"))
    ask(qtbot, window, QUESTION)


def choose(qtbot: Any, window: Any, fmt: str, full_record: bool) -> None:
    """Answer the Export dialog as a person would."""
    qtbot.waitUntil(lambda: window.exports.exporter.choices is not None, timeout=5000)
    choices: ExportChoices = window.exports.exporter.choices
    assert choices.isVisible()
    choices.buttons[fmt].click()
    choices.full_record.setChecked(full_record)
    choices.choose.click()


def save_as(qtbot: Any, window: Any, path: Path) -> None:
    """Type a name in the save dialog and save."""
    qtbot.waitUntil(lambda: window.exports.exporter.file_dialog is not None, timeout=5000)
    dialog = window.exports.exporter.file_dialog
    dialog.setDirectory(str(path.parent))
    dialog.selectFile(path.name)
    dialog.accept()


def saved(qtbot: Any, window: Any, path: Path) -> str:
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Saved"),
                    timeout=REPLY_TIMEOUT_MS)
    assert path.is_file()
    return window.statusBar().currentMessage()


def test_the_ask_panels_export_writes_a_pdf_with_the_full_record(
        qtbot: Any, window: Any, configured: FakeOpenAI, tmp_path: Path) -> None:
    panel = window.ask_panel
    assert not panel.export_button.isVisible()        # nothing to export yet
    answered(qtbot, window, configured, tmp_path)
    assert panel.export_button.isVisible() and "Export…" in panel.answer_text()
    panel.export_button.click()
    choose(qtbot, window, "pdf", full_record=True)
    dialog = window.exports.exporter.file_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=5000)
    assert dialog.selectedNameFilter() == "PDF (*.pdf)"
    out = tmp_path / "out" / "answer.pdf"
    out.parent.mkdir()
    save_as(qtbot, window, out)
    said = saved(qtbot, window, out)
    assert said == (f"Saved the answer and its 1 source with the full record of the analysis "
                    f"as answer.pdf in {out.parent}.")
    text = pdf_text(out)
    assert QUESTION in text and "The code is 7319 [1]" in text
    assert "Lease" in text and "Quote checked on this page" in text
    assert "Step 1, code 1: ok" in text                  # the appendix
    assert not window.banner.isVisible()


def test_file_export_answer_writes_word_and_markdown_without_the_record(
        qtbot: Any, window: Any, configured: FakeOpenAI, tmp_path: Path) -> None:
    assert not window.exports.action.isEnabled()
    answered(qtbot, window, configured, tmp_path)
    action = window.exports.action
    assert action.isEnabled() and action.shortcut().toString() == "Ctrl+E"
    assert action in window.menus["file"].actions()
    for fmt, suffix, read in (("docx", ".docx", docx_text),
                              ("md", ".md", lambda p: p.read_text(encoding="utf-8"))):
        action.trigger()
        choose(qtbot, window, fmt, full_record=False)
        # The kind comes from the name typed: ".docx" or ".md" is added when it is missing.
        out = tmp_path / f"plain{suffix}"
        window.statusBar().clearMessage()
        save_as(qtbot, window, out.with_suffix(""))
        saved(qtbot, window, out)
        text = squeeze(read(out)).replace("\\", "")
        assert QUESTION in text and "The code is 7319 [1]" in text
        assert "Quote checked on this page" in text and "Step 1, code 1" not in text


def test_an_unwritable_place_says_so_and_the_app_goes_on(
        qtbot: Any, window: Any, configured: FakeOpenAI, tmp_path: Path) -> None:
    answered(qtbot, window, configured, tmp_path)
    target = window.exports.shown
    assert target is not None and target.run_id
    afile = tmp_path / "notes.txt"
    afile.write_text("x", encoding="utf-8")
    window.exports.exporter.write(target, str(afile / "answer.docx"), "docx", False)
    qtbot.waitUntil(window.banner.isVisible, timeout=REPLY_TIMEOUT_MS)
    message = window.banner.text.text()
    assert message == (f"answer.docx was not saved: {afile} is a file, not a folder; choose "
                       "a folder to save it in.")
    assert window.statusBar().currentMessage() == message
    assert window.banner.action.text() == "Choose another place…"
    window.banner.action.click()                    # offers the save dialog again
    qtbot.waitUntil(lambda: window.exports.exporter.file_dialog is not None, timeout=5000)
    out = tmp_path / "second try.docx"
    save_as(qtbot, window, out)
    saved(qtbot, window, out)
    assert not window.banner.isVisible() and QUESTION in docx_text(out)
    assert call(qtbot, window.client, "hello")["ok"]      # the engine goes on
    assert not window.ask_panel.running and window.ask_panel.ask("And again?")


def test_a_saved_analysis_opened_from_its_file_exports(
        qtbot: Any, window: Any, configured: FakeOpenAI, tmp_path: Path) -> None:
    answered(qtbot, window, configured, tmp_path)
    run_id = window.exports.shown.run_id
    data = Path(os.environ["XDG_DATA_HOME"]) / "rlm-desktop" / "runs" / f"{run_id}.jsonl"
    copy = tmp_path / "kept" / "lease question.jsonl"
    copy.parent.mkdir()
    # The copy's question differs from the stored run's: the export must read the copy.
    copy.write_text(data.read_text(encoding="utf-8").replace(QUESTION, "Copied question?"),
                    encoding="utf-8")
    window.open_saved_file(str(copy))
    qtbot.waitUntil(lambda: window.exports.shown is not None and
                    window.exports.shown.log == str(copy), timeout=REPLY_TIMEOUT_MS)
    out = tmp_path / "from file.md"
    window.exports.exporter.write(window.exports.shown, str(out), "docx", False)
    saved(qtbot, window, out)
    text = out.read_text(encoding="utf-8").replace("\\", "")
    assert "Copied question?" in text and "The code is 7319 [1]" in text


def test_the_suggested_name_is_a_safe_file_name() -> None:
    assert suggested_name("What is the code?", "pdf") == "Answer - What is the code.pdf"
    assert suggested_name("a/b\\c:d*\x00e\n", "docx") == "Answer - a b c d e.docx"
    assert suggested_name("???", "md") == "Answer.md"
    assert len(suggested_name("x" * 500, "md")) < 80


def test_nothing_to_export_is_said(qtbot: Any, window: Any) -> None:
    window.exports.exporter.start(ExportTarget(""))
    assert window.banner.isVisible() and "There is no answer to export yet" in \
        window.banner.text.text()
    assert QApplication.activeModalWidget() is None
