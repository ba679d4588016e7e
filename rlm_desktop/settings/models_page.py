"""Settings page "AI models": the service, key and model for the main and the helper model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rlm_desktop.replies import LocalServer, list_of
from rlm_desktop.settings.keys import KeyBox
from rlm_desktop.settings.model_check import CHECK_TOOLTIP, check_model
from rlm_desktop.settings.providers import (
    CUSTOM,
    PRESETS,
    Preset,
    found_summary,
    needs_key,
    normalize_url,
    preset_for_url,
    url_problem,
    with_discovered,
)
from rlm_desktop.settings.widgets import (
    Client,
    ModelChooser,
    Notice,
    Reply,
    call,
    hint_label,
    reply_error,
    test_connection,
)

Problem = tuple[str, QWidget]


def preset_label(preset: Preset, servers: dict[str, LocalServer]) -> str:
    if not preset.local:
        return preset.name
    server = servers.get(normalize_url(preset.base_url))
    if server is not None and server.reachable:
        return f"{server.describe()}, on this computer"
    return f"{preset.name} (on this computer, not running now)"


def window_box(title: str, parent: QWidget) -> QSpinBox:
    """The model's context window in tokens; 0 (shown as "Ask the service") leaves it to
    the service and the list of common models."""
    box = QSpinBox(parent)
    box.setRange(0, 10_000_000)
    box.setSingleStep(1024)
    box.setSuffix(" tokens")
    box.setSpecialValueText("Ask the service")
    box.setGroupSeparatorShown(True)
    box.setAccessibleName(f"{title}: how much the model reads at once, in tokens")
    box.setToolTip("How much the model can read at once (its context window), in tokens. "
                   "Used only when the service does not say and the model is not a well-known "
                   "one; long work is then shortened to stay within it.")
    return box


class ModelSection(QGroupBox):
    """Service, key, model and a test button for one of the two models."""

    edited = Signal()
    service_changed = Signal()

    def __init__(self, client: Client, title: str, explanation: str, *, role: str,
                 main: ModelSection | None = None, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self._client = client
        self.main = main  # the main section, for the helper's "same service" choice
        self.presets: tuple[Preset, ...] = PRESETS
        self.servers: dict[str, LocalServer] = {}
        self.setAccessibleName(title)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(hint_label(explanation, self))

        self.same = QCheckBox("Use the same service as the main model", self)
        self.same.setAccessibleName(f"{title}: use the same service as the main model")
        self.same.toggled.connect(self._same_toggled)
        self.same.setVisible(main is not None)
        if main is not None:
            form.addRow(self.same)
            main.service_changed.connect(self._main_service_changed)
            main.key.status_changed.connect(self._main_key_changed)
        self.service = QComboBox(self)
        self.service.setAccessibleName(f"{title}: which AI service")
        self.service.currentIndexChanged.connect(self._service_picked)
        self.blurb = hint_label("", self)
        service_box = QWidget(self)
        column = QVBoxLayout(service_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.service)
        column.addWidget(self.blurb)
        self.url = QLineEdit(self)
        self.url.setAccessibleName(f"{title}: address of the service")
        self.url.setPlaceholderText("https://api.example.com/v1")
        self.url.editingFinished.connect(self._url_edited)
        self.key: KeyBox = KeyBox(client, self)
        self.key.changed.connect(self.edited)
        self.key.where_box.currentIndexChanged.connect(self._key_source_changed)
        self.key.env_name.editingFinished.connect(self._key_source_changed)
        self.key.status_changed.connect(self._refresh_list)
        self.chooser = ModelChooser(client, f"{title}: model", self,
                                    allow_empty_text="Same as the main model"
                                    if main is not None else "")
        self.chooser.changed.connect(self.edited)
        self.test_button = QPushButton("Test connection", self)
        self.test_button.setAccessibleName(f"Test the connection to the {role} model")
        self.test_button.clicked.connect(self.test)
        self.check_button = QPushButton("Test with a small analysis", self)
        self.check_button.setAccessibleName(f"Test the {role} model with a small analysis")
        self.check_button.setToolTip(CHECK_TOOLTIP)
        self.check_button.clicked.connect(self.check)
        self.result = Notice(self, name=f"{title} connection test")

        self._rows: dict[str, QWidget] = {}
        for label, widget, key in (("Service:", service_box, "service"),
                                   ("Address:", self.url, "url"),
                                   ("API key:", self.key, "key")):
            form.addRow(label, widget)
            self._rows[key] = widget
        form.addRow("Model:", self.chooser)
        self.window_tokens = window_box(title, self)
        self.window_tokens.valueChanged.connect(self.edited)
        form.addRow("Reads at once:", self.window_tokens)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.check_button)
        buttons.addStretch(1)
        form.addRow("", buttons)
        form.addRow(self.result)
        self._form = form
        self._fill_services(PRESETS[0])

    # --- loading and saving -------------------------------------------------------

    def load(self, data: dict[str, Any]) -> None:
        base_url = str(data.get("base_url") or "")
        if self.main is not None:
            # A helper with its own key variable keeps it, shown on the main model's service.
            self.same.setChecked(not base_url and not data.get("api_key_env"))
        self._fill_services(preset_for_url(base_url or self._main_url(), self.presets))
        self._show_service(api_key_env=data.get("api_key_env"))
        self.chooser.set_model(str(data.get("model") or ""))
        window = data.get("context_window")
        self.window_tokens.setValue(window if isinstance(window, int) and window > 0 else 0)

    def apply(self, data: dict[str, Any]) -> None:
        """Write this section into a ``ModelSettings`` dict."""
        data["model"] = self.chooser.model()
        data["context_window"] = self.window_tokens.value() or None
        if self.uses_main_service():
            data["base_url"] = ""
            data["api_key_env"] = None
        else:
            data["base_url"] = self.base_url()
            data["api_key_env"] = self.key.api_key_env()

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        if 0 < self.window_tokens.value() < 512:
            found.append((f"{self.title()}: a model reads at least 512 tokens at once; "
                          "enter more, or 0 to ask the service", self.window_tokens))
        if self.uses_main_service():
            return found
        if self.preset().id == CUSTOM:
            problem = url_problem(self.url.text())
            if problem:
                found.append((f"{self.title()}: {problem}", self.url))
        problem = self.key.problem()
        if problem:
            found.append((f"{self.title()}: {problem}", self.key.env_name))
        return found

    # --- the current choice -----------------------------------------------------------

    def uses_main_service(self) -> bool:
        return self.main is not None and self.same.isChecked()

    def preset(self) -> Preset:
        if self.uses_main_service() and self.main is not None:
            return self.main.preset()
        data = self.service.currentData()
        return next((p for p in self.presets if p.id == data), self.presets[0])

    def base_url(self) -> str:
        if self.uses_main_service() and self.main is not None:
            return self.main.base_url()
        preset = self.preset()
        return normalize_url(self.url.text() if preset.id == CUSTOM else preset.base_url)

    def api_key_env(self) -> str | None:
        if self.uses_main_service() and self.main is not None:
            return self.main.api_key_env()
        return self.key.api_key_env()

    def model(self) -> str:
        """The model a run would use: the helper falls back to the main model."""
        own = self.chooser.model()
        if not own and self.main is not None:
            return self.main.model()
        return own

    # --- local servers ----------------------------------------------------------------

    def set_servers(self, servers: list[LocalServer]) -> None:
        """Relabel the list after discovery; a saved address now found keeps its choice."""
        url = self.base_url()
        self.presets = with_discovered(servers)
        self.servers = {normalize_url(s.base_url): s for s in servers}
        self._fill_services(preset_for_url(url, self.presets) if url else self.preset())
        if self.base_url() != url:
            self._show_service(api_key_env=self.key.api_key_env())
        server = self.servers.get(self.base_url())
        if server is not None and server.reachable and not self.chooser.models():
            self.chooser.set_models(list(server.models))

    def key_in_use(self) -> KeyBox | None:
        """This section's key box when its key matters (own service that takes a key)."""
        if self.uses_main_service():
            return None
        preset = self.preset()
        return None if preset.local and preset.id != CUSTOM else self.key

    # --- actions -----------------------------------------------------------------------

    def test(self) -> None:
        """One tiny call: is the service there, and does it take the key and the model?"""
        self._with_key(lambda base_url, model, done: test_connection(
            self, self._client, base_url, model, self.api_key_env(), self.result, done))

    def check(self) -> None:
        """A small analysis: can this model drive one (see engine.rlm.probe)?"""
        self._with_key(lambda base_url, model, done: check_model(
            self, self._client, base_url, model, self.api_key_env(), self.result, done))

    def _with_key(self, action: Callable[[str, str, Callable[[bool], None]], object]) -> None:
        base_url, model = self.base_url(), self.model()
        problem = None if self.uses_main_service() else (
            url_problem(base_url) if self.preset().id == CUSTOM else None)
        if problem or not model:
            self.result.show_message("error", problem or "Type or pick a model first.")
            return
        self._set_testing(True)
        keys = self.main.key if self.uses_main_service() and self.main else self.key

        def key_stored(error: str | None) -> None:
            if error:
                self.result.show_message("error", error)
                self._set_testing(False)
                return
            action(base_url, model, lambda _ok: self._set_testing(False))

        # A freshly pasted key has to reach the worker before it can be tried.
        self.result.show_message("busy", "Saving the key…" if keys.typed_key() else "Testing…")
        keys.store(key_stored)

    def _set_testing(self, testing: bool) -> None:
        self.test_button.setEnabled(not testing)
        self.check_button.setEnabled(not testing)

    # --- internals ----------------------------------------------------------------------

    def _main_url(self) -> str:
        return self.main.base_url() if self.main is not None else ""

    def _fill_services(self, selected: Preset) -> None:
        self.service.blockSignals(True)
        self.service.clear()
        for preset in self.presets:
            self.service.addItem(preset_label(preset, self.servers), preset.id)
        self.service.setCurrentIndex(max(0, self.service.findData(selected.id)))
        self.service.blockSignals(False)
        if selected.id == CUSTOM and selected.base_url:
            self.url.setText(selected.base_url)

    def _show_service(self, *, api_key_env: str | None = None) -> None:
        same = self.uses_main_service()
        preset = self.preset()
        for key in ("service", "url", "key"):
            visible = not same and (key != "url" or preset.id == CUSTOM)
            visible = visible and not (key == "key" and preset.local and preset.id != CUSTOM)
            self._form.setRowVisible(self._rows[key], visible)
        address = "" if preset.id == CUSTOM else f" Address: {preset.base_url}"
        self.blurb.setText(preset.blurb + address)
        base_url = self.base_url()
        if not same and base_url:
            self.key.set_service(base_url, preset.name, api_key_env,
                                 optional=preset.local or preset.id == CUSTOM)
        self._refresh_list()
        server = self.servers.get(base_url)
        if server is not None and server.reachable and not self.chooser.models():
            self.chooser.set_models(list(server.models))
        self.result.clear()
        self.service_changed.emit()

    def _service_picked(self) -> None:
        preset = self.preset()
        self._show_service()
        example = preset.main_example if self.main is None else preset.helper_example
        server = self.servers.get(normalize_url(preset.base_url))
        if server is not None and server.models:
            example = example if example in server.models else server.models[0]
        self.chooser.set_model(example)
        self.edited.emit()

    def _url_edited(self) -> None:
        if self.preset().id == CUSTOM:
            self._show_service(api_key_env=self.key.api_key_env())
            self.edited.emit()

    def _refresh_list(self) -> None:
        """Fetch the model list when the service could answer: it has a key, or needs none."""
        base_url = self.base_url()
        self.chooser.set_source(base_url, self.api_key_env(), fetch=False)
        if not base_url:
            return
        keys = self.main.key if self.uses_main_service() and self.main else self.key
        if needs_key(base_url) and not keys.key_ready():
            self.chooser.status.setText("Paste your API key above to see the models this "
                                        "service offers, or type a model's name.")
            self.chooser.status.show()
        elif not self.chooser.models() and self.chooser.refresh_button.isEnabled():
            self.chooser.fetch()

    def _key_source_changed(self) -> None:
        if not self.uses_main_service():
            self._refresh_list()
        self.service_changed.emit()

    def _main_key_changed(self) -> None:
        if self.uses_main_service():
            self._refresh_list()

    def _same_toggled(self) -> None:
        self._show_service(api_key_env=self.key.api_key_env())
        self.edited.emit()

    def _main_service_changed(self) -> None:
        if self.uses_main_service():
            self._refresh_list()


class ModelsPage(QScrollArea):
    """Both model sections and what was found running on this computer."""

    def __init__(self, client: Client, parent: QWidget | None = None, *,
                 local_candidates: list[dict[str, str]] | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._candidates = local_candidates
        self.servers: list[LocalServer] = []
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setAccessibleName("AI models")
        body = QWidget(self)
        layout = QVBoxLayout(body)
        self.found = Notice(body, name="Servers on this computer")
        self.look_again = QPushButton("Look again", body)
        self.look_again.setAccessibleName("Look again for AI servers on this computer")
        self.look_again.clicked.connect(self.discover)
        top = QHBoxLayout()
        top.addWidget(self.found, 1)
        top.addWidget(self.look_again, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        self.main = ModelSection(
            client, "Main model",
            "Plans the work, writes the steps that read your documents, and writes the answer. "
            "Pick a capable model.", role="main", parent=body)
        self.helper = ModelSection(
            client, "Helper model",
            "Reads pieces of your documents for the main model, often many times per "
            "question. A cheaper, faster model is fine.", role="helper", main=self.main,
            parent=body)
        layout.addWidget(self.main)
        layout.addWidget(self.helper)
        layout.addStretch(1)
        self.setWidget(body)

    def load(self, settings: dict[str, Any]) -> None:
        self.main.load(settings.get("root") or {})
        self.helper.load(settings.get("sub") or {})

    def apply(self, settings: dict[str, Any]) -> None:
        self.main.apply(settings.setdefault("root", {}))
        self.helper.apply(settings.setdefault("sub", {}))

    def problems(self) -> list[Problem]:
        return self.main.problems() + self.helper.problems()

    def key_boxes(self) -> list[KeyBox]:
        return [box for box in (self.main.key_in_use(), self.helper.key_in_use()) if box]

    def discover(self, on_done: Callable[[], None] | None = None) -> None:
        self.look_again.setEnabled(False)
        self.found.show_message("busy", "Looking for AI servers on this computer…")
        call(self, self._client, "discover_local", {"candidates": self._candidates},
             lambda reply: self._discovered(reply, on_done))

    def _discovered(self, reply: Reply, on_done: Callable[[], None] | None) -> None:
        self.look_again.setEnabled(True)
        if not reply.get("ok"):
            self.found.show_message("warning", "Could not look for AI servers on this "
                                    f"computer: {reply_error(reply)}")
            return
        self.servers = list_of(LocalServer.from_json, reply.get("result"))
        summary = found_summary(self.servers)
        if summary:
            self.found.show_message("ok", f"{summary} Pick it under “Service” to use it "
                                    "for free, without sending your documents anywhere.")
        else:
            self.found.show_message("info", "No AI server is running on this computer "
                                    "(Ollama, LM Studio, llama.cpp or vLLM). Use an online "
                                    "service, or start one and press “Look again”.")
        self.main.set_servers(self.servers)
        self.helper.set_servers(self.servers)
        if on_done is not None:
            on_done()
