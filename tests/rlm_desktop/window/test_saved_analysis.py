"""File > Open a saved analysis…: a record of an analysis (``rlm ask --log``) replayed
read-only in the run panel, through the real worker, without asking any model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog

from engine import events as ev
from rlm_desktop.run.tree import CellNode
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS
from tests.rlm_desktop.hostile import FifoWatch, hostile_text, images
from tests.support.fake_openai import FakeOpenAI, by_model, sequence
from tests.support.harness import ask, repl


@pytest.fixture
def window(qtbot: Any, worker: Any) -> Any:
    """MainWindow on the real worker with the real run panel (what a person sees)."""
    from rlm_desktop.window.main_window import MainWindow
    from tests.rlm_desktop.recording_panels import RecordingHistoryPanel

    win = MainWindow(worker, history_panel=RecordingHistoryPanel(), offer_setup=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.library.loaded, timeout=REPLY_TIMEOUT_MS)
    return win


def write_log(tmp_path: Path, capsys: Any) -> Path:
    """A real ``rlm ask --log`` run: one step with a sub-query, then the answer."""
    script = by_model({"fake-root": sequence(repl('print(llm_query("Is 7319 a code?"))'),
                                             repl('FINAL("The code is 7319")')),
                       "fake-sub": "Yes."})
    with FakeOpenAI(script) as server:
        out = ask(server, tmp_path / "asked", capsys, "What is the secret code?")
    assert out.code == 0, out.stderr
    return out.log


def open_saved(qtbot: Any, window: Any, path: Path) -> str:
    """Choose ``path`` as the dialog would, wait until the window has said what it did."""
    window.last_open_message = ""
    window.open_saved_file(str(path))
    qtbot.waitUntil(lambda: bool(window.last_open_message), timeout=REPLY_TIMEOUT_MS)
    window.run_panel.flush()
    return str(window.last_open_message)


def file_action(window: Any) -> Any:
    (found,) = [a for a in window.menus["file"].actions()
                if a.text() == "&Open a saved analysis…"]
    return found


def test_the_menu_item_opens_a_non_blocking_dialog_for_records(
        qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[QFileDialog] = []
    monkeypatch.setattr(QFileDialog, "open", lambda self: opened.append(self))
    action = file_action(window)
    assert action.shortcut().toString() == "Ctrl+Alt+O"
    action.trigger()
    (dialog,) = opened
    assert dialog.nameFilters()[0] == "Records of an analysis (*.jsonl)"
    assert dialog.fileMode() == QFileDialog.FileMode.ExistingFile
    dialog.deleteLater()


def test_a_saved_analysis_replays_its_question_steps_and_answer_without_a_model(
        qtbot: Any, window: Any, configured: FakeOpenAI, tmp_path: Path,
        capsys: Any) -> None:
    log = write_log(tmp_path, capsys)
    configured.requests.clear()      # writing the log may have used it (its sub-model)
    message = open_saved(qtbot, window, log)
    assert message == "Opened the saved analysis run.jsonl."
    panel = window.run_panel
    assert window.side_tabs.currentWidget() is window.run_panel_widget
    assert panel.read_only and not panel.live
    assert panel.question_label.text() == "What is the secret code?"
    assert len(panel.timeline.steps) == 2
    assert panel.timeline.outcome.answer.full == "The code is 7319"
    assert panel.status_label.full == "Saved run · Answered"
    cells = [item for item in panel.tree.root.steps[0].items if isinstance(item, CellNode)]
    assert "llm_query" in cells[0].code and cells[0].output.strip()
    assert [call.kind for call in cells[0].calls] == ["llm_query"]
    assert configured.requests == []        # nothing asked a model
    assert not window.banner.isVisible()


def test_a_long_record_streams_and_replays(qtbot: Any, window: Any, tmp_path: Path) -> None:
    """Many steps: the events come as small lines, never as one huge reply."""
    events: list[ev.Event] = [ev.RunStarted(run_id="r", question="Long?", root_model="m",
                                            sub_model="s", context_chars=0, documents=0,
                                            limits={})]
    for number in range(1, 301):
        events += [ev.IterationStarted(run_id="r", iteration=number, max_iterations=300),
                   ev.ModelResponse(run_id="r", iteration=number, model="m",
                                    text=f"Step {number}.", prompt_tokens=1,
                                    completion_tokens=1)]
    events += [ev.AnswerReady(run_id="r", text="Done."),
               ev.RunFinished(run_id="r", stop_reason=ev.StopReason.ANSWERED, duration_s=9.0)]
    log = tmp_path / "long.jsonl"
    log.write_text("".join(json.dumps(e.to_json()) + "\n" for e in events), encoding="utf-8")
    seen: list[dict[str, Any]] = []
    original = window.client.request

    def request(cmd: str, args: Any = None, **kwargs: Any) -> int:
        if cmd == "read_log":
            seen.append(kwargs)
        return int(original(cmd, args, **kwargs))

    window.client.request = request
    assert open_saved(qtbot, window, log) == "Opened the saved analysis long.jsonl."
    assert seen and seen[0]["on_event"] is not None
    assert len(window.run_panel.tree.root.steps) == 300
    assert window.run_panel.timeline.outcome.answer.full == "Done."


def test_nothing_is_opened_while_a_question_runs(qtbot: Any, window: Any, tmp_path: Path,
                                                 capsys: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from rlm_desktop.ask.panel import AskPanel

    log = write_log(tmp_path, capsys)
    monkeypatch.setattr(AskPanel, "running", property(lambda _self: True))
    message = open_saved(qtbot, window, log)
    assert message.startswith("run.jsonl was not opened: a question is running.")
    assert window.run_panel.tree.root is None


def test_damaged_lines_are_skipped_and_counted(qtbot: Any, window: Any, tmp_path: Path,
                                               capsys: Any) -> None:
    lines = write_log(tmp_path, capsys).read_text(encoding="utf-8").splitlines()
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("\n".join([lines[0], "{half a line", *lines[1:]]) + "\n",
                       encoding="utf-8")
    message = open_saved(qtbot, window, damaged)
    assert message == ("Opened damaged.jsonl, but 1 damaged line could not be read and was "
                       "skipped; the rest is shown.")
    assert window.run_panel.timeline.outcome.answer.full == "The code is 7319"


@pytest.mark.parametrize(("content", "words"), [
    (None, "There is no file at"),
    ("", "record.jsonl is empty."),
    ("just some notes\n", "record.jsonl is not a record of an analysis"),
    (json.dumps({"type": "ingest_started", "files": 1}) + "\n",
     "record.jsonl is not a record of an analysis"),
])
def test_what_cannot_be_replayed_is_said_and_the_panel_is_kept(
        qtbot: Any, window: Any, tmp_path: Path, capsys: Any, content: str | None,
        words: str) -> None:
    open_saved(qtbot, window, write_log(tmp_path, capsys))
    timeline = window.run_panel.timeline
    bad = tmp_path / "record.jsonl"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    message = open_saved(qtbot, window, bad)
    assert message.startswith("record.jsonl could not be opened: ") and words in message
    assert window.statusBar().currentMessage() == message
    assert window.banner.isVisible() and window.banner.text.text() == message
    assert window.run_panel.timeline is timeline          # what was shown stays


def test_a_folder_and_a_huge_file_are_refused(qtbot: Any, window: Any,
                                              tmp_path: Path) -> None:
    assert "is a folder, not a file" in open_saved(qtbot, window, tmp_path)
    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024 + 1)           # sparse: nothing is written
    assert "records larger than 200 MB are not opened" in open_saved(qtbot, window, huge)
    assert window.run_panel.tree.root is None


def test_text_from_the_record_is_shown_as_untrusted(qtbot: Any, window: Any,
                                                    tmp_path: Path) -> None:
    watch = FifoWatch(tmp_path)
    evil = hostile_text(watch.path)
    events = [ev.RunStarted(run_id="r", question=evil, root_model=evil, sub_model="s",
                            context_chars=0, documents=0, limits={}),
              ev.AnswerReady(run_id="r", text=evil),
              ev.RunFinished(run_id="r", stop_reason=ev.StopReason.ANSWERED, duration_s=1.0)]
    log = tmp_path / "evil.jsonl"
    log.write_text("".join(json.dumps(e.to_json()) + "\n" for e in events), encoding="utf-8")
    open_saved(qtbot, window, log)
    panel = window.run_panel
    panel.grab()                          # laid out and painted: any image would load now
    QApplication.processEvents()
    assert watch.opened() == 0
    assert "<b>bold</b>" in panel.question_label.text()
    answer = panel.timeline.outcome.answer
    assert "<b>bold</b>" in answer.view.text()
    assert images(answer.view.document()) == []
