"""The Settings dialog against the in-process stand-in: loading, saving, refusals, keys, prices."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QWidget

from rlm_desktop.settings import dialog as settings_dialog
from rlm_desktop.settings.dialog import SettingsDialog
from tests.rlm_desktop.settings_stand_in import Refused, SettingsStandIn

OLLAMA = {"name": "Ollama", "base_url": "http://127.0.0.1:11434/v1", "reachable": True,
          "models": ["qwen3:8b", "llama3.2", "gemma3"], "error": None}


@pytest.fixture
def client(qtbot: Any) -> SettingsStandIn:
    stand_in = SettingsStandIn()
    stand_in.settings["root"] = {"model": "gpt-5", "base_url": "https://api.openai.com/v1",
                                 "api_key_env": None}
    stand_in.keys["openai"] = ("sk-stored-secret", "keyring")
    stand_in.models = {"https://api.openai.com/v1": ["gpt-5", "gpt-5-mini"],
                       OLLAMA["base_url"]: list(OLLAMA["models"])}
    return stand_in


def open_dialog(qtbot: Any, client: SettingsStandIn) -> SettingsDialog:
    dialog = SettingsDialog(client)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled())
    qtbot.waitUntil(lambda: bool(dialog.models.main.key.status))
    return dialog


def all_text(widget: QWidget) -> str:
    """Everything a person could read or copy out of the dialog."""
    parts = [widget.windowTitle()]
    for child in widget.findChildren(QWidget):
        for getter in ("text", "currentText", "toolTip", "accessibleName",
                       "accessibleDescription"):
            value = getattr(child, getter, None)
            if callable(value):
                try:
                    parts.append(str(value()))
                except TypeError:
                    pass
    return "\n".join(parts)


def test_loads_settings_and_reports_a_stored_key_without_showing_it(qtbot: Any,
                                                                     client: SettingsStandIn
                                                                     ) -> None:
    dialog = open_dialog(qtbot, client)
    main = dialog.models.main
    assert main.preset().id == "openai"
    assert main.chooser.model() == "gpt-5"
    assert "saved in this computer's keychain" in main.key.state.text()
    assert main.key.secret.text() == ""
    assert not main.key.forget.isHidden()
    assert dialog.models.helper.uses_main_service()
    assert dialog.limits.form.boxes["max_iterations"].value() == 30
    assert "sk-stored-secret" not in all_text(dialog)


def test_save_sends_key_settings_and_prices(qtbot: Any, client: SettingsStandIn) -> None:
    dialog = open_dialog(qtbot, client)
    main, helper = dialog.models.main, dialog.models.helper
    main.key.secret.setText("  sk-new-key ")
    main.chooser.set_model("gpt-5-mini")
    helper.chooser.set_model("gpt-5-nano")
    form = dialog.limits.form
    form.boxes["max_iterations"].setValue(12)
    form.toggles["budget_usd"].setChecked(True)
    assert form.boxes["budget_usd"].value() == 1.0  # a usable start, not an invalid 0
    form.boxes["budget_usd"].setValue(2.5)
    form.boxes["batch_concurrency"].setValue(4)
    dialog.safety.allow.setChecked(True)
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert client.keys["openai"] == ("sk-new-key", "keyring")
    saved = client.settings
    assert saved["root"] == {"model": "gpt-5-mini", "base_url": "https://api.openai.com/v1",
                             "api_key_env": None, "context_window": None}
    assert saved["sub"] == {"model": "gpt-5-nano", "base_url": "", "api_key_env": None,
                            "context_window": None}
    assert saved["limits"]["max_iterations"] == 12
    assert saved["limits"]["budget_usd"] == 2.5
    assert saved["limits"]["batch_concurrency"] == 4
    assert saved["limits"]["timeout_s"] is None
    assert saved["sandbox"]["allow_unsandboxed"] is True
    assert client.sent("prices_set") == []  # prices untouched: nothing written
    order = [cmd for cmd, _ in client.requests if cmd in ("key_set", "settings_set")]
    assert order == ["key_set", "settings_set"]


def test_the_early_answer_check_is_a_setting(qtbot: Any, client: SettingsStandIn) -> None:
    dialog = open_dialog(qtbot, client)
    assert dialog.limits.confirm.isChecked()  # on by default
    assert "held back once" in all_text(dialog)
    dialog.limits.confirm.setChecked(False)
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert client.settings["limits"]["confirm_early_answers"] is False
    again = open_dialog(qtbot, client)
    assert not again.limits.confirm.isChecked()


def test_invalid_limits_are_refused_with_a_clear_message_and_nothing_lost(
        qtbot: Any, client: SettingsStandIn) -> None:
    dialog = open_dialog(qtbot, client)
    form = dialog.limits.form
    dialog.models.main.chooser.set_model("gpt-4.1")
    form.boxes["max_iterations"].setValue(0)
    form.boxes["max_depth"].setValue(5)
    assert not form.notice.isHidden()
    assert "“Steps per question” must be at least 1" in form.notice.text()
    dialog.nav.setCurrentRow(0)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.result() == 0
    assert "“Steps per question” must be at least 1" in dialog.banner.text()
    assert "Nothing has been saved" in dialog.banner.text()
    assert dialog.stack.currentWidget() is dialog.limits  # taken to the problem
    assert client.sent("settings_set") == []
    assert form.boxes["max_depth"].value() == 5  # everything typed is still there
    assert dialog.models.main.chooser.model() == "gpt-4.1"
    form.boxes["max_iterations"].setValue(8)
    assert form.notice.isHidden()
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        dialog.save()
    assert client.settings["limits"]["max_iterations"] == 8
    assert client.settings["limits"]["max_depth"] == 5


def test_a_refusal_by_the_worker_keeps_the_dialog_open(qtbot: Any,
                                                       client: SettingsStandIn) -> None:
    dialog = open_dialog(qtbot, client)

    def refuse(args: dict[str, Any]) -> Any:
        raise Refused("settings: the disk is full; free some space")

    client.handlers["settings_set"] = refuse
    dialog.limits.form.boxes["max_sub_calls"].setValue(77)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.banner.kind == "error")
    assert "the disk is full" in dialog.banner.text()
    assert "nothing you typed is lost" in dialog.banner.text()
    assert dialog.isVisible() and dialog.save_button.isEnabled()
    assert dialog.limits.form.boxes["max_sub_calls"].value() == 77


def test_no_keyring_offers_session_or_environment_variable(qtbot: Any,
                                                           client: SettingsStandIn) -> None:
    client.keyring_usable = False
    client.keys.clear()
    dialog = open_dialog(qtbot, client)
    key = dialog.models.main.key
    assert not key.notice.isHidden()
    assert "no keychain" in key.notice.text()
    model = key.where_box.model()
    assert not model.item(0).isEnabled()  # "keychain" cannot be picked
    assert key.where() == "session"
    key.secret.setText("sk-session")
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        dialog.save()
    assert client.keys["openai"] == ("sk-session", "session")

    dialog = open_dialog(qtbot, client)
    key = dialog.models.main.key
    assert "for this session only" in key.state.text()
    key.where_box.setCurrentIndex(key.where_box.findData("env"))
    assert not key.env_name.isHidden() and not key.secret.isEnabled()
    key.env_name.setText("9 bad name")
    dialog.save()
    assert "cannot be an environment variable name" in dialog.banner.text()
    key.env_name.setText("MY_OPENAI_KEY")
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        dialog.save()
    assert client.settings["root"]["api_key_env"] == "MY_OPENAI_KEY"


def test_local_servers_are_listed_and_can_be_picked(qtbot: Any,
                                                    client: SettingsStandIn) -> None:
    client.servers = [OLLAMA, {"name": "LM Studio", "base_url": "http://127.0.0.1:1234/v1",
                               "reachable": False, "models": [], "error": "refused"}]
    dialog = open_dialog(qtbot, client)
    page = dialog.models
    qtbot.waitUntil(lambda: page.found.kind == "ok")
    assert "Found on this computer: Ollama — 3 models." in page.found.text()
    helper = page.helper
    helper.same.setChecked(False)
    index = helper.service.findText("Ollama — 3 models, on this computer")
    assert index >= 0
    assert helper.service.findText("LM Studio (on this computer, not running now)") >= 0
    helper.service.setCurrentIndex(index)
    assert helper.key.isHidden()  # no key for a server on this computer
    qtbot.waitUntil(lambda: helper.chooser.combo.count() == 3)
    assert helper.chooser.model() == "qwen3:8b"
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        dialog.save()
    assert client.settings["sub"] == {"model": "qwen3:8b", "base_url": OLLAMA["base_url"],
                                      "api_key_env": None, "context_window": None}


def test_custom_address_must_be_a_web_address(qtbot: Any, client: SettingsStandIn) -> None:
    dialog = open_dialog(qtbot, client)
    main = dialog.models.main
    main.service.setCurrentIndex(main.service.findData("custom"))
    assert not main.url.isHidden()
    main.url.setText("my server")
    main.url.editingFinished.emit()
    dialog.save()
    assert "is not a web address" in dialog.banner.text()
    assert client.sent("settings_set") == []
    main.url.setText("https://llm.example.com/v1/")
    main.url.editingFinished.emit()
    main.chooser.set_model("house-model")
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        dialog.save()
    assert client.settings["root"]["base_url"] == "https://llm.example.com/v1"


def test_test_connection_shows_the_workers_message(qtbot: Any, client: SettingsStandIn) -> None:
    client.tests["gpt-5"] = {"ok": False, "latency_s": 0.1, "kind": "auth",
                             "message": "The key was refused. Paste a new key."}
    dialog = open_dialog(qtbot, client)
    main = dialog.models.main
    main.key.secret.setText("sk-typed")
    qtbot.mouseClick(main.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: main.result.kind == "error")
    assert main.result.text() == ("The service did not accept the API key. "
                                  "The key was refused. Paste a new key.")
    assert client.keys["openai"][0] == "sk-typed"  # a pasted key is stored before the test
    assert main.key.secret.text() == ""
    main.chooser.set_model("gpt-5-mini")
    main.test()
    qtbot.waitUntil(lambda: main.result.kind == "ok")
    assert main.result.text() == "It works: gpt-5-mini answered in 0.2 s."


def test_forget_key_asks_first(qtbot: Any, client: SettingsStandIn) -> None:
    dialog = open_dialog(qtbot, client)
    key = dialog.models.main.key
    qtbot.mouseClick(key.forget, Qt.MouseButton.LeftButton)
    box = key.findChild(QMessageBox, "forget_key_confirmation")
    assert box is not None and "Forget the saved key for OpenAI" in box.text()
    forget = next(b for b in box.buttons() if b.text() == "Forget key")
    forget.click()
    qtbot.waitUntil(lambda: "openai" not in client.keys)
    qtbot.waitUntil(lambda: "No key saved yet" in key.state.text())
    assert key.forget.isHidden()


def test_prices_unknown_edit_and_refuse(qtbot: Any, client: SettingsStandIn) -> None:
    client.settings["root"]["model"] = "house-model"
    client.overrides = {"gpt-5": {"input": 1.0, "output": 9.0}}
    dialog = open_dialog(qtbot, client)
    dialog.nav.setCurrentRow(dialog.PAGES.index("Prices"))
    page = dialog.prices
    assert "No price is known for “house-model” (main model)" in page.unknown.text()
    assert "not $0" in page.unknown.text()
    rows = {r.model: r for r in page.model.rows}
    assert rows["gpt-5"].mine and rows["gpt-5"].builtin is not None
    page.add_model()
    position = next(i for i, r in enumerate(page.model.rows) if r.model == "house-model")
    index = page.model.index(position, 1)
    assert page.model.data(index) == "unknown"
    assert not page.model.setData(index, "cheap")
    assert "is not a price" in page.notice.text()
    assert page.model.setData(index, "$0.5")
    dialog.save()
    assert "give both the input and the output price for “house-model”" in dialog.banner.text()
    assert dialog.stack.currentWidget() is page
    assert page.model.setData(page.model.index(position, 2), "2")
    assert page.unknown.isHidden()
    gpt5 = next(i for i, r in enumerate(page.model.rows) if r.model == "gpt-5")
    page.view.setCurrentIndex(page.proxy.mapFromSource(page.model.index(gpt5, 0)))
    assert page.forget_button.text() == "Use built-in price"
    page.forget_selected()
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        dialog.save()
    assert client.overrides == {"house-model": {"input": 0.5, "output": 2.0}}


def test_data_page_shows_and_opens_folders(qtbot: Any, client: SettingsStandIn,
                                           monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Any) -> None:
    opened: list[str] = []
    monkeypatch.setattr(settings_dialog, "open_folder", lambda p: opened.append(p) or True)
    client.handlers["hello"] = lambda args: {"data_dir": str(tmp_path / "data"),
                                             "config_dir": str(tmp_path / "config"),
                                             "keyring": {"usable": True}}
    dialog = open_dialog(qtbot, client)
    data = dialog.data
    qtbot.waitUntil(lambda: data.buttons["data_dir"].isEnabled())
    assert data.paths["data_dir"].text() == str(tmp_path / "data")
    qtbot.mouseClick(data.buttons["data_dir"], Qt.MouseButton.LeftButton)
    assert opened == [str(tmp_path / "data")]
    assert "keychain" in data.keys.text()


def test_every_control_has_an_accessible_name(qtbot: Any, client: SettingsStandIn) -> None:
    client.servers = [OLLAMA]
    dialog = open_dialog(qtbot, client)
    dialog.models.helper.same.setChecked(False)
    controls = ("QLineEdit", "QComboBox", "QPushButton", "QCheckBox", "QSpinBox",
                "QDoubleSpinBox", "QListWidget", "QTableView", "QRadioButton")
    unnamed = [f"{type(w).__name__} {w.objectName()!r}" for w in dialog.findChildren(QWidget)
               if type(w).__name__ in controls and not w.accessibleName()
               and not (isinstance(w, QLineEdit) and isinstance(w.parent(), QWidget)
                        and type(w.parent()).__name__ in ("QComboBox", "QSpinBox",
                                                          "QDoubleSpinBox"))]
    assert unnamed == []


def test_a_helper_key_variable_on_the_main_service_is_kept(qtbot: Any,
                                                           client: SettingsStandIn) -> None:
    client.settings["sub"] = {"model": "gpt-5-mini", "base_url": "", "api_key_env": "SUB_KEY"}
    dialog = open_dialog(qtbot, client)
    helper = dialog.models.helper
    assert not helper.uses_main_service()
    assert helper.key.where() == "env" and helper.key.env_name.text() == "SUB_KEY"
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        dialog.save()
    assert client.settings["sub"] == {"model": "gpt-5-mini",
                                      "base_url": "https://api.openai.com/v1",
                                      "api_key_env": "SUB_KEY", "context_window": None}


def test_the_models_window_is_saved_and_a_tiny_one_refused(qtbot: Any,
                                                           client: SettingsStandIn) -> None:
    client.settings["sub"] = {"model": "house-model", "base_url": "", "api_key_env": None,
                              "context_window": 32768}
    dialog = open_dialog(qtbot, client)
    main, helper = dialog.models.main, dialog.models.helper
    assert main.window_tokens.value() == 0 and main.window_tokens.text() == "Ask the service"
    assert helper.window_tokens.value() == 32768
    main.window_tokens.setValue(100)
    assert any("at least 512 tokens" in text for text, _ in dialog.models.problems())
    main.window_tokens.setValue(8192)
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert client.settings["root"]["context_window"] == 8192
    assert client.settings["sub"]["context_window"] == 32768
