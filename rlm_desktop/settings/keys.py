"""The API key box: status of a service's key and where a new one is kept, all through the worker.

The GUI never reads a stored key: ``key_status`` says only whether and where one is kept, and a
key typed here goes straight to the worker with ``key_set`` (OS keychain or this session).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from rlm_desktop.replies import KeyStatus
from rlm_desktop.settings.providers import key_env_var, key_provider
from rlm_desktop.settings.widgets import Client, Notice, Reply, call, hint_label, reply_error

WHERE = (("keyring", "Save it in this computer's keychain (recommended)"),
         ("session", "Keep it for this session only"),
         ("env", "Read it from an environment variable"))
NO_KEYRING = ("This computer has no keychain to keep your key safely, so it cannot be saved "
              "for next time. Keep it for this session only (you will paste it again after "
              "restarting), or put it in an environment variable.")


def env_name_problem(name: str) -> str | None:
    if not name:
        return "Type the name of the environment variable that holds the key."
    if not (name.replace("_", "a").isalnum() and name.isascii() and not name[0].isdigit()):
        return (f"“{name}” cannot be an environment variable name: use letters, digits and "
                "underscores, for example MY_API_KEY.")
    return None


class KeyBox(QWidget):
    """Shows whether a service's key is kept (never the key) and stores a newly pasted one."""

    key_changed = Signal(str)  # provider whose key was stored or forgotten
    status_changed = Signal()  # a key_status reply arrived
    changed = Signal()  # anything the person typed or picked

    def __init__(self, client: Client, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self.provider = ""
        self.service_name = ""
        self.optional = False
        self.status: KeyStatus | None = None  # the last key_status result
        self.keyring_usable = True

        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("Paste your API key here")
        self.secret.setClearButtonEnabled(True)
        self.secret.textChanged.connect(self._secret_changed)
        self.where_box = QComboBox(self)
        for value, text in WHERE:
            self.where_box.addItem(text, value)
        self.where_box.setAccessibleName("Where to keep the key")
        self.where_box.currentIndexChanged.connect(self._where_changed)
        self.env_label = QLabel("Variable name:", self)
        self.env_name = QLineEdit(self)
        self.env_name.setAccessibleName("Name of the environment variable holding the key")
        self.env_name.setPlaceholderText("OPENAI_API_KEY")
        self.env_name.textChanged.connect(self._env_changed)
        self.env_label.setBuddy(self.env_name)
        self.state = hint_label("", self)
        self.state.setAccessibleName("Key status")
        self.forget = QPushButton("Forget saved key", self)
        self.forget.setAccessibleName("Forget the saved key")
        self.forget.clicked.connect(self._confirm_forget)
        self.notice = Notice(self, name="Keychain")
        self.forget.hide()

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(5)
        grid.addWidget(self.secret, 0, 0, 1, 2)
        grid.addWidget(self.where_box, 1, 0, 1, 2)
        grid.addWidget(self.env_label, 2, 0)
        grid.addWidget(self.env_name, 2, 1)
        grid.addWidget(self.state, 3, 0, 1, 2)
        grid.addWidget(self.forget, 4, 0, 1, 2, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(self.notice, 5, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        self._where_changed()

    # --- what the rest of the settings read -----------------------------------

    def where(self) -> str:
        return str(self.where_box.currentData())

    def typed_key(self) -> str:
        return self.secret.text().strip()

    def api_key_env(self) -> str | None:
        """The settings' ``api_key_env``: set only when the key comes from a named variable."""
        return self.env_name.text().strip() if self.where() == "env" else None

    def problem(self) -> str | None:
        return env_name_problem(self.env_name.text().strip()) if self.where() == "env" else None

    def key_ready(self) -> bool:
        """The worker has a key for this service now (or is told which variable holds it)."""
        if self.where() == "env":
            return self.problem() is None
        return self._source() in ("keyring", "session", "env")

    def has_key(self) -> bool:
        """A key is typed, kept, or expected from a variable (enough to go on in the wizard)."""
        return bool(self.typed_key() or self.where() == "env" or
                    (self.status is not None and self.status.stored))

    # --- service --------------------------------------------------------------

    def set_service(self, base_url: str, service_name: str, api_key_env: str | None, *,
                    optional: bool = False) -> None:
        """Show the key of this service; ``api_key_env`` is the saved setting (or None)."""
        self.provider = key_provider(base_url)
        self.service_name = service_name
        self.optional = optional
        self.secret.setAccessibleName(f"API key for {service_name}")
        self.env_name.blockSignals(True)
        self.env_name.setText(api_key_env or key_env_var(base_url))
        self.env_name.blockSignals(False)
        self.env_name.setPlaceholderText(key_env_var(base_url))
        self._set_where("env" if api_key_env else
                        ("keyring" if self.keyring_usable else "session"))
        self.status = None
        self.state.setText("Checking for a saved key…")
        self.forget.hide()
        self.refresh()

    def refresh(self) -> None:
        if not self.provider:
            return
        call(self, self._client, "key_status", {"provider": self.provider},
             partial(self._status, self.provider))

    def _status(self, provider: str, reply: Reply) -> None:
        if provider != self.provider:
            return
        if not reply.get("ok"):
            self.status = None
            self.state.setText(f"Could not check the key: {reply_error(reply)}")
            return
        self.status = KeyStatus.from_json(reply.get("result"))
        keyring = self.status.keyring
        self._set_keyring_usable(keyring.usable is not False, keyring.detail)
        self._show_state()
        self.status_changed.emit()
        self.changed.emit()

    def _set_keyring_usable(self, usable: bool, detail: str) -> None:
        self.keyring_usable = usable
        model = self.where_box.model()
        if isinstance(model, QStandardItemModel):
            item = model.item(0)
            item.setEnabled(usable)
            item.setToolTip("" if usable else detail)
        if usable:
            self.notice.clear()
            return
        if self.where() == "keyring":
            self._set_where("session")
        self.notice.show_message("warning", NO_KEYRING)
        self.notice.setToolTip(detail)

    def _show_state(self) -> None:
        source = self._source()
        default_var = self.status.env_var if self.status is not None else ""
        if self.where() == "env":
            name = self.env_name.text().strip()
            if source == "env" and name == default_var:
                text = f"The key is read from the environment variable {name}."
            else:
                text = (f"The key will be read from the environment variable {name or '…'}. "
                        "Set it before starting RLM Desktop; the key itself is not stored "
                        "anywhere by this app.")
        elif self.typed_key():
            place = ("in this computer's keychain" if self.where() == "keyring"
                     else "for this session only")
            text = f"The key you pasted will be kept {place}."
        elif source == "keyring":
            text = ("A key is saved in this computer's keychain. To replace it, paste a "
                    "new one.")
        elif source == "session":
            text = ("A key is kept for this session only; it is forgotten when you close "
                    "RLM Desktop.")
        elif source == "env":
            text = f"Using the key from the environment variable {default_var}."
        elif self.optional:
            text = "No key saved. Services on your own computer usually do not need one."
        else:
            text = f"No key saved yet for {self.service_name}. Paste your API key above."
        self.state.setText(text)
        self.forget.setVisible(source in ("keyring", "session"))

    # --- storing --------------------------------------------------------------

    def store(self, on_done: Callable[[str | None], None]) -> None:
        """Send a typed key to the worker; ``on_done`` gets None or the error to show."""
        secret = self.typed_key()
        if not secret or self.where() == "env":
            on_done(None)
            return
        where = self.where()

        def stored(reply: Reply) -> None:
            if not reply.get("ok"):
                on_done(f"The key for {self.service_name} was not saved: {reply_error(reply)}")
                return
            self.secret.clear()
            self.refresh()
            self.key_changed.emit(self.provider)
            on_done(None)

        call(self, self._client, "key_set",
             {"provider": self.provider, "secret": secret, "where": where}, stored)

    def _confirm_forget(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Forget the key?",
                          f"Forget the saved key for {self.service_name}? You will need to "
                          "paste it again to use this service.",
                          QMessageBox.StandardButton.Cancel, self)
        forget = box.addButton("Forget key", QMessageBox.ButtonRole.DestructiveRole)
        box.setObjectName("forget_key_confirmation")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _: self._forget() if box.clickedButton() is forget else None)
        box.open()

    def _forget(self) -> None:
        def done(reply: Reply) -> None:
            if not reply.get("ok"):
                self.state.setText(f"The key could not be forgotten: {reply_error(reply)}")
                return
            self.refresh()
            self.key_changed.emit(self.provider)

        call(self, self._client, "key_delete", {"provider": self.provider}, done)

    # --- internals ------------------------------------------------------------

    def _source(self) -> str | None:
        """Where the worker found this service's key (None: no key, or not asked yet)."""
        return self.status.source if self.status is not None else None

    def _set_where(self, where: str) -> None:
        self.where_box.setCurrentIndex(max(0, self.where_box.findData(where)))
        self._where_changed()

    def _where_changed(self) -> None:
        env = self.where() == "env"
        self.env_label.setVisible(env)
        self.env_name.setVisible(env)
        self.secret.setEnabled(not env)
        if env:
            self.secret.setPlaceholderText("Not needed: the key comes from the variable below")
        else:
            self.secret.setPlaceholderText("Paste your API key here")
        if self.status is not None:
            self._show_state()
        self.changed.emit()

    def _secret_changed(self) -> None:
        if self.status is not None:
            self._show_state()
        self.changed.emit()

    def _env_changed(self) -> None:
        if self.status is not None:
            self._show_state()
        self.changed.emit()
