"""The run panel's header pieces: a figure with its caption, the budget bar, the stop icon."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from rlm_desktop.run.blocks import muted_label, small_font
from rlm_desktop.widgets import icons
from rlm_desktop.widgets import palette_tones as tones
from rlm_desktop.widgets.safe_text import safe_tooltip


class StatBox(QWidget):
    """A figure with its caption underneath: Cost, Tokens, Model calls, Elapsed."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.value = QLabel("–")
        self.value.setFont(small_font(self.value, 2.0, bold=True))
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.caption = muted_label(caption)
        layout.addWidget(self.value)
        layout.addWidget(self.caption)
        self.name = caption

    def set(self, value: str, tip: str = "", caption: str | None = None) -> None:
        if value != self.value.text():
            self.value.setText(value)
        caption = caption or self.name
        if caption != self.caption.text():
            self.caption.setText(caption)
        self.setToolTip(safe_tooltip(tip))   # may name models the model's code chose
        self.setAccessibleName(f"{self.name}: {value}")


class BudgetBar(QWidget):
    """A slim bar of the budget used; it turns to the warning tone near the end.

    Painted here rather than a QProgressBar, which repaints at once on every change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.share = 0.0
        self.setFixedHeight(8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Share of the cost budget used")

    def set_share(self, share: float) -> None:
        share = max(0.0, min(1.0, share))
        if abs(share - self.share) > 1e-4:
            self.share = share
            self.setAccessibleDescription(f"{share:.0%} of the budget used")
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        rect = QRectF(self.rect())
        radius = rect.height() / 2
        painter.setBrush(tones.border(palette))
        painter.drawRoundedRect(rect, radius, radius)
        if self.share > 0:
            fill = tones.tone(palette, "warn") if self.share >= 0.9 else \
                palette.color(QPalette.ColorRole.Highlight)
            painter.setBrush(fill)
            width = max(rect.height(), rect.width() * self.share)
            painter.drawRoundedRect(QRectF(rect.left(), rect.top(), width, rect.height()),
                                    radius, radius)
        painter.end()


def stop_icon(widget: QWidget) -> QIcon:
    """The app's stop icon in the button's text colour."""
    return icons.icon("stop", widget.palette().color(QPalette.ColorRole.ButtonText))
