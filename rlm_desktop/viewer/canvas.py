"""The drawn page: the image with the quote's rectangles painted over it."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from rlm_desktop.viewer.quotes import Rect

HIGHLIGHT_FILL = QColor(255, 212, 0, 110)
HIGHLIGHT_EDGE = QColor(214, 150, 0)


class PageCanvas(QWidget):
    """Paints a page image and its highlights; ``drawn_rects`` holds the rectangles (in widget
    pixels) the last paint drew, for tests and for scrolling the first one into view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Page")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._image = QImage()
        self._rects: list[Rect] = []
        self._zoom = 1.0
        self.drawn_rects: list[QRectF] = []

    def set_page(self, image: QImage, rects: list[Rect], zoom: float) -> None:
        self._image, self._rects, self._zoom = image, list(rects), zoom
        self.setFixedSize(self.sizeHint())
        self.update()

    def clear(self) -> None:
        self.set_page(QImage(), [], 1.0)

    def highlight_rects(self) -> list[QRectF]:
        """The highlights in widget pixels (where they are drawn)."""
        z = self._zoom
        return [QRectF(x0 * z, y0 * z, (x1 - x0) * z, (y1 - y0) * z).adjusted(-2, -1, 2, 1)
                for x0, y0, x1, y1 in self._rects]

    def sizeHint(self) -> QSize:
        if self._image.isNull():
            return QSize(0, 0)
        ratio = self._image.devicePixelRatio() or 1.0
        return QSize(round(self._image.width() / ratio), round(self._image.height() / ratio))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        drawn: list[QRectF] = []
        if not self._image.isNull():
            painter.drawImage(0, 0, self._image)
            painter.setPen(QPen(HIGHLIGHT_EDGE, 1))
            painter.setBrush(HIGHLIGHT_FILL)
            painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
            for rect in self.highlight_rects():
                painter.drawRect(rect)
                drawn.append(rect)
        painter.end()
        self.drawn_rects = drawn
