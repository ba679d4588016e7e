"""Our SVG line icons (resources/icons), drawn sharp at any DPI in a colour from the palette."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from engine import bundle

RESOURCES = bundle.resources_dir()
ICON_DIR = RESOURCES / "icons"
APP_ICON = RESOURCES / "app.svg"
_SIZES = (16, 20, 24, 32, 48, 64)
_SCALES = (1.0, 2.0)

# Status colours: hues people read at a glance, with the lightness chosen for the background.
_SEMANTIC = {
    "ok": ("#1e7b34", "#6fd38a"),
    "warning": ("#a15c00", "#f2b84b"),
    "failed": ("#b3261e", "#ff8a80"),
    "missing": ("#6b6b6b", "#a8a8a8"),
    "accent": ("#2c4bd6", "#9db0ff"),
}


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def semantic_color(kind: str, palette: QPalette | None = None) -> QColor:
    """A status colour ("ok", "warning", "failed", "missing", "accent") readable on the palette."""
    light, dark = _SEMANTIC[kind]
    return QColor(dark if is_dark(palette) else light)


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """``a`` blended towards ``b`` by ``amount`` (0..1): for subtle palette-derived fills."""
    return QColor(round(a.red() + (b.red() - a.red()) * amount),
                  round(a.green() + (b.green() - a.green()) * amount),
                  round(a.blue() + (b.blue() - a.blue()) * amount))


def icon(name: str, color: QColor | str | None = None) -> QIcon:
    """The icon ``resources/icons/<name>.svg`` in ``color`` (default: the palette's text)."""
    if color is None:
        color = QGuiApplication.palette().color(QPalette.ColorRole.WindowText)
    rgba = QColor(color).name(QColor.NameFormat.HexArgb)
    return QIcon(_icon(name, rgba))


def status_icon(status: str, palette: QPalette | None = None) -> QIcon:
    kind = status if status in _SEMANTIC else "missing"
    return icon(f"status-{kind}", semantic_color(kind, palette))


def status_icons(palette: QPalette | None = None) -> dict[str, QIcon]:
    return {status: status_icon(status, palette)
            for status in ("ok", "warning", "failed", "missing")}


def app_icon() -> QIcon:
    result = QIcon()
    renderer = QSvgRenderer(str(APP_ICON))
    for size in (16, 24, 32, 48, 64, 128, 256):
        result.addPixmap(_render(renderer, size, 1.0))
    return result


@lru_cache(maxsize=512)
def _icon(name: str, rgba: str) -> QIcon:
    path = ICON_DIR / f"{name}.svg"
    svg = path.read_text(encoding="utf-8")
    color = QColor(rgba)
    svg = svg.replace("currentColor", color.name(QColor.NameFormat.HexRgb))
    if color.alpha() < 255:
        svg = svg.replace("<svg ", f'<svg opacity="{color.alphaF():.3f}" ', 1)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    result = QIcon()
    for size in _SIZES:
        for scale in _SCALES:
            result.addPixmap(_render(renderer, size, scale))
    return result


def _render(renderer: QSvgRenderer, size: int, scale: float) -> QPixmap:
    pixels = round(size * scale)
    pixmap = QPixmap(QSize(pixels, pixels))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, pixels, pixels))
    painter.end()
    pixmap.setDevicePixelRatio(scale)
    return pixmap
