"""Colours derived from the current palette, so light and dark themes both read well."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

# Hues (degrees) of the few tones the run panel uses beside the palette's own roles.
HUES = {"calm": 150, "warn": 38, "bad": 4, "info": 210, "neutral": -1}


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved a share ``t`` of the way to ``b``."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t,
                           a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t, 1.0)


def tone(palette: QPalette, name: str) -> QColor:
    """A readable text colour of the named tone on the palette's base colour."""
    hue = HUES.get(name, -1)
    if hue < 0:
        return muted(palette)
    dark = is_dark(palette)
    saturation = 0.50 if dark else 0.70
    lightness = 0.70 if dark else 0.33
    return QColor.fromHslF(hue / 360.0, saturation, lightness, 1.0)


def tint(palette: QPalette, name: str, strength: float = 0.14) -> QColor:
    """A soft background of the named tone (for badges and accents)."""
    base = palette.color(QPalette.ColorRole.Base)
    return mix(base, tone(palette, name), strength)


def muted(palette: QPalette) -> QColor:
    """Secondary text: between the text and the background."""
    return mix(palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base),
               0.42)


def border(palette: QPalette) -> QColor:
    return mix(palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text),
               0.16)


def card(palette: QPalette) -> QColor:
    """The background of a card: the base colour, a touch off the window behind it."""
    return palette.color(QPalette.ColorRole.Base)


def css(color: QColor) -> str:
    return color.name(QColor.NameFormat.HexRgb)


def hued(palette: QPalette, hue: int, saturation: float = 0.6) -> QColor:
    """A text colour of any hue, light on dark palettes and dark on light ones."""
    dark = is_dark(palette)
    return QColor.fromHslF((hue % 360) / 360.0, saturation * (0.8 if dark else 1.0),
                           0.72 if dark else 0.36, 1.0)
