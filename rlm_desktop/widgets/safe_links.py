"""Links a model wrote: a web link opens only once the person saw its whole address and agreed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

WEB_SCHEMES = ("http", "https")
SHOWN_CHARS = 300     # longer addresses are cut in the middle on the dialog's first line


def address(url: QUrl) -> str:
    """The exact address, as sent: percent-escapes kept, a foreign-script host in its
    ``xn--`` form (so a look-alike name cannot pass for another)."""
    return bytes(url.toEncoded().data()).decode("ascii", "replace")


def middle_elided(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` cut in the middle to about ``limit`` characters: its start and end stay."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    return f"{text[:head]} … {text[len(text) - (limit - head):]}"


def is_web_link(url: QUrl) -> bool:
    return url.isValid() and url.scheme().lower() in WEB_SCHEMES and bool(url.host())


class OpenLinkDialog(QDialog):
    """"Open this link?" with the whole address as plain, selectable text."""

    def __init__(self, url: QUrl, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open this link?")
        full = address(url)
        intro = QLabel("The answer links to a web page. Check the address before you open it "
                       "in your browser.", self)
        intro.setWordWrap(True)
        self.site = QLabel(f"Site: {url.host(QUrl.ComponentFormattingOption.FullyEncoded)}",
                           self)
        self.site.setTextFormat(Qt.TextFormat.PlainText)
        self.shown = QLabel(middle_elided(full), self)
        self.shown.setTextFormat(Qt.TextFormat.PlainText)
        self.shown.setWordWrap(True)
        self.shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shown.setAccessibleName("Link address")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.site)
        layout.addWidget(self.shown)
        self.full: QPlainTextEdit | None = None
        if self.shown.text() != full:      # the whole address, to read or copy
            self.full = QPlainTextEdit(full, self)
            self.full.setReadOnly(True)
            self.full.setAccessibleName("Whole link address")
            self.full.setMaximumHeight(self.fontMetrics().lineSpacing() * 6)
            layout.addWidget(self.full)
        buttons = QDialogButtonBox(self)
        self.open_button = buttons.addButton("Open link", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setDefault(True)    # Enter never opens an unchecked link
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def confirm_link(url: QUrl, parent: QWidget | None,
                 on_open: Callable[[], object]) -> OpenLinkDialog:
    """Ask before opening a web link; ``on_open`` runs if the person agrees.

    Not a nested event loop: the view that was clicked may be rebuilt (a new run, a new
    answer) while the question is open, and must not be inside its click handler then.
    Tests replace this function.
    """
    dialog = OpenLinkDialog(url, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.accepted.connect(on_open)
    dialog.open()
    return dialog


def refuse_link(url: QUrl, parent: QWidget | None) -> QMessageBox:
    """Say that a link of another kind is not opened (tests replace this function)."""
    box = QMessageBox(QMessageBox.Icon.Information, "Link not opened",
                      "Only web links (http and https) in an answer can be opened. This link "
                      "points elsewhere, so it was not opened:\n\n"
                      + middle_elided(address(url)),
                      QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def open_untrusted_link(url: QUrl, parent: QWidget | None = None) -> bool:
    """Open a link a model wrote, the safe way: False when it is refused outright, True when
    the person is asked (it opens if they agree).

    Whatever the query string carries goes to the site, so the person sees the whole
    address first; other schemes (files, scripts, data, programs' own handlers) are refused.
    """
    if not is_web_link(url):
        refuse_link(url, parent)
        return False
    confirm_link(url, parent, lambda: QDesktopServices.openUrl(url))
    return True
