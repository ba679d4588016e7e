"""A dismissable message strip across the top of the window (engine restarts, setup hints)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from rlm_desktop.widgets.icons import icon, mix, semantic_color


@dataclass(frozen=True)
class BannerAction:
    """What the banner's button offers: its label, and what pressing it does."""

    label: str
    run: Callable[[], object]


class Banner(QFrame):
    """Icon, text, up to two action buttons and a close button; tinted by its kind.
    Pressing a button runs its action, then the banner closes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAccessibleName("Message")
        self.kind = "warning"
        self.current_action: BannerAction | None = None
        self.other_action: BannerAction | None = None
        self.picture = QLabel()
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.PlainText)   # messages quote errors and names
        self.text.setWordWrap(True)
        # Messages may carry a document's title or a path: shown as text, never as HTML.
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton()
        self.action.setAccessibleName("Message action")
        self.action.clicked.connect(self._act)
        self.other = QPushButton()          # a second choice ("See a demo" beside setup)
        self.other.setAccessibleName("Other message action")
        self.other.clicked.connect(self._act_other)
        self.close_button = QToolButton()
        self.close_button.setAutoRaise(True)
        self.close_button.setAccessibleName("Dismiss message")
        self.close_button.setToolTip("Dismiss")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.setSpacing(10)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.other, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str, kind: str = "warning",
                     action: BannerAction | None = None,
                     other: BannerAction | None = None) -> None:
        self.kind = kind
        self.current_action = action
        self.other_action = other
        self.other.setText(other.label if other is not None else "")
        self.other.setAccessibleName(other.label if other is not None
                                     else "Other message action")
        self.other.setVisible(other is not None)
        self.text.setText(text)
        self.setAccessibleDescription(text)
        label = action.label if action is not None else ""
        self.action.setText(label)
        self.action.setAccessibleName(label)
        self.action.setVisible(action is not None)
        self._restyle()
        self.show()

    def _act(self) -> None:
        if self.current_action is not None:
            self.current_action.run()
        self.hide()

    def _act_other(self) -> None:
        # The action may put up a message of its own: hide first, so it is not hidden.
        action = self.other_action
        self.hide()
        if action is not None:
            action.run()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._restyle()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        # Painted rather than styled: a style sheet would send PaletteChange back to us.
        palette = self.palette()
        tone = semantic_color(self.kind if self.kind != "info" else "accent", palette)
        window = palette.color(QPalette.ColorRole.Window)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(mix(window, tone, 0.45), 1))
        painter.setBrush(mix(window, tone, 0.14))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)

    def _restyle(self) -> None:
        tone = semantic_color(self.kind if self.kind != "info" else "accent", self.palette())
        self.update()
        name = {"warning": "status-warning", "failed": "status-failed"}.get(self.kind, "info")
        self.picture.setPixmap(icon(name, tone).pixmap(20, 20))
        self.close_button.setIcon(icon("close"))
