"""The first-run wizard against the in-process stand-in: happy paths, a local server, Skip."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from rlm_desktop.settings.wizard import KEY, MODELS, SERVICE, SKIP_TEXT, TEST, SetupWizard
from tests.rlm_desktop.settings_stand_in import SettingsStandIn

OLLAMA = {"name": "Ollama", "base_url": "http://127.0.0.1:11434/v1", "reachable": True,
          "models": ["qwen3:8b", "llama3.2", "gemma3"], "error": None}


@pytest.fixture
def client() -> SettingsStandIn:
    stand_in = SettingsStandIn()
    stand_in.settings["limits"]["max_iterations"] = 9  # kept by the wizard
    stand_in.models = {"https://api.openai.com/v1": ["gpt-5", "gpt-5-mini", "gpt-4.1"],
                       OLLAMA["base_url"]: list(OLLAMA["models"])}
    return stand_in


def open_wizard(qtbot: Any, client: SettingsStandIn) -> SetupWizard:
    wizard = SetupWizard(client)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: wizard.service.found.kind not in ("", "busy"))
    qtbot.waitUntil(lambda: wizard.settings is not None)
    return wizard


def next_button(wizard: SetupWizard) -> Any:
    return wizard.button(QWizard.WizardButton.NextButton)


def test_happy_path_with_an_online_service(qtbot: Any, client: SettingsStandIn) -> None:
    wizard = open_wizard(qtbot, client)
    assert wizard.currentId() == SERVICE
    assert "No AI server is running on this computer" in wizard.service.found.text()
    assert wizard.service.chosen().id == "openai"
    qtbot.mouseClick(next_button(wizard), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == KEY
    key = wizard.key_page.key
    qtbot.waitUntil(lambda: bool(key.status))
    assert "platform.openai.com/api-keys" in wizard.key_page.intro.text()
    assert not next_button(wizard).isEnabled()  # a key is needed to go on
    key.secret.setText("sk-wizard")
    assert next_button(wizard).isEnabled()
    qtbot.mouseClick(next_button(wizard), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == MODELS
    qtbot.waitUntil(lambda: client.keys.get("openai") == ("sk-wizard", "keyring"))
    models = wizard.models_page
    qtbot.waitUntil(lambda: models.main.combo.count() == 3)
    assert (models.main.model(), models.helper.model()) == ("gpt-5", "gpt-5-mini")
    models.main.set_model("gpt-4.1")
    qtbot.mouseClick(next_button(wizard), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == TEST
    test = wizard.test_page
    qtbot.waitUntil(lambda: test.main_result.kind == "ok" and test.helper_result.kind == "ok")
    assert "Everything works" in test.after.text()
    assert [a["model"] for a in client.sent("test_connection")] == ["gpt-4.1", "gpt-5-mini"]
    with qtbot.waitSignal(wizard.accepted, timeout=3000):
        wizard.button(QWizard.WizardButton.FinishButton).click()
    saved = client.settings
    assert saved["root"] == {"model": "gpt-4.1", "base_url": "https://api.openai.com/v1",
                             "api_key_env": None}
    assert saved["sub"] == {"model": "gpt-5-mini", "base_url": "", "api_key_env": None}
    assert saved["limits"]["max_iterations"] == 9


def test_a_local_server_is_offered_first_and_needs_no_key(qtbot: Any,
                                                          client: SettingsStandIn) -> None:
    client.servers = [OLLAMA]
    wizard = open_wizard(qtbot, client)
    assert "Found on this computer: Ollama — 3 models" in wizard.service.found.text()
    assert wizard.service.chosen().name == "Ollama"  # picked for the person
    wizard.next()
    assert wizard.currentId() == MODELS  # no key page
    models = wizard.models_page
    assert models.main.model() == "qwen3:8b"
    qtbot.waitUntil(lambda: models.main.combo.count() == 3)
    models.helper.set_model("")
    wizard.next()
    qtbot.waitUntil(lambda: wizard.test_page.main_result.kind == "ok")
    assert wizard.test_page.helper_result.isHidden()  # one model, one test
    with qtbot.waitSignal(wizard.accepted, timeout=3000):
        wizard.accept()
    assert client.settings["root"] == {"model": "qwen3:8b", "base_url": OLLAMA["base_url"],
                                       "api_key_env": None}
    assert client.settings["sub"]["model"] == ""
    assert client.sent("key_set") == []


def test_failed_test_says_what_to_do_and_finish_still_saves(qtbot: Any,
                                                            client: SettingsStandIn) -> None:
    client.tests["gpt-5"] = {"ok": False, "latency_s": None, "kind": "not_found",
                             "message": "The model gpt-5 does not exist; pick another."}
    wizard = open_wizard(qtbot, client)
    wizard.next()
    wizard.key_page.key.secret.setText("sk-x")
    wizard.next()
    wizard.next()
    test = wizard.test_page
    qtbot.waitUntil(lambda: test.main_result.kind == "error")
    assert test.main_result.text() == ("The service does not know this model. The model "
                                       "gpt-5 does not exist; pick another.")
    qtbot.waitUntil(lambda: "Go Back to fix it" in test.after.text())
    wizard.back()
    wizard.models_page.main.set_model("gpt-5-mini")
    wizard.next()
    qtbot.waitUntil(lambda: test.main_result.kind == "ok")
    with qtbot.waitSignal(wizard.accepted, timeout=3000):
        wizard.accept()
    assert client.settings["root"]["model"] == "gpt-5-mini"


def test_no_keyring_keeps_the_key_for_the_session(qtbot: Any, client: SettingsStandIn) -> None:
    client.keyring_usable = False
    wizard = open_wizard(qtbot, client)
    wizard.next()
    key = wizard.key_page.key
    qtbot.waitUntil(lambda: not key.notice.isHidden())
    assert key.where() == "session"
    key.secret.setText("sk-session")
    wizard.next()
    qtbot.waitUntil(lambda: client.keys.get("openai") == ("sk-session", "session"))


def test_skip_saves_nothing(qtbot: Any, client: SettingsStandIn) -> None:
    wizard = open_wizard(qtbot, client)
    skip = wizard.button(QWizard.WizardButton.CustomButton1)
    assert skip.text() == SKIP_TEXT and skip.isVisible()
    with qtbot.waitSignal(wizard.skipped, timeout=1000), \
            qtbot.waitSignal(wizard.finished, timeout=1000) as finished:
        qtbot.mouseClick(skip, Qt.MouseButton.LeftButton)
    assert finished.args == [0]
    assert not wizard.isVisible()
    assert client.sent("settings_set") == [] and client.sent("key_set") == []


def test_see_a_demo_first_saves_nothing_and_asks_for_the_demo(
        qtbot: Any, client: SettingsStandIn) -> None:
    wizard = open_wizard(qtbot, client)
    demo = wizard.button(QWizard.WizardButton.CustomButton2)
    assert demo.text() == "See a demo first" and demo.isVisible()
    with qtbot.waitSignal(wizard.demo_requested, timeout=1000), \
            qtbot.waitSignal(wizard.skipped, timeout=1000):
        qtbot.mouseClick(demo, Qt.MouseButton.LeftButton)
    assert not wizard.isVisible()
    assert client.sent("settings_set") == [] and client.sent("key_set") == []


def test_a_refused_save_keeps_the_wizard_open(qtbot: Any, client: SettingsStandIn) -> None:
    from tests.rlm_desktop.settings_stand_in import Refused

    def refuse(args: dict[str, Any]) -> Any:
        raise Refused("could not write the settings file: disk full; free some space")

    client.handlers["settings_set"] = refuse
    client.servers = [OLLAMA]
    wizard = open_wizard(qtbot, client)
    wizard.next()
    wizard.next()
    wizard.accept()
    notice = wizard.test_page.save_notice
    qtbot.waitUntil(lambda: notice.kind == "error")
    assert "disk full" in notice.text() and wizard.isVisible()
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
