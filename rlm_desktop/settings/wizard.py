"""The first-run setup: which AI service, its key, which models, a test call, done (or skip)."""

from __future__ import annotations

import copy
import html
from functools import partial
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from engine.config import Settings
from rlm_desktop.replies import LocalServer, SavedSettings, list_of
from rlm_desktop.settings.keys import KeyBox
from rlm_desktop.settings.providers import (
    CUSTOM,
    PRESETS,
    Preset,
    normalize_url,
    preset_by_id,
    url_problem,
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
from rlm_desktop.widgets.icons import app_icon

SERVICE, KEY, MODELS, TEST = range(4)
SKIP_TEXT = "Skip: browse my library first"
DEMO_TEXT = "See a demo first"


def _text(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setOpenExternalLinks(True)
    return label


class ServicePage(QWizardPage):
    """Which AI service: the online ones, what runs on this computer, or another address."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self._wizard = wizard
        self.setTitle("Which AI service should answer your questions?")
        self.setSubTitle("RLM Desktop sends pieces of your documents to an AI model and shows "
                         "you every step it takes. You can change this later in Settings. "
                         f"No key yet? “{DEMO_TEXT}” shows an answer recorded earlier.")
        self.group = QButtonGroup(self)
        self.group.idToggled.connect(lambda *_: self._changed())
        self.options: dict[str, QRadioButton] = {}
        self.layout_ = QVBoxLayout(self)
        self.found = Notice(self, name="Servers on this computer")
        self.layout_.addWidget(self.found)
        self.local_box = QVBoxLayout()
        self.layout_.addLayout(self.local_box)
        for preset in PRESETS:
            if not preset.local:
                self._add_option(preset, self.layout_)
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://api.example.com/v1")
        self.url.setAccessibleName("Address of the other service")
        self.url.textChanged.connect(self._changed)
        self.layout_.addWidget(self.url)
        self.url_hint = hint_label("", self)
        self.layout_.addWidget(self.url_hint)
        self.layout_.addStretch(1)
        self.options["openai"].setChecked(True)
        self._changed()

    def _add_option(self, preset: Preset, layout: QVBoxLayout, text: str = "") -> None:
        if preset.id == CUSTOM:
            text = "Another service that speaks the OpenAI API (type its address below)"
        button = QRadioButton(text or f"{preset.name} — {preset.blurb}", self)
        button.setAccessibleName(text or preset.name)
        button.setProperty("preset", preset.id)
        self.group.addButton(button)
        self.options[preset.id] = button
        layout.addWidget(button)

    def show_servers(self, servers: list[LocalServer]) -> None:
        found = [s for s in servers if s.reachable]
        if not found:
            self.found.show_message("info", "No AI server is running on this computer. "
                                    "If you use Ollama or LM Studio, start it and open "
                                    "Settings later; your documents would then stay here.")
            return
        self.found.show_message("ok", "Found on this computer: "
                                + ", ".join(s.describe() for s in found)
                                + ". Free to use, and your documents stay on this computer.")
        for server in found:
            preset = self._wizard.local_preset(server)
            self._add_option(preset, self.local_box,
                             f"{server.describe()}, on this computer (no key needed)")
        self.options[self._wizard.local_preset(found[0]).id].setChecked(True)

    def chosen(self) -> Preset:
        button = self.group.checkedButton()
        preset_id = str(button.property("preset")) if button else "openai"
        return self._wizard.preset(preset_id)

    def base_url(self) -> str:
        preset = self.chosen()
        return normalize_url(self.url.text() if preset.id == CUSTOM else preset.base_url)

    def isComplete(self) -> bool:
        return self.chosen().id != CUSTOM or url_problem(self.url.text()) is None

    def nextId(self) -> int:
        preset = self.chosen()
        return MODELS if preset.local and preset.id != CUSTOM else KEY

    def _changed(self) -> None:
        custom = self.chosen().id == CUSTOM
        self.url.setEnabled(custom)
        problem = url_problem(self.url.text()) if custom and self.url.text() else None
        self.url_hint.setText(problem or "")
        self.url_hint.setVisible(bool(problem))
        self.completeChanged.emit()


class KeyPage(QWizardPage):
    """The service's API key, kept by the worker (keychain or this session), never shown back."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self._wizard = wizard
        self.intro = _text("", self)
        self.key = KeyBox(wizard.client, self)
        self.key.changed.connect(self.completeChanged)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.key)
        layout.addStretch(1)

    def initializePage(self) -> None:
        preset = self._wizard.service.chosen()
        base_url = self._wizard.service.base_url()
        self.setTitle(f"Your API key for {preset.name}"
                      if preset.id != CUSTOM else "Does this service need a key?")
        self.setSubTitle("The key lets RLM Desktop use your account. It is sent only to "
                         f"{preset.name if preset.id != CUSTOM else 'this service'} and is "
                         "never shown again or written to a plain file.")
        if preset.key_url:
            self.intro.setText(
                f"Get a key on {preset.name}'s website, "
                f'<a href="{preset.key_url}">{preset.key_url}</a>, then copy it and paste '
                "it here.")
        else:
            self.intro.setText("If this service asks for an API key, paste it here. "
                               "Otherwise leave the box empty and press Next.")
        self.key.set_service(base_url, preset.name, None, optional=preset.id == CUSTOM)

    def isComplete(self) -> bool:
        return self.key.optional or (self.key.has_key() and self.key.problem() is None)


class ModelsPage(QWizardPage):
    """The main and helper model, picked from the service's own list or typed."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self._wizard = wizard
        self.setTitle("Which models?")
        self.setSubTitle("The main model plans the work and writes the answer; the helper "
                         "reads pieces of your documents for it, often many times per "
                         "question, so a cheaper model is fine there.")
        self.notice = Notice(self, name="Key status")
        self.main = ModelChooser(wizard.client, "Main model", self)
        self.helper = ModelChooser(wizard.client, "Helper model", self,
                                   allow_empty_text="Same as the main model")
        self.main.changed.connect(self.completeChanged)
        form = QFormLayout(self)
        form.addRow(self.notice)
        form.addRow("Main model:", self.main)
        form.addRow("Helper model:", self.helper)
        form.addRow("", hint_label("Leave the helper empty to use the main model for both.",
                                   self))
        self._source: tuple[str, str] = ("", "")

    def initializePage(self) -> None:
        preset = self._wizard.service.chosen()
        base_url = self._wizard.service.base_url()
        if (preset.id, base_url) != self._source:
            self._source = (preset.id, base_url)
            server = self._wizard.servers.get(base_url)
            models = list(server.models) if server else []
            self.main.set_model(preset.main_example or (models[0] if models else ""))
            self.helper.set_model(preset.helper_example)
        self.main.set_source("", None, fetch=False)  # always ask again: the key may be new
        self.helper.set_source("", None, fetch=False)
        self.notice.clear()
        keys = self._wizard.key_page.key
        if self.wizard().hasVisitedPage(KEY) and self._wizard.service.nextId() == KEY:
            self.notice.show_message("busy", "Saving your key…")
            keys.store(self._key_stored)
        else:
            self._key_stored(None)

    def _key_stored(self, error: str | None) -> None:
        if error:
            self.notice.show_message("error", f"{error} Go back to fix it.")
            return
        self.notice.clear()
        base_url, key_env = self._wizard.service.base_url(), self._wizard.key_env()
        self.main.set_source(base_url, key_env)
        self.helper.set_source(base_url, key_env)

    def isComplete(self) -> bool:
        return bool(self.main.model())


class TestPage(QWizardPage):
    """One tiny call to each model, then Finish saves."""

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self._wizard = wizard
        self.setTitle("Check and finish")
        self.setSubTitle("One tiny question is sent to each model to check that everything "
                         "is in place. On a paid service it costs a fraction of a cent.")
        self.summary = _text("", self)
        self.main_result = Notice(self, name="Main model test")
        self.helper_result = Notice(self, name="Helper model test")
        self.again = QPushButton("Test again", self)
        self.again.setAccessibleName("Test the connection again")
        self.again.clicked.connect(self.run_tests)
        self.after = _text("", self)
        self.save_notice = Notice(self, name="Saving")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.main_result)
        layout.addWidget(self.helper_result)
        again_row = QHBoxLayout()
        again_row.addWidget(self.again)
        again_row.addStretch(1)
        layout.addLayout(again_row)
        layout.addWidget(self.after)
        layout.addStretch(1)
        layout.addWidget(self.save_notice)
        self.passed: dict[str, bool] = {}

    def initializePage(self) -> None:
        service, models = self._wizard.service, self._wizard.models_page
        helper = models.helper.model() or "the main model"
        esc = html.escape   # model names come from the service's list: never markup
        self.summary.setText(f"<b>Service:</b> {esc(service.chosen().name)} "
                             f"({esc(service.base_url())})"
                             f"<br><b>Main model:</b> {esc(models.main.model())}"
                             f"<br><b>Helper model:</b> {esc(helper)}")
        if self._wizard.settings_error:
            self.save_notice.show_message(
                "warning", f"Your saved settings could not be read "
                f"({self._wizard.settings_error}); Finish will replace them.")
        self.run_tests()

    def run_tests(self) -> None:
        base_url, key_env = self._wizard.service.base_url(), self._wizard.key_env()
        main = self._wizard.models_page.main.model()
        helper = self._wizard.models_page.helper.model()
        self.passed = {}
        self.after.setText("")
        self.again.setEnabled(False)
        jobs = [("main", main, self.main_result)]
        if helper and helper != main:
            jobs.append(("helper", helper, self.helper_result))
        else:
            self.helper_result.clear()
        count = len(jobs)
        for which, model, notice in jobs:
            test_connection(self, self._wizard.client, base_url, model, key_env, notice,
                            partial(self._tested, which, count=count))

    def _tested(self, which: str, ok: bool, count: int) -> None:
        self.passed[which] = ok
        if len(self.passed) < count:
            return
        self.again.setEnabled(True)
        if all(self.passed.values()):
            self.after.setText("Everything works. Press Finish to save; you can change this "
                               "any time in Settings.")
        else:
            self.after.setText("Go Back to fix it, or press Finish to save anyway and fix it "
                               "later in Settings.")


class SetupWizard(QWizard):
    """Guided first-run setup; MainWindow opens it when no main model is configured."""

    skipped = Signal()  # "browse my library first": nothing was saved
    saved = Signal()
    demo_requested = Signal()   # "see a demo first": nothing saved, the demo is shown

    def __init__(self, client: Client, parent: QWidget | None = None, *,
                 local_candidates: list[dict[str, str]] | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.servers: dict[str, LocalServer] = {}
        self._extra: dict[str, Preset] = {}
        self.settings: dict[str, Any] | None = None
        self.settings_error = ""
        self._saving = False
        self.setWindowTitle("Set up RLM Desktop")
        self.setAccessibleName("Set up RLM Desktop")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setPixmap(QWizard.WizardPixmap.LogoPixmap, app_icon().pixmap(48, 48))
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setOption(QWizard.WizardOption.NoCancelButton, True)
        self.setButtonText(QWizard.WizardButton.CustomButton1, SKIP_TEXT)
        self.skip_button = self.button(QWizard.WizardButton.CustomButton1)
        self.skip_button.setAccessibleName(SKIP_TEXT)
        self.skip_button.setToolTip("Add and read documents now; set up a model later in "
                                    "Settings")
        self.setOption(QWizard.WizardOption.HaveCustomButton2, True)
        self.setButtonText(QWizard.WizardButton.CustomButton2, DEMO_TEXT)
        self.demo_button = self.button(QWizard.WizardButton.CustomButton2)
        self.demo_button.setAccessibleName(DEMO_TEXT)
        self.demo_button.setToolTip("See a question answered earlier about three sample "
                                    "documents, with its sources; no AI model or key is "
                                    "needed. You can set up a model afterwards.")
        self.customButtonClicked.connect(self._custom_button)
        self.setButtonLayout([QWizard.WizardButton.CustomButton1,
                              QWizard.WizardButton.CustomButton2, QWizard.WizardButton.Stretch,
                              QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
                              QWizard.WizardButton.FinishButton])
        for button, name in ((QWizard.WizardButton.BackButton, "Back"),
                             (QWizard.WizardButton.NextButton, "Next"),
                             (QWizard.WizardButton.FinishButton, "Finish and save")):
            self.button(button).setAccessibleName(name)
        self.service = ServicePage(self)
        self.key_page = KeyPage(self)
        self.models_page = ModelsPage(self)
        self.test_page = TestPage(self)
        for page_id, page in ((SERVICE, self.service), (KEY, self.key_page),
                              (MODELS, self.models_page), (TEST, self.test_page)):
            self.setPage(page_id, page)
        self.resize(720, 560)
        call(self, client, "settings_get", {}, self._settings_loaded)
        self.service.found.show_message("busy", "Looking for AI servers on this computer…")
        call(self, client, "discover_local", {"candidates": local_candidates}, self._discovered)

    # --- shared state ----------------------------------------------------------------

    def preset(self, preset_id: str) -> Preset:
        return self._extra.get(preset_id) or preset_by_id(preset_id)

    def local_preset(self, server: LocalServer) -> Preset:
        """The choice for a server found here (a preset moved to the address it was found at)."""
        base = next((p for p in PRESETS if p.local and p.name.casefold()
                     == server.name.casefold()), None)
        preset = Preset(f"local:{server.base_url}", server.name,
                        normalize_url(server.base_url), True,
                        base.blurb if base else "Found running on this computer.")
        self._extra[preset.id] = preset
        return preset

    def key_env(self) -> str | None:
        if self.service.nextId() != KEY:
            return None
        return self.key_page.key.api_key_env()

    def _settings_loaded(self, reply: Reply) -> None:
        if reply.get("ok"):
            self.settings = copy.deepcopy(SavedSettings.from_json(reply.get("result")).settings)
        else:
            self.settings_error = reply_error(reply)

    def _discovered(self, reply: Reply) -> None:
        if not reply.get("ok"):
            self.service.found.show_message("warning", "Could not look for AI servers on "
                                            f"this computer: {reply_error(reply)}")
            return
        servers = list_of(LocalServer.from_json, reply.get("result"))
        self.servers = {normalize_url(s.base_url): s for s in servers if s.reachable}
        if self.currentId() == SERVICE:
            self.service.show_servers(servers)

    # --- finishing ------------------------------------------------------------------------

    def chosen_settings(self) -> dict[str, Any]:
        """The saved settings with this wizard's choice of service and models."""
        if self.settings is not None:
            settings = copy.deepcopy(self.settings)
        else:
            settings = Settings().to_json()
        main, helper = self.models_page.main.model(), self.models_page.helper.model()
        settings["root"] = {"model": main, "base_url": self.service.base_url(),
                            "api_key_env": self.key_env()}
        settings["sub"] = {"model": "" if helper == main else helper, "base_url": "",
                           "api_key_env": None}
        return settings

    def skip(self) -> None:
        self.reject()

    def _custom_button(self, which: int) -> None:
        if which == QWizard.WizardButton.CustomButton2.value:
            self.see_demo()
        else:
            self.skip()

    def see_demo(self) -> None:
        """Close without saving and show the demo (the window opens it)."""
        self.reject()
        self.demo_requested.emit()

    def reject(self) -> None:
        """Skip, the Escape key and closing the window all mean: nothing saved, maybe later."""
        self.skipped.emit()
        super().reject()

    def accept(self) -> None:
        if self._saving:
            return
        self._saving = True
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        notice = self.test_page.save_notice
        notice.show_message("busy", "Saving…")

        def done(reply: Reply) -> None:
            self._saving = False
            self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
            if not reply.get("ok"):
                notice.show_message("error", f"Not saved: {reply_error(reply)} Go back to fix "
                                    "it, or skip and use Settings later.")
                return
            notice.clear()
            self.saved.emit()
            super(SetupWizard, self).accept()

        call(self, self.client, "settings_set", {"settings": self.chosen_settings()}, done)
