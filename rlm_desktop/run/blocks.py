"""Small building blocks of the run panel: cards, tone icons, fitted text blocks, link buttons."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QTextOption,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from rlm_desktop.run.highlighter import PythonHighlighter
from rlm_desktop.widgets import palette_tones as tones
from rlm_desktop.widgets.safe_text import safe_tooltip


def mono_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def small_font(widget: QWidget, delta: float = -1.0, bold: bool = False) -> QFont:
    font = QFont(widget.font())
    if font.pointSizeF() > 0:
        font.setPointSizeF(max(6.0, font.pointSizeF() + delta))
    font.setBold(bold)
    return font


class WrapLabel(QLabel):
    """Wrapped plain text whose height is fixed for its current width.

    Plain word-wrapped labels have a height-for-width, and a long timeline of them makes
    every layout pass measure every label again (60 ms at 120 steps); this one measures
    itself once per width or text change and looks like a fixed-height row to layouts.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fitted_width = -1
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().lineSpacing())
        self.setText(text)

    def setText(self, text: str) -> None:
        if text == self.text():
            return
        super().setText(text)
        self._fitted_width = -1
        self._fit()

    def hasHeightForWidth(self) -> bool:
        return False

    def setFont(self, font: QFont | str | Sequence[str]) -> None:
        super().setFont(font)
        self._fitted_width = -1
        self._fit()

    def _fit(self) -> None:
        width = self.width()
        if width <= 1 or width == self._fitted_width:
            return
        self._fitted_width = width
        old = self.height()
        self.setMinimumHeight(0)  # QLabel never measures itself below its minimum height
        height = max(0, super().heightForWidth(width)) if self.text() else 0
        if height != old or self.minimumHeight() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()


def muted_label(text: str = "", *, wrap: bool = False, small: bool = True,
                elide: bool = False) -> QLabel:
    """Secondary text in the palette's placeholder colour (follows light and dark)."""
    label = WrapLabel() if wrap else Elided() if elide else QLabel()
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if small:
        label.setFont(small_font(label))
    label.setText(text)
    return label


class Card(QFrame):
    """A rounded panel on the window background, with an optional coloured edge."""

    def __init__(self, parent: QWidget | None = None, accent: str | None = None) -> None:
        super().__init__(parent)
        self.accent = accent
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)

    def set_accent(self, accent: str | None) -> None:
        if accent != self.accent:
            self.accent = accent
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(QPen(tones.border(palette), 1))
        painter.setBrush(tones.card(palette))
        painter.drawRoundedRect(rect, 7, 7)
        if self.accent:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(tones.tone(palette, self.accent))
            painter.drawRoundedRect(QRectF(rect.left() + 1, rect.top() + 8, 3,
                                           max(0.0, rect.height() - 16)), 1.5, 1.5)
        painter.end()


class ToneIcon(QWidget):
    """A small status mark drawn in a palette-derived tone: ok, running, warn, bad, info."""

    def __init__(self, kind: str = "info", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        side = max(12, self.fontMetrics().height() - 2)
        self.setFixedSize(side, side)

    def set_kind(self, kind: str) -> None:
        if kind != self.kind:
            self.kind = kind
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        paint_mark(painter, QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5), self.kind,
                   self.palette())
        painter.end()


MARK_TONES = {"ok": "calm", "warn": "warn", "bad": "bad", "info": "info", "running": "info",
              "idle": "neutral"}


def paint_mark(painter: QPainter, r: QRectF, kind: str, palette: QPalette) -> None:
    """A check, a triangle, a dot or a ring: shape as well as colour tells the state."""
    ink = tones.tone(palette, MARK_TONES.get(kind, "neutral"))
    pen = QPen(ink, max(1.3, r.width() / 8))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if kind == "ok":
        painter.drawPolyline([QPointF(r.left() + r.width() * 0.12, r.center().y()),
                              QPointF(r.left() + r.width() * 0.4, r.bottom() - r.height() * 0.2),
                              QPointF(r.right() - r.width() * 0.08, r.top() + r.height() * 0.2)])
    elif kind in ("warn", "bad"):
        painter.setBrush(tones.mix(ink, palette.color(QPalette.ColorRole.Base), 0.75))
        painter.drawPolygon([QPointF(r.center().x(), r.top() + 0.5),
                             QPointF(r.right(), r.bottom() - 0.5),
                             QPointF(r.left(), r.bottom() - 0.5)])
        painter.drawLine(QPointF(r.center().x(), r.top() + r.height() * 0.38),
                         QPointF(r.center().x(), r.top() + r.height() * 0.62))
        painter.drawPoint(QPointF(r.center().x(), r.bottom() - r.height() * 0.2))
    elif kind == "running":
        painter.drawEllipse(r.adjusted(1, 1, -1, -1))
        painter.setBrush(ink)
        painter.drawEllipse(r.center(), r.width() / 6, r.width() / 6)
    elif kind == "info":
        painter.drawEllipse(r.adjusted(0.5, 0.5, -0.5, -0.5))
        painter.drawLine(QPointF(r.center().x(), r.top() + r.height() * 0.45),
                         QPointF(r.center().x(), r.bottom() - r.height() * 0.25))
        painter.drawPoint(QPointF(r.center().x(), r.top() + r.height() * 0.27))
    else:
        painter.setBrush(ink)
        painter.drawEllipse(r.center(), r.width() / 4, r.width() / 4)


class LinkButton(QLabel):
    """A link-styled action ("Show all 240 lines") in the palette's link colour."""

    clicked = Signal()

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                     | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.linkActivated.connect(lambda _link: self.clicked.emit())
        self.setFont(small_font(self))
        self.set_label(text)

    def set_label(self, text: str) -> None:
        self.plain = text
        self.setText(f"<a href='#' style='text-decoration:none'>{text}</a>")
        self.setAccessibleName(text)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the link colour is set with the text
            self.setText("")
            self.set_label(self.plain)


class TextBlock(QTextEdit):
    """Read-only monospace text whose height fits its content (up to ``max_height``)."""

    def __init__(self, parent: QWidget | None = None, *, code: bool = False,
                 max_height: int = 560) -> None:
        super().__init__(parent)
        self.highlighter: PythonHighlighter | None = None
        self.max_height = max_height
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setAcceptRichText(False)
        self.setFont(mono_font())
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._viewport = self.viewport()  # each viewport() call costs a wrapper lookup
        self._viewport.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.document().setDocumentMargin(7)
        self.highlighter = PythonHighlighter(self.document(), self.palette()) if code else None
        self._fitted_width = -1
        self.setFixedHeight(self._line_height() + 16)

    def _line_height(self) -> int:
        return self.fontMetrics().lineSpacing()

    def set_text(self, text: str) -> None:
        if text != self.toPlainText():
            self.setPlainText(text)
            self._fitted_width = -1
            self.fit()

    def fit(self) -> None:
        width = self._viewport.width()
        if width <= 0 or width == self._fitted_width:
            return
        self._fitted_width = width
        self.document().setTextWidth(width)
        height = int(self.document().size().height() + 0.999) + 2 * self.frameWidth()
        self.setFixedHeight(max(self._line_height() + 16, min(height, self.max_height)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        # A block that shows all its text lets the wheel scroll the timeline instead.
        if self.verticalScrollBar().maximum() == 0:
            event.ignore()
            return
        super().wheelEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if self.highlighter is not None and event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_palette(self.palette())

    def sizeHint(self) -> QSize:
        return QSize(200, self.height())


class FoldedText(QWidget):
    """A text block showing the first lines of long text, with "Show all N lines"."""

    def __init__(self, parent: QWidget | None = None, *, code: bool = False,
                 folded_lines: int = 10, folded_chars: int = 700, what: str = "lines") -> None:
        super().__init__(parent)
        self.folded_lines = folded_lines
        self.folded_chars = folded_chars
        self.what = what
        self.expanded = False
        self.full = ""
        self.block = TextBlock(self, code=code)
        self.toggle = LinkButton("", self)
        self.toggle.clicked.connect(self.toggle_expanded)
        self.toggle.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.block)
        row = QHBoxLayout()
        row.setContentsMargins(4, 0, 0, 0)
        row.addWidget(self.toggle)
        row.addStretch(1)
        layout.addLayout(row)

    @property
    def line_count(self) -> int:
        return self.full.count("\n") + 1 if self.full else 0

    def set_text(self, text: str) -> None:
        if text == self.full:
            return
        self.full = text
        self._show()

    def toggle_expanded(self) -> None:
        self.expanded = not self.expanded
        self._show()

    def _show(self) -> None:
        lines = self.line_count
        # Never hide just a line or two; long lines count too, since they wrap.
        folds = lines > self.folded_lines + 2 or len(self.full) > self.folded_chars * 1.4
        if folds and not self.expanded:
            head = "\n".join(self.full.splitlines()[: self.folded_lines])
            if len(head) > self.folded_chars:
                head = head[: self.folded_chars].rstrip() + " …"
            self.block.set_text(head)
            size = f"{lines:,} {self.what}" if lines > self.folded_lines + 2 \
                else f"{len(self.full):,} characters"
            self.toggle.set_label(f"Show all {size} ▾")
        else:
            self.block.set_text(self.full)
            self.toggle.set_label("Show less ▴")
        self.toggle.setVisible(folds)


class Elided(QLabel):
    """A one-line label that elides its text to the width it gets (full text in ``full``
    and in the tooltip), so a narrow panel never grows wider than its window."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str) -> None:
        text = " ".join(text.split())
        if text != self.full:
            self.full = text
            self._elide()

    set_full = setText

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideRight,
                                              max(20, self.width()))
        self.setToolTip(safe_tooltip(self.full) if shown != self.full else "")
        super().setText(shown)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def minimumSizeHint(self) -> QSize:
        return QSize(20, super().minimumSizeHint().height())
