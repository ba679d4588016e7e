"""Settings dialog and wizard on the real worker, the fake model server and the in-memory keyring.

The worker inherits PYTHON_KEYRING_BACKEND from tests/conftest.py, so keys stay in its memory.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QWizard

from engine.config import config_dir, settings_path
from rlm_desktop.settings.dialog import SettingsDialog
from rlm_desktop.settings.wizard import MODELS, SetupWizard
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS, call, stop_client, wait_ready
from tests.support.fake_openai import FakeOpenAI, Reply, by_model

MODELS_3 = ["fake-root", "fake-sub", "fake-big"]


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    script = by_model({name: "OK" for name in MODELS_3})  # other models: 404
    with FakeOpenAI(script, models=MODELS_3) as fake:
        yield fake


def start_worker(qtbot: Any) -> Any:
    from rlm_desktop.worker_client import WorkerClient

    client = WorkerClient()
    client.start()
    wait_ready(qtbot, client)
    return client


@pytest.fixture
def worker(qtbot: Any) -> Iterator[Any]:
    """The real worker with no settings file yet (a first start)."""
    client = start_worker(qtbot)
    yield client
    stop_client(qtbot, client)


def open_dialog(qtbot: Any, worker: Any, server: FakeOpenAI) -> SettingsDialog:
    # Only the fake server is ever probed: never the real local ports.
    dialog = SettingsDialog(worker, local_candidates=[{"name": "Ollama",
                                                      "base_url": server.base_url}])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: dialog.models.found.kind not in ("", "busy"),
                    timeout=REPLY_TIMEOUT_MS)
    return dialog


def use_custom(dialog: SettingsDialog, url: str, model: str) -> None:
    main = dialog.models.main
    main.service.setCurrentIndex(main.service.findData("custom"))
    main.url.setText(url)
    main.url.editingFinished.emit()
    main.chooser.set_model(model)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_settings_round_trip(qtbot: Any, worker: Any, server: FakeOpenAI) -> None:
    dialog = open_dialog(qtbot, worker, server)
    assert dialog.models.main.preset().id == "openai"  # the engine's default service
    use_custom(dialog, server.base_url, "fake-root")
    main = dialog.models.main
    qtbot.waitUntil(lambda: "No key saved" in main.key.state.text(), timeout=REPLY_TIMEOUT_MS)
    main.key.secret.setText("sk-round-trip-secret")
    helper = dialog.models.helper
    helper.chooser.set_model("fake-sub")
    limits = dialog.limits.form
    limits.boxes["max_iterations"].setValue(7)
    limits.toggles["timeout_s"].setChecked(True)
    limits.boxes["timeout_s"].setValue(90)
    limits.boxes["batch_concurrency"].setValue(3)
    dialog.prices.add_model("fake-root")
    row = next(i for i, r in enumerate(dialog.prices.model.rows) if r.model == "fake-root")
    assert dialog.prices.model.setData(dialog.prices.model.index(row, 1), "1.5")
    assert dialog.prices.model.setData(dialog.prices.model.index(row, 2), "3")
    with qtbot.waitSignal(dialog.accepted, timeout=REPLY_TIMEOUT_MS):
        dialog.save()

    on_disk = json.loads(settings_path().read_text(encoding="utf-8"))
    assert on_disk["root"] == {"model": "fake-root", "base_url": server.base_url,
                               "api_key_env": None, "context_window": None}
    assert on_disk["sub"]["model"] == "fake-sub" and on_disk["sub"]["base_url"] == ""
    assert on_disk["limits"]["max_iterations"] == 7
    assert on_disk["limits"]["timeout_s"] == 90
    assert on_disk["limits"]["batch_concurrency"] == 3
    prices = json.loads((config_dir() / "prices.json").read_text(encoding="utf-8"))
    assert prices == {"fake-root": {"input": 1.5, "output": 3.0}}
    for path in config_dir().rglob("*"):
        if path.is_file():
            assert "sk-round-trip-secret" not in path.read_text(encoding="utf-8")

    status = call(qtbot, worker, "key_status", {"provider": main.key.provider})
    assert status["result"]["source"] == "keyring"  # in the worker's (in-memory) keyring

    again = open_dialog(qtbot, worker, server)
    main = again.models.main
    assert main.base_url() == server.base_url
    assert main.chooser.model() == "fake-root"
    assert again.models.helper.chooser.model() == "fake-sub"
    assert again.limits.form.boxes["max_iterations"].value() == 7
    assert again.limits.form.toggles["timeout_s"].isChecked()
    qtbot.waitUntil(lambda: "saved in this computer's keychain" in main.key.state.text(),
                    timeout=REPLY_TIMEOUT_MS)
    assert main.key.secret.text() == ""  # never shown back
    rows = {r.model: r for r in again.prices.model.rows}
    assert rows["fake-root"].mine and rows["fake-root"].values["input"] == 1.5
    # The stored key is the one the worker sends to the service.
    main.test()
    qtbot.waitUntil(lambda: main.result.kind == "ok", timeout=REPLY_TIMEOUT_MS)
    assert server.requests[-1].headers["authorization"] == "Bearer sk-round-trip-secret"


def test_discovery_and_connection_problems(qtbot: Any, worker: Any, server: FakeOpenAI) -> None:
    dialog = open_dialog(qtbot, worker, server)
    page = dialog.models
    assert page.found.text().startswith("Found on this computer: Ollama — 3 models.")
    main = page.main
    main.service.setCurrentIndex(main.service.findText("Ollama — 3 models, on this computer"))
    assert main.base_url() == server.base_url
    qtbot.waitUntil(lambda: main.chooser.models() == sorted(MODELS_3), timeout=REPLY_TIMEOUT_MS)
    assert main.chooser.model() in MODELS_3  # a model the server has is picked for them
    main.chooser.set_model("fake-root")

    def tested() -> str:
        main.result.clear()
        main.test()
        qtbot.waitUntil(lambda: main.result.kind in ("ok", "error"), timeout=REPLY_TIMEOUT_MS)
        return main.result.text()

    assert tested().startswith("It works: fake-root answered in")
    server.push_faults(Reply(fault="401"))
    text = tested()
    assert text.startswith("The service did not accept the API key.")
    assert "refused the API key" in text
    main.chooser.set_model("no-such-model")
    text = tested()
    assert text.startswith("The service does not know this model.")
    assert "Model 'no-such-model' was not found" in text
    use_custom(dialog, f"http://127.0.0.1:{closed_port()}/v1", "fake-root")
    text = tested()
    assert text.startswith("Cannot reach the service.")
    assert "Is the server running?" in text


def test_without_a_keyring_the_key_is_kept_for_the_session(qtbot: Any,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          server: FakeOpenAI) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    worker = start_worker(qtbot)
    try:
        dialog = open_dialog(qtbot, worker, server)
        use_custom(dialog, server.base_url, "fake-root")
        key = dialog.models.main.key
        qtbot.waitUntil(lambda: not key.notice.isHidden(), timeout=REPLY_TIMEOUT_MS)
        assert "no keychain" in key.notice.text()
        assert key.where() == "session"
        assert "no keychain" in dialog.data.keys.text()
        key.secret.setText("sk-session-only")
        with qtbot.waitSignal(dialog.accepted, timeout=REPLY_TIMEOUT_MS):
            dialog.save()
        status = call(qtbot, worker, "key_status", {"provider": key.provider})["result"]
        assert status["source"] == "session" and status["keyring"]["usable"] is False
        assert "sk-session-only" not in settings_path().read_text(encoding="utf-8")
        again = open_dialog(qtbot, worker, server)
        state = again.models.main.key.state
        qtbot.waitUntil(lambda: "for this session only" in state.text(),
                        timeout=REPLY_TIMEOUT_MS)
    finally:
        stop_client(qtbot, worker)


def test_wizard_happy_path_with_a_local_server(qtbot: Any, worker: Any,
                                               server: FakeOpenAI) -> None:
    wizard = SetupWizard(worker, local_candidates=[{"name": "Ollama",
                                                    "base_url": server.base_url}])
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(lambda: "Ollama" in wizard.service.found.text(), timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: wizard.settings is not None, timeout=REPLY_TIMEOUT_MS)
    assert wizard.service.base_url() == server.base_url
    wizard.next()
    assert wizard.currentId() == MODELS
    models = wizard.models_page
    qtbot.waitUntil(lambda: models.main.combo.count() == 3, timeout=REPLY_TIMEOUT_MS)
    assert models.main.model() in MODELS_3
    models.main.set_model("fake-root")
    models.helper.set_model("fake-sub")
    wizard.next()
    test = wizard.test_page
    qtbot.waitUntil(lambda: test.main_result.kind == "ok" and test.helper_result.kind == "ok",
                    timeout=REPLY_TIMEOUT_MS)
    with qtbot.waitSignal(wizard.accepted, timeout=REPLY_TIMEOUT_MS):
        wizard.button(QWizard.WizardButton.FinishButton).click()
    on_disk = json.loads(settings_path().read_text(encoding="utf-8"))
    assert on_disk["root"] == {"model": "fake-root", "base_url": server.base_url,
                               "api_key_env": None, "context_window": None}
    assert on_disk["sub"]["model"] == "fake-sub"
