"""The settings' "Test with a small analysis" button, on the real worker and the fake server."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from engine.rlm import model_checks
from rlm_desktop.settings.model_check import describe_check
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS
from tests.rlm_desktop.settings.test_worker import open_dialog, use_custom
from tests.rlm_desktop.settings.test_worker import worker as worker
from tests.support import probe_models
from tests.support.fake_openai import FakeOpenAI

CHECK_TIMEOUT_MS = max(REPLY_TIMEOUT_MS, 60_000)


def test_the_button_runs_the_check_off_the_gui_thread_and_says_the_outcome(
        qtbot: Any, worker: Any) -> None:
    with FakeOpenAI(probe_models.chatting(), models=["fake-root"]) as server:
        dialog = open_dialog(qtbot, worker, server)
        use_custom(dialog, server.base_url, "fake-root")
        main = dialog.models.main
        qtbot.mouseClick(main.check_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: main.result.kind == "busy")
        assert not main.check_button.isEnabled() and not main.test_button.isEnabled()
        qtbot.waitUntil(lambda: main.result.kind not in ("", "busy"), timeout=CHECK_TIMEOUT_MS)
        assert main.result.kind == "warning"
        text = main.result.text()
        assert text.startswith("fake-root: Answers without looking at the documents.")
        assert "The test took" in text and "no charge" in text
        assert "will show a warning" in text
        assert main.check_button.isEnabled() and main.test_button.isEnabled()
        assert model_checks.warning_for(server.base_url, "fake-root") is not None

        server.set_script(probe_models.driving())
        main.check()
        qtbot.waitUntil(lambda: main.result.kind not in ("", "busy"), timeout=CHECK_TIMEOUT_MS)
        assert main.result.kind == "ok"
        assert main.result.text().startswith("fake-root: Drives the analysis.")
        assert model_checks.warning_for(server.base_url, "fake-root") is None


def test_describe_check_for_every_outcome() -> None:
    def reply(outcome: str) -> dict[str, Any]:
        return {"ok": True, "result": {"outcome": outcome, "summary": f"{outcome} words."}}

    kinds = {outcome: describe_check("m", reply(outcome))[0] for outcome in
             ("drives", "no_code", "ignores_format", "too_slow", "unreachable",
              "service_error")}
    assert kinds == {"drives": "ok", "no_code": "warning", "ignores_format": "warning",
                     "too_slow": "warning", "unreachable": "error", "service_error": "error"}
    kind, text = describe_check("m", {"ok": False, "kind": "sandbox", "error": "no seccomp"})
    assert kind == "error" and "safe workspace could not start" in text
