"""Check boxes stay visible on a dark palette (Fusion alone draws them almost invisibly)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyleFactory,
    QStyleOptionViewItem,
    QTableView,
)

from rlm_desktop.widgets.check_style import CheckContrastStyle, apply_to


def palette(dark: bool) -> QPalette:
    colours = {QPalette.ColorRole.Window: "#2b2b2b", QPalette.ColorRole.Base: "#1e1e1e",
               QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.WindowText: "#e6e6e6",
               QPalette.ColorRole.Button: "#353535"} if dark else {
        QPalette.ColorRole.Window: "#efefef", QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.Text: "#000000", QPalette.ColorRole.WindowText: "#000000",
        QPalette.ColorRole.Button: "#efefef"}
    result = QPalette()
    for role, colour in colours.items():
        result.setColor(role, QColor(colour))
    return result


def edge_contrast(style: QStyle, dark: bool) -> int:
    """How far the unchecked box's brightest edge pixel stands from the background."""
    pal = palette(dark)
    background = pal.color(QPalette.ColorRole.Base)
    image = QImage(40, 40, QImage.Format.Format_ARGB32)
    image.fill(background)
    option = QStyleOptionViewItem()
    option.rect = QRect(12, 12, 16, 16)
    option.palette = pal
    option.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Off
    painter = QPainter(image)
    style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck, option, painter)
    painter.end()
    ring = [image.pixelColor(x, y) for x in range(10, 30) for y in (12, 13, 26, 27)]
    return max(abs(c.lightness() - background.lightness()) for c in ring)


def test_fusion_alone_hides_the_box_on_a_dark_palette_and_ours_shows_it(qapp: QApplication
                                                                         ) -> None:
    fusion = QStyleFactory.create("Fusion")
    ours = CheckContrastStyle("Fusion")
    assert edge_contrast(fusion, dark=True) < 40          # the problem: near the background
    assert edge_contrast(ours, dark=True) >= 90
    # In a light palette nothing is drawn over Fusion's own box.
    assert edge_contrast(ours, dark=False) == edge_contrast(fusion, dark=False)


def test_another_base_style_is_left_alone(qapp: QApplication) -> None:
    if "Windows" not in list(QStyleFactory.keys()):  # a function, not a dict
        pytest.skip("no Windows style in this Qt build")
    windows = QStyleFactory.create("Windows")
    assert edge_contrast(CheckContrastStyle("Windows"), dark=True) == \
        edge_contrast(windows, dark=True)


def test_only_the_given_view_gets_the_style_and_only_on_fusion(qapp: QApplication) -> None:
    before = qapp.style().name()
    try:
        qapp.setStyle("Fusion")
        view, other = QTableView(), QTableView()
        apply_to(view)
        assert isinstance(view.style(), CheckContrastStyle)
        assert not isinstance(other.style(), CheckContrastStyle)
        qapp.setStyle("Windows")
        later = QTableView()
        apply_to(later)
        assert not isinstance(later.style(), CheckContrastStyle)
    finally:
        qapp.setStyle(before)
