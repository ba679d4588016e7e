"""The platform icons (Windows .ico, macOS .icns, Linux PNG + SVG) made from resources/app.svg.

Rendered with Qt's SVG renderer, the one the app uses for its window icon, so the installed
icon and the window's match: PyMuPDF's SVG renderer (MuPDF 1.28) does not draw gradients and
paints the icon's blue background black. Pillow writes the .ico; the .icns is written here
(a header and one PNG per entry), since Pillow's writer leaves out the 16 and 32 point 1x
entries.

    python packaging/icons.py OUTPUT_FOLDER
"""

from __future__ import annotations

import io
import shutil
import struct
import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources" / "app.svg"
NAME = "rlm-desktop"

ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Entry type -> pixel size (the @2x entries hold twice their nominal size). Apple's
# iconutil writes these same ten PNG entries from an .iconset folder.
ICNS_ENTRIES = (
    (b"icp4", 16), (b"ic11", 32),      # 16 pt, 16 pt @2x
    (b"icp5", 32), (b"ic12", 64),      # 32 pt, 32 pt @2x
    (b"ic07", 128), (b"ic13", 256),    # 128 pt, 128 pt @2x
    (b"ic08", 256), (b"ic14", 512),    # 256 pt, 256 pt @2x
    (b"ic09", 512), (b"ic10", 1024),   # 512 pt, 512 pt @2x
)
LINUX_SIZE = 256


def render(size: int, source: Path = SOURCE) -> Image.Image:
    """The icon drawn at ``size`` x ``size`` pixels on a transparent background (RGBA)."""
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise ValueError(f"{source} is not an SVG image Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)  # straight, not premultiplied
    return Image.frombuffer("RGBA", (size, size), bytes(rgba.constBits()), "raw", "RGBA",
                            rgba.bytesPerLine(), 1).copy()


def _png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def png(size: int, out: Path) -> Path:
    """Write the icon as a ``size`` x ``size`` PNG to ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(_png_bytes(render(size)))
    return out


def ico(out: Path) -> Path:
    """Write a Windows .ico holding every size in ``ICO_SIZES``, each drawn at its size."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    images = [render(size) for size in ICO_SIZES]
    largest = images[-1]
    largest.save(out, format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                 append_images=images[:-1])
    return out


def icns(out: Path) -> Path:
    """Write a macOS .icns with PNG entries from 16 to 1024 pixels (``ICNS_ENTRIES``)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pngs = {size: _png_bytes(render(size)) for size in {s for _, s in ICNS_ENTRIES}}
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                    for kind, size in ICNS_ENTRIES)
    out.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)
    return out


def linux_icons(folder: Path) -> list[Path]:
    """Write ``rlm-desktop.png`` (256 x 256) and ``rlm-desktop.svg`` into ``folder``,
    the names the .desktop entry's ``Icon=`` and install.sh expect."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    svg = folder / f"{NAME}.svg"
    shutil.copyfile(SOURCE, svg)
    return [png(LINUX_SIZE, folder / f"{NAME}.png"), svg]


def write_all(folder: Path) -> list[Path]:
    """Every platform's icons in ``folder``: rlm-desktop.ico, .icns, .png and .svg."""
    folder = Path(folder)
    return [ico(folder / f"{NAME}.ico"), icns(folder / f"{NAME}.icns"), *linux_icons(folder)]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    usage = ("usage: python packaging/icons.py OUTPUT_FOLDER\n"
             "Writes rlm-desktop.ico, rlm-desktop.icns, rlm-desktop.png and rlm-desktop.svg, "
             "made from resources/app.svg.")
    if args in (["-h"], ["--help"]):
        print(usage)
        return 0
    if len(args) != 1:
        print(usage, file=sys.stderr)
        return 2
    for path in write_all(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
