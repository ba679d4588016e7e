"""packaging/icons.py: each platform's icon file reopens with every size, drawn at that size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import IcnsImagePlugin, IcoImagePlugin, Image

from tests.packaging.load import PACKAGING, load

icons = load("icons")


@pytest.fixture(scope="module")
def drawn() -> dict[int, bytes]:
    """The icon's RGBA pixels at each size any platform file holds."""
    sizes = {*icons.ICO_SIZES, *(size for _, size in icons.ICNS_ENTRIES)}
    return {size: icons.render(size).tobytes() for size in sorted(sizes)}


def test_render_draws_the_blue_background_and_transparent_corners() -> None:
    image = icons.render(256)
    assert (image.size, image.mode) == ((256, 256), "RGBA")
    assert image.getpixel((0, 0))[3] == 0  # outside the rounded square
    red, _green, blue, alpha = image.getpixel((24, 128))  # the gradient, left of the page
    assert alpha == 255
    assert blue > 180 and blue > red + 80, "the background must be the icon's blue, not black"
    assert image.getpixel((128, 80))[:3] == (255, 255, 255)  # the white page


def test_png_has_the_size_asked_for(tmp_path: Path) -> None:
    out = icons.png(48, tmp_path / "sub" / "icon.png")
    with Image.open(out) as image:
        assert (image.format, image.size, image.mode) == ("PNG", (48, 48), "RGBA")


def test_ico_holds_every_size_each_drawn_at_its_size(tmp_path: Path,
                                                     drawn: dict[int, bytes]) -> None:
    out = icons.ico(tmp_path / "app.ico")
    with Image.open(out) as image:
        assert isinstance(image, IcoImagePlugin.IcoImageFile)
        assert image.info["sizes"] == {(s, s) for s in (16, 24, 32, 48, 64, 128, 256)}
        for size in icons.ICO_SIZES:
            frame = image.ico.getimage((size, size)).convert("RGBA")
            assert frame.size == (size, size)
            assert frame.tobytes() == drawn[size], f"the {size} px frame is not the drawn one"


def test_icns_holds_16_to_1024_each_drawn_at_its_size(tmp_path: Path,
                                                      drawn: dict[int, bytes]) -> None:
    out = icons.icns(tmp_path / "app.icns")
    with Image.open(out) as image:
        assert image.format == "ICNS"
        assert set(image.info["sizes"]) == {(s, s, scale) for s in (16, 32, 128, 256, 512)
                                            for scale in (1, 2)}
    for width, _, scale in sorted(icons_sizes(out)):
        with Image.open(out) as image:
            assert isinstance(image, IcnsImagePlugin.IcnsImageFile)
            image.size = (width, width)
            image.load(scale=scale)
            pixels = width * scale
            assert image.size == (pixels, pixels)
            assert image.convert("RGBA").tobytes() == drawn[pixels]


def icons_sizes(path: Path) -> list[tuple[int, int, int]]:
    with Image.open(path) as image:
        return list(image.info["sizes"])


def test_icns_header_counts_the_whole_file(tmp_path: Path) -> None:
    data = icons.icns(tmp_path / "app.icns").read_bytes()
    assert data[:4] == b"icns"
    assert int.from_bytes(data[4:8], "big") == len(data)


def test_linux_icons_are_the_names_the_desktop_entry_uses(tmp_path: Path) -> None:
    png_path, svg_path = icons.linux_icons(tmp_path / "linux")
    assert (png_path.name, svg_path.name) == ("rlm-desktop.png", "rlm-desktop.svg")
    with Image.open(png_path) as image:
        assert image.size == (256, 256)
    assert svg_path.read_bytes() == (PACKAGING.parent / "resources" / "app.svg").read_bytes()


def test_command_writes_every_platform_file(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(PACKAGING / "icons.py"), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    names = sorted(Path(line).name for line in done.stdout.split())
    assert names == ["rlm-desktop.icns", "rlm-desktop.ico", "rlm-desktop.png", "rlm-desktop.svg"]
    assert all((tmp_path / "out" / name).stat().st_size > 0 for name in names)


def test_command_without_a_folder_says_how_to_use_it() -> None:
    done = subprocess.run([sys.executable, str(PACKAGING / "icons.py")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "usage: python packaging/icons.py OUTPUT_FOLDER" in done.stderr
