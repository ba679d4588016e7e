"""Small non-blocking dialogs of the library: confirm, a name, a password (no nested loops)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget


def confirm(parent: QWidget, title: str, text: str, verb: str,
            on_yes: Callable[[], object]) -> QMessageBox:
    """Ask before something destructive; ``on_yes`` runs only when ``verb`` is clicked."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Cancel,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)   # the text may name documents or collections
    yes = box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)

    def finished(_result: int) -> None:
        if box.clickedButton() is yes:
            on_yes()
        box.deleteLater()

    box.finished.connect(finished)
    box.open()
    return box


def ask_text(parent: QWidget, title: str, label: str, on_text: Callable[[str], object], *,
             password: bool = False) -> QInputDialog:
    """One line of text (or a password); ``on_text`` gets it when the person presses OK."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    if password:
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)

    def chosen(text: str) -> None:
        if text.strip():
            on_text(text if password else text.strip())

    dialog.textValueSelected.connect(chosen)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog
