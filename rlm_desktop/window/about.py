"""Help > About: the version, the licence, and viewers for the licence and third-party notices."""

from __future__ import annotations

import html

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import engine
from engine.errors import ConfigError
from engine.notices import LICENCE_WORDS, notices_text, program_licence, shipped_notices
from rlm_desktop.widgets.icons import app_icon

SUMMARY = ("Ask questions of a whole document set with Recursive Language Models, and check "
           "every answer: each step the model takes, the questions it hands to a helper model "
           "and their cost are shown as it works.")
MAKING_NOTICES = "Reading the notices of the installed packages…"
LICENCE_MISSING = ("The licence file (LICENSE) is missing from this copy of RLM Desktop. "
                   "RLM Desktop is free software under the GNU Affero General Public License, "
                   "version 3 or later; the licence's text is at "
                   "https://www.gnu.org/licenses/agpl-3.0.txt")


class TextViewer(QDialog):
    """A read-only plain-text window for a licence or the notices: file contents are never
    read as HTML."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.text_view = QPlainTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text_view.setAccessibleName(title)
        self.text_view.setPlainText(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text_view)
        layout.addWidget(buttons)
        self.resize(720, 560)

    def text(self) -> str:
        return self.text_view.toPlainText()

    def set_text(self, text: str) -> None:
        self.text_view.setPlainText(text)


def licence_text() -> str:
    return program_licence() or LICENCE_MISSING


def third_party_text() -> str:
    """The notices the bundle ships, else made from the installed packages (60-110 ms: see
    NoticesJob)."""
    path = shipped_notices()
    try:
        return path.read_text(encoding="utf-8") if path else notices_text()
    except (ConfigError, OSError, UnicodeDecodeError) as exc:
        return f"The third-party notices could not be shown: {exc}"


class NoticesSignals(QObject):
    """Made on the GUI thread, so the text reaches the viewer as a queued signal; a viewer
    closed before then is disconnected by Qt."""

    done = Signal(str)


class NoticesJob(QRunnable):
    """Reads or makes the third-party notices on a pool thread: making them reads every
    installed package's information (60-110 ms, more on a busy disk)."""

    def __init__(self, signals: NoticesSignals) -> None:
        super().__init__()
        self.signals = signals

    def run(self) -> None:
        self.signals.done.emit(third_party_text())


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About RLM Desktop")
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        # Rich text from our own fixed strings only; nothing read from a file goes here.
        self.label = QLabel(f"<b>RLM Desktop {html.escape(engine.__version__)}</b>"
                            f"<p>{html.escape(SUMMARY)}</p><p>{html.escape(LICENCE_WORDS)}.</p>")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.licence_button = QPushButton("Licence")
        self.notices_button = QPushButton("Third-party notices")
        for button in (self.licence_button, self.notices_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.licence_button.clicked.connect(self.show_licence)
        self.notices_button.clicked.connect(self.show_notices)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addWidget(self.label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)
        self.resize(460, 220)

    def show_licence(self) -> TextViewer:
        return self._open("RLM Desktop: licence", licence_text())

    def show_notices(self) -> TextViewer:
        viewer = self._open("RLM Desktop: third-party notices", MAKING_NOTICES)
        signals = NoticesSignals()
        signals.done.connect(viewer.set_text)
        QThreadPool.globalInstance().start(NoticesJob(signals))
        return viewer

    def _open(self, title: str, text: str) -> TextViewer:
        viewer = TextViewer(title, text, self)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.show()
        return viewer


def show_about(parent: QWidget) -> AboutDialog:
    box = AboutDialog(parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
