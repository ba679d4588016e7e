"""The Ask panel's warning about a main model that failed its test: shown, retested, dismissed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from rlm_desktop.ask.panel import AskPanel
from tests.rlm_desktop.ask.test_panel import FakeClient

WARNING = ("The main model <b>tiny</b> did not drive the analysis in a test on 3 December 2026 "
           "(answers without looking at the documents): its answers may be unreliable. Test "
           "it again, or choose another main model.")
FOUND = {"ok": True, "result": {"model": "<b>tiny</b>", "base_url": "http://127.0.0.1:9/v1",
                                "api_key_env": None, "warning": WARNING}}
CLEAR = {"ok": True, "result": {"model": "tiny", "base_url": "http://127.0.0.1:9/v1",
                                "api_key_env": None, "warning": None}}


def last(client: FakeClient, cmd: str) -> tuple[str, dict[str, Any], Any, Any]:
    return next(r for r in reversed(client.requests) if r[0] == cmd)


def test_warning_shows_before_asking_and_test_again_clears_it(qtbot: Any) -> None:
    client = FakeClient()
    panel = AskPanel(client, lambda: ("acme", None))  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    panel.show()
    warning = panel.model_warning
    assert not warning.isVisible()
    warning.refresh()
    last(client, "model_check_warning")[3](FOUND)
    assert warning.isVisible()
    assert warning.text.text() == WARNING                 # the model's name as plain text
    assert warning.text.textFormat() == Qt.TextFormat.PlainText
    qtbot.mouseClick(warning.again, Qt.MouseButton.LeftButton)
    _, args, _, on_done = last(client, "check_model")
    assert args == {"base_url": "http://127.0.0.1:9/v1", "model": "<b>tiny</b>",
                    "api_key_env": None}
    assert "Testing <b>tiny</b> with a small analysis" in warning.text.text()
    assert not warning.again.isEnabled()
    on_done({"ok": True, "result": {"outcome": "drives", "passed": True}})
    last(client, "model_check_warning")[3](CLEAR)
    assert not warning.isVisible()


def test_choose_another_model_opens_the_settings(qtbot: Any) -> None:
    client = FakeClient()
    panel = AskPanel(client, lambda: ("acme", None))  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    panel.show()
    panel.settings_changed()          # saved settings: the warning is looked up again
    last(client, "model_check_warning")[3](FOUND)
    with qtbot.waitSignal(panel.settings_requested, timeout=1000):
        qtbot.mouseClick(panel.model_warning.choose, Qt.MouseButton.LeftButton)


def test_a_failed_retest_says_why(qtbot: Any) -> None:
    client = FakeClient()
    panel = AskPanel(client, lambda: ("acme", None))  # type: ignore[arg-type]
    qtbot.addWidget(panel)
    panel.show()
    panel.model_warning.refresh()
    last(client, "model_check_warning")[3](FOUND)
    panel.model_warning.test_again()
    last(client, "check_model")[3]({"ok": False, "kind": "sandbox",
                                    "error": "The safe workspace could not start."})
    assert panel.model_warning.isVisible()
    assert panel.model_warning.text.text().startswith("The test could not run: The safe")
    assert panel.model_warning.again.isEnabled()
