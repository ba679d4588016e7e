"""Check boxes people can see on a dark palette: Fusion draws their outline in almost the
colour of the background, so the library's tick boxes vanish in dark mode."""

from __future__ import annotations

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget

from rlm_desktop.widgets.palette_tones import is_dark, mix

_CHECKS = (QStyle.PrimitiveElement.PE_IndicatorCheckBox,
           QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck)
OUTLINE_SHARE = 0.55   # of the way from the background to the text colour


class CheckContrastStyle(QProxyStyle):
    """Fusion, with a visible outline on check boxes where the palette is dark; any other
    style (Windows, macOS, Breeze) draws its own check boxes untouched."""

    def __init__(self, base: str = "Fusion") -> None:
        super().__init__(base)
        self._fusion = self.baseStyle().name().lower() == "fusion"

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption,
                      painter: QPainter, widget: QWidget | None = None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if not self._fusion or element not in _CHECKS or not is_dark(option.palette):
            return
        palette = option.palette
        outline = mix(palette.color(palette.ColorRole.Base),
                      palette.color(palette.ColorRole.Text), OUTLINE_SHARE)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(outline), 1.0))
        painter.setBrush(QColor(0, 0, 0, 0))
        painter.drawRoundedRect(QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5), 2.0, 2.0)
        painter.restore()


def apply_to(view: QWidget) -> None:
    """Give ``view`` (a table whose rows have check boxes) the style when the app runs on
    Fusion; elsewhere the platform's style is left alone. Only this widget: the override is
    a Python call for every primitive drawn, too costly for the whole window."""
    app = QApplication.instance()
    if isinstance(app, QApplication) and app.style().name().lower() == "fusion":
        style = CheckContrastStyle("Fusion")
        style.setParent(view)   # a widget does not own the style it is given
        view.setStyle(style)
