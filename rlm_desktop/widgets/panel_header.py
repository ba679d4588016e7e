"""The title row at the top of a side panel: its name, larger and bold, and one action."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton


def panel_header(text: str, action: QAction, accessible_name: str, *,
                 text_beside: bool = False) -> QHBoxLayout:
    """A row with the panel's title on the left and a flat button for ``action`` on the
    right, showing the action's text beside its icon when ``text_beside``."""
    title = QLabel(text)
    font = title.font()
    font.setPointSizeF(font.pointSizeF() * 1.15)
    font.setBold(True)
    title.setFont(font)
    button = QToolButton()
    button.setDefaultAction(action)
    if text_beside:
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAccessibleName(accessible_name)
    button.setAutoRaise(True)
    header = QHBoxLayout()
    header.addWidget(title)
    header.addStretch(1)
    header.addWidget(button)
    return header
