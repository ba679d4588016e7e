"""The Settings dialog: AI models and keys, limits, prices, safety and data location.

Everything is read from and written to the engine worker (settings_get/set, prices_get/set,
key_*); the dialog never touches a key or the settings file itself. Saving checks every page
first, and a refused value leaves the dialog open with everything the person typed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.config import Settings
from engine.errors import ConfigError
from rlm_desktop.replies import Hello, PriceTables, SavedSettings
from rlm_desktop.settings.limits_page import LimitsPage, SafetyPage
from rlm_desktop.settings.models_page import ModelsPage
from rlm_desktop.settings.prices_page import PricesPage
from rlm_desktop.settings.widgets import Client, Notice, Reply, call, hint_label, reply_error

Step = Callable[[Callable[[str | None], None]], None]


def open_folder(path: str) -> bool:
    """Show a folder in the system's file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


class DataPage(QWidget):
    """Where the library, the run history and the settings live, with buttons to open them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Data")
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow(hint_label("Your documents stay where they are: RLM Desktop only "
                                    "reads them. Its own files are kept here.", self))
        self.paths: dict[str, QLabel] = {}
        self.buttons: dict[str, QPushButton] = {}
        for key, title in (("data_dir", "Library and history"),
                           ("config_dir", "Settings and prices")):
            label = QLabel("…", self)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(f"{title} folder")
            button = QPushButton("Open folder", self)
            button.setAccessibleName(f"Open the {title.lower()} folder")
            button.setEnabled(False)
            button.clicked.connect(lambda _=False, k=key: self._open(k))
            row = QHBoxLayout()
            row.addWidget(label, 1)
            row.addWidget(button)
            self.form.addRow(f"{title}:", row)
            self.paths[key], self.buttons[key] = label, button
        self.keys = QLabel("…", self)
        self.keys.setWordWrap(True)
        self.keys.setAccessibleName("Where API keys are kept")
        self.form.addRow("API keys:", self.keys)
        self.notice = Notice(self, name="Data status")
        self.form.addRow(self.notice)

    def load(self, hello: Hello) -> None:
        for key, path in (("data_dir", hello.data_dir), ("config_dir", hello.config_dir)):
            self.paths[key].setText(path or "unknown")
            self.buttons[key].setEnabled(bool(path))
        if hello.keyring.usable:
            self.keys.setText("In this computer's keychain (never in a plain file).")
        else:
            self.keys.setText("This computer has no keychain: keys are kept for the session "
                              "only, or read from environment variables.")
        self.keys.setToolTip(hello.keyring.detail)

    def _open(self, key: str) -> None:
        path = self.paths[key].text()
        try:
            Path(path).mkdir(parents=True, exist_ok=True)  # not made until first used
        except OSError:
            pass  # opening it below says what went wrong
        if not open_folder(path):
            self.notice.show_message("error", f"Could not open {path}. Open it in your file "
                                     "manager instead; the path above can be copied.")


class SettingsDialog(QDialog):
    """Settings for people who do not program; MainWindow opens it from a menu (Ctrl+,)."""

    saved = Signal()

    PAGES = ("AI models", "Limits", "Prices", "Safety", "Data")

    def __init__(self, client: Client, parent: QWidget | None = None, *,
                 local_candidates: list[dict[str, str]] | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self.settings: dict[str, Any] = {}
        self.loaded = {"settings": False, "prices": False}
        self.prices_ok = False
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.resize(900, 680)

        self.models = ModelsPage(client, self, local_candidates=local_candidates)
        self.limits = LimitsPage(self)
        self.prices = PricesPage(self)
        self.safety = SafetyPage(self)
        self.data = DataPage(self)
        self.pages: list[QWidget] = [self.models, self.limits, self.prices, self.safety,
                                     self.data]

        self.nav = QListWidget(self)
        self.nav.addItems(list(self.PAGES))
        row_height = self.nav.fontMetrics().height() + 14
        for row in range(self.nav.count()):
            self.nav.item(row).setSizeHint(QSize(0, row_height))
        self.nav.setAccessibleName("Settings sections")
        self.nav.setFixedWidth(max(150, self.nav.sizeHintForColumn(0) + 40))
        self.stack = QStackedWidget(self)
        self.title = QLabel(self)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.title.setFont(font)
        for page in self.pages:
            self.stack.addWidget(page)
        self.nav.currentRowChanged.connect(self.show_page)

        self.banner = Notice(self, name="Settings status")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save settings")
        self.save_button.setToolTip("Save (Ctrl+S)")
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Close without saving")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        QShortcut(QKeySequence("Ctrl+PgDown"), self,
                  lambda: self.nav.setCurrentRow((self.nav.currentRow() + 1) % len(self.pages)))
        QShortcut(QKeySequence("Ctrl+PgUp"), self,
                  lambda: self.nav.setCurrentRow((self.nav.currentRow() - 1) % len(self.pages)))

        right = QVBoxLayout()
        right.addWidget(self.title)
        right.addWidget(self.stack, 1)
        body = QHBoxLayout()
        body.addWidget(self.nav)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.banner)
        layout.addWidget(self.buttons)

        self.models.main.edited.connect(self._models_in_use)
        self.models.helper.edited.connect(self._models_in_use)
        self.nav.setCurrentRow(0)
        self._set_busy(True, "Loading your settings…")
        self._load()

    # --- loading -------------------------------------------------------------------

    def _load(self) -> None:
        call(self, self._client, "settings_get", {}, self._settings_loaded)
        call(self, self._client, "prices_get", {}, self._prices_loaded)
        call(self, self._client, "hello", {}, self._hello)
        self.models.discover()

    def _settings_loaded(self, reply: Reply) -> None:
        if reply.get("ok"):
            saved = SavedSettings.from_json(reply.get("result"))
            self.settings = copy.deepcopy(saved.settings)
        else:
            self.settings = Settings().to_json()
            self.banner.show_message("warning", f"Your saved settings could not be read: "
                                     f"{reply_error(reply)} Saving here will replace them.")
        for page in (self.models, self.limits, self.safety):
            page.load(self.settings)
        self.loaded["settings"] = True
        self._loaded_one()

    def _prices_loaded(self, reply: Reply) -> None:
        self.prices_ok = bool(reply.get("ok"))
        if self.prices_ok:
            self.prices.load(PriceTables.from_json(reply.get("result")))
        else:
            self.prices.notice.show_message("error", "The price table could not be read: "
                                            f"{reply_error(reply)}")
        self.loaded["prices"] = True
        self._loaded_one()

    def _hello(self, reply: Reply) -> None:
        if reply.get("ok"):
            self.data.load(Hello.from_json(reply.get("result")))
        else:
            self.data.notice.show_message("error", "Could not ask the engine where your data "
                                          f"is: {reply_error(reply)}")

    def _loaded_one(self) -> None:
        if all(self.loaded.values()):
            self._set_busy(False)
            if self.banner.kind == "busy":
                self.banner.clear()
            self._models_in_use()

    # --- navigation ----------------------------------------------------------------------

    def show_page(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        self.title.setText(self.PAGES[row])
        if self.pages[row] is self.prices:
            self._models_in_use()

    def _models_in_use(self) -> None:
        self.prices.set_models_in_use([("main model", self.models.main.model()),
                                       ("helper model", self.models.helper.model())])

    # --- saving -------------------------------------------------------------------------

    def problems(self) -> list[tuple[str, QWidget]]:
        found: list[tuple[str, QWidget]] = []
        for page in (self.models, self.limits, self.prices, self.safety):
            found += page.problems()
        return found

    def collected(self) -> dict[str, Any]:
        """The settings as they would be saved (everything unknown to the pages kept)."""
        settings = copy.deepcopy(self.settings)
        for page in (self.models, self.limits, self.safety):
            page.apply(settings)
        return settings

    def save(self) -> None:
        if not self.save_button.isEnabled():
            return
        problems = self.problems()
        if problems:
            self._refuse([m for m, _ in problems], problems[0][1])
            return
        settings = self.collected()
        try:
            Settings.from_json(settings)
        except ConfigError as exc:
            self._refuse([str(exc)], None)
            return
        steps: list[Step] = [box.store for box in self.models.key_boxes() if box.typed_key()]
        steps.append(lambda done: self._send("settings_set", {"settings": settings}, done))
        if self.prices_ok and self.prices.changed():
            overrides = self.prices.overrides()
            steps.append(lambda done: self._send("prices_set", {"overrides": overrides}, done))
        self._set_busy(True, "Saving…")
        self._run(steps)

    def _send(self, cmd: str, args: dict[str, Any], done: Callable[[str | None], None]) -> None:
        call(self, self._client, cmd, args,
             lambda reply: done(None if reply.get("ok") else reply_error(reply)))

    def _run(self, steps: list[Step]) -> None:
        if not steps:
            self._set_busy(False)
            self.saved.emit()
            self.accept()
            return

        def done(error: str | None) -> None:
            if error:
                self._set_busy(False)
                self.banner.show_message("error", f"Not saved: {error} Fix it and press Save "
                                         "again; nothing you typed is lost.")
                return
            self._run(steps[1:])

        steps[0](done)

    def _refuse(self, messages: list[str], widget: QWidget | None) -> None:
        text = " ".join(messages)
        self.banner.show_message("error", f"{text} Change it, then press Save again. "
                                 "Nothing has been saved yet.")
        if widget is not None:
            page = next((p for p in self.pages if p.isAncestorOf(widget)), None)
            if page is not None:
                self.nav.setCurrentRow(self.pages.index(page))
            widget.setFocus()

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self.save_button.setEnabled(not busy)
        for page in (self.models, self.limits, self.safety):
            page.setEnabled(not busy)
        self.prices.setEnabled(not busy and self.prices_ok)
        if busy and message:
            self.banner.show_message("busy", message)
        elif not busy and self.banner.kind == "busy":
            self.banner.clear()
