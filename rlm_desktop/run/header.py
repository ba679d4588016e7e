"""The run panel's header pieces: a figure with its caption, the budget bar, the stop icon."""

from __future__ import annotations

from typing import Any

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


CHARS_PER_PAGE = 3000   # a printed page of prose, for sizes in the plain view
_ROLES = (("root", "Main model"), ("sub", "Helper model"))


def _tokens(window: Any) -> int | None:
    tokens = window.get("tokens") if isinstance(window, dict) else None
    return tokens if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens > 0 \
        else None


def window_text(windows: dict[str, Any], details: bool) -> tuple[str, str]:
    """The main model's window for the header box, and a tooltip naming both models':
    tokens in the details view, pages in the plain view (VOCABULARY.md)."""
    tokens = _tokens(windows.get("root"))
    if tokens is None:
        value = "unknown"
    elif details:
        value = f"{tokens:,} tokens"
    else:
        value = f"about {max(1, round(tokens * 4 / CHARS_PER_PAGE)):,} pages"
    lines = []
    for role, label in _ROLES:
        window = windows.get(role)
        if not isinstance(window, dict):
            continue
        size = _tokens(window)
        said = {"server": "as its server reports", "table": "known for this model",
                "setting": "from your settings"}.get(str(window.get("source")), "")
        if window.get("assumed"):
            said = "Ollama's default, assumed"
        lines.append(f"{label} {window.get('model') or ''}: "
                     + (f"{size:,} tokens ({said})" if size else "not known"))
    tip = ("How much the main model can read at once. Longer work is shortened "
           "automatically to stay within it.\n" + "\n".join(lines))
    return value, tip


def stop_icon(widget: QWidget) -> QIcon:
    """The app's stop icon in the button's text colour."""
    return icons.icon("stop", widget.palette().color(QPalette.ColorRole.ButtonText))
