"""Pieces shared by the settings dialog and the setup wizard: notices, worker calls, model lists."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from rlm_desktop.advice import in_app
from rlm_desktop.replies import ConnectionTest, ModelList
from rlm_desktop.widgets.icons import icon, mix, semantic_color, status_icon

Reply = dict[str, Any]


class Client(Protocol):
    """What the settings code needs of rlm_desktop.worker_client.WorkerClient."""

    def request(self, cmd: str, args: dict[str, Any] | None = None, *,
                on_event: Callable[[dict[str, Any]], None] | None = None,
                on_done: Callable[[dict[str, Any]], None] | None = None) -> int: ...


def call(owner: QObject, client: Client, cmd: str, args: dict[str, Any] | None,
         on_done: Callable[[Reply], None]) -> int:
    """Send a request; its reply is dropped if ``owner`` was deleted while it was on its way."""
    def done(reply: Reply) -> None:
        if shiboken6.isValid(owner):
            on_done(reply)
    return client.request(cmd, args or {}, on_done=done)


def reply_error(reply: Reply) -> str:
    """The person-readable error of a failed reply."""
    return in_app(str(reply.get("error") or
                      "The engine did not say what went wrong; see its log."))


# --- notices -------------------------------------------------------------------

# Notice kinds -> the app's status colours and icons (rlm_desktop.widgets.icons), so notices match
# the library's status column; the fill is that colour mixed into the palette's window colour.
_COLORS = {"error": "failed", "warning": "warning", "ok": "ok", "info": "accent",
           "busy": "accent"}


def _notice_icon(kind: str, palette: QPalette) -> QIcon:
    if kind in ("info", "busy"):
        return icon("info" if kind == "info" else "rescan", semantic_color("accent", palette))
    return status_icon(_COLORS[kind], palette)


class Notice(QFrame):
    """A one-paragraph message with an icon: info, busy, ok, warning or error; hidden when clear."""

    def __init__(self, parent: QWidget | None = None, *, name: str = "Status") -> None:
        super().__init__(parent)
        self.kind = ""
        self._icon = QLabel(self)
        self._text = QLabel(self)
        self._text.setTextFormat(Qt.TextFormat.PlainText)   # messages quote services' errors
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                           | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self._text.setOpenExternalLinks(True)
        self._text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 7, 10, 7)
        layout.setSpacing(8)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._text, 1)
        self.setAccessibleName(name)
        self.hide()

    def text(self) -> str:
        return self._text.text()

    def show_message(self, kind: str, text: str) -> None:
        self.kind = kind if kind in _COLORS else "info"
        self._draw_icon()
        self._text.setText(text)
        self._text.setAccessibleName(f"{self.accessibleName()}: {text}")
        self.setAccessibleDescription(text)
        self.show()
        self.update()

    def clear(self) -> None:
        self.kind = ""
        self._text.clear()
        self.hide()

    def _draw_icon(self) -> None:
        if not self.kind:
            return
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, self)
        pixmap = _notice_icon(self.kind, self.palette()).pixmap(QSize(size, size),
                                                                self.devicePixelRatioF())
        self._icon.setPixmap(pixmap)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._draw_icon()

    def paintEvent(self, event: QPaintEvent) -> None:
        # Colours are taken from the palette at paint time, so a theme switch just works.
        palette = self.palette()
        window = palette.color(QPalette.ColorRole.Window)
        hue = semantic_color(_COLORS.get(self.kind, "accent"), palette)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(mix(window, hue, 0.55), 1))
        painter.setBrush(mix(window, hue, 0.13))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)
        painter.end()


def hint_label(text: str, parent: QWidget | None = None) -> QLabel:
    """A small explanatory line under a control, in the palette's placeholder colour."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)   # hints quote addresses and errors
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.92)
    label.setFont(font)
    return label


# --- model lists ------------------------------------------------------------------

class ModelChooser(QWidget):
    """An editable model box filled from the service's own list (``list_models``)."""

    changed = Signal(str)

    def __init__(self, client: Client, name: str, parent: QWidget | None = None, *,
                 allow_empty_text: str = "") -> None:
        super().__init__(parent)
        self._client = client
        # An empty box gets the first listed model, unless empty has a meaning of its own.
        self._pick_first = not allow_empty_text
        self._source: tuple[str, str | None] | None = None  # replies for others are ignored
        self.combo = QComboBox(self)
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.setMinimumContentsLength(22)
        self.combo.setAccessibleName(name)
        edit = self.combo.lineEdit()
        assert edit is not None  # setEditable(True) above gave the combo its line edit
        edit.setPlaceholderText(allow_empty_text or "Type a model name or pick one")
        edit.setAccessibleName(name)
        edit.setClearButtonEnabled(True)
        completer = QCompleter(self.combo.model(), self.combo)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.combo.setCompleter(completer)
        self.combo.currentTextChanged.connect(self.changed)
        self.refresh_button = QPushButton("Get list", self)
        self.refresh_button.setAccessibleName(f"Get the list of models for {name}")
        self.refresh_button.setToolTip("Ask the service which models it offers")
        self.refresh_button.clicked.connect(self.fetch)
        self.status = hint_label("", self)
        self.status.setAccessibleName(f"{name} list status")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.status.hide()

    def model(self) -> str:
        return self.combo.currentText().strip()

    def set_model(self, name: str) -> None:
        self.combo.setEditText(name)

    def models(self) -> list[str]:
        return [self.combo.itemText(i) for i in range(self.combo.count())]

    def set_models(self, names: list[str] | tuple[str, ...], note: str | None = None) -> None:
        """Offer these models, keeping whatever is typed in the box."""
        current = self.combo.currentText()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItems(sorted(set(names), key=str.casefold))
        self.combo.setEditText(current)
        self.combo.blockSignals(False)
        if not current.strip() and self._pick_first and self.combo.count():
            self.combo.setCurrentIndex(0)
        count = self.combo.count()
        self._say(note or (f"{count} model{'s' if count != 1 else ''} available; pick one "
                           "or type a name." if count else "The service lists no models; "
                           "type the model's name."))

    def set_source(self, base_url: str, api_key_env: str | None, *, fetch: bool = True) -> None:
        """Which service the list comes from; the list is fetched again when it changed."""
        source = (base_url, api_key_env)
        if source == self._source:
            return
        self._source = source
        self.combo.blockSignals(True)
        current = self.combo.currentText()
        self.combo.clear()
        self.combo.setEditText(current)
        self.combo.blockSignals(False)
        self.refresh_button.setEnabled(True)
        self._say("")
        if fetch and base_url:
            self.fetch()

    def fetch(self) -> None:
        if not self._source or not self._source[0]:
            self._say("Choose the service first.")
            return
        base_url, key_env = self._source
        self._say("Getting the list of models…")
        self.refresh_button.setEnabled(False)
        call(self, self._client, "list_models",
             {"base_url": base_url, "api_key_env": key_env},
             partial(self._listed, self._source))

    def _listed(self, source: tuple[str, str | None], reply: Reply) -> None:
        if source != self._source:
            return  # the person picked another service meanwhile
        self.refresh_button.setEnabled(True)
        if reply.get("ok"):
            self.set_models(list(ModelList.from_json(reply.get("result")).models))
        elif reply.get("kind") == "config" and "No API key" in reply_error(reply):
            self._say("This service needs your API key before it shows its models: paste "
                      "it above. You can also type the model's name.")
        else:
            self._say(f"Could not get the list of models: {reply_error(reply)} "
                      "You can still type the model's name.")

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))


# --- connection test ----------------------------------------------------------------

_HEADLINES = {"unreachable": "Cannot reach the service.",
              "auth": "The service did not accept the API key.",
              "not_found": "The service does not know this model.",
              "timeout": "The service did not answer in time.",
              "other": "The test call failed."}


def describe_test(model: str, reply: Reply) -> tuple[str, str]:
    """(notice kind, text) for a ``test_connection`` reply."""
    if not reply.get("ok"):
        return "error", f"The test could not run: {reply_error(reply)}"
    result = ConnectionTest.from_json(reply.get("result"))
    message = in_app(result.message.strip()) if result.message.strip() else ""
    if result.ok:
        took = f" in {result.latency_s:.1f} s" if result.latency_s is not None else ""
        return "ok", f"It works: {model} answered{took}."
    if result.kind == "auth" and result.latency_s is None:
        # Nothing was sent: there is no key at all (the engine's text is for the command line).
        return "error", ("No API key for this service yet. Paste your key under “API key”, "
                         "then test again.")
    headline = _HEADLINES.get(result.kind, _HEADLINES["other"])
    return "error", f"{headline} {message}" if message else headline


def test_connection(owner: QObject, client: Client, base_url: str, model: str,
                    api_key_env: str | None, notice: Notice,
                    on_done: Callable[[bool], None] | None = None) -> None:
    """Make the worker's one tiny test call and show what happened in ``notice``."""
    notice.show_message("busy", f"Testing {model} at {base_url}…")

    def done(reply: Reply) -> None:
        kind, text = describe_test(model, reply)
        notice.show_message(kind, text)
        if on_done is not None:
            on_done(kind == "ok")

    call(owner, client, "test_connection",
         {"base_url": base_url, "model": model, "api_key_env": api_key_env}, done)


def with_hint(widget: QWidget, text: str) -> QWidget:
    """``widget`` with a hint line right under it, as one form field."""
    box = QWidget(widget.parentWidget())
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(widget)
    hint = hint_label(text, box)
    layout.addWidget(hint)
    box.setProperty("hint", hint.text())
    return box
