"""A friendly placeholder for an empty view: an icon, a headline, a hint and optional buttons."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from rlm_desktop.widgets.icons import icon, mix


class EmptyState(QWidget):
    """Centred icon and text; ``dashed`` draws a drop-zone outline around it."""

    def __init__(self, icon_name: str, headline: str, hint: str = "", *,
                 dashed: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icon_name = icon_name
        self._dashed = dashed
        self.setAccessibleName(headline)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.headline = QLabel(headline)
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.headline.setWordWrap(True)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.headline.setFont(font)
        self.hint = QLabel(hint)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setVisible(bool(hint))
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._buttons = QHBoxLayout()
        self._buttons.setSpacing(8)
        self._buttons.addStretch(1)
        self._buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        layout.setSpacing(10)
        layout.addStretch(1)
        layout.addWidget(self.picture)
        layout.addWidget(self.headline)
        layout.addWidget(self.hint)
        layout.addSpacing(6)
        layout.addLayout(self._buttons)
        layout.addStretch(2)
        self._refresh_icon()

    def add_button(self, button: QAbstractButton) -> QAbstractButton:
        self._buttons.insertWidget(self._buttons.count() - 1, button)
        return button

    def set_text(self, headline: str, hint: str = "") -> None:
        self.headline.setText(headline)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self.setAccessibleName(headline)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._refresh_icon()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._dashed:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        pen = QPen(mix(palette.color(QPalette.ColorRole.Window),
                       palette.color(QPalette.ColorRole.WindowText), 0.35), 1.5)
        pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(mix(palette.color(QPalette.ColorRole.Window),
                             palette.color(QPalette.ColorRole.Base), 0.5))
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(6, 6, -6, -6), 12, 12)

    def _refresh_icon(self) -> None:
        palette = self.palette()
        color = mix(palette.color(QPalette.ColorRole.Window),
                    palette.color(QPalette.ColorRole.WindowText), 0.55)
        self.picture.setPixmap(icon(self._icon_name, color).pixmap(48, 48))
