"""Drawing one page (what the viewer's thread runs): the file check, highlights, failures."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from rlm_desktop.viewer.render import (
    CHANGED,
    MISSING,
    PASSWORD,
    UNREADABLE,
    PageRequest,
    render_page,
)
from tests.engine.ingest.makers import make_pdf, make_scanned_pdf


def request(path: Path, page: int = 1, **kwargs: Any) -> PageRequest:
    stat = path.stat()
    return PageRequest(path=str(path), page=page, size=stat.st_size,
                       mtime_ns=stat.st_mtime_ns, **kwargs)


def test_a_page_is_drawn_at_its_scale_with_the_quote_in_points(qapp: Any,
                                                                tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["First page.", "The rent is EUR 12,400."])
    drawn = render_page(request(pdf, 2, scale=2.0, quotes=("EUR 12,400",)))
    assert drawn.problem == "" and drawn.pages == 2 and drawn.quote_found is True
    assert drawn.image is not None and drawn.image.width() == round(drawn.width_pt * 2)
    (x0, y0, x1, y1), = drawn.rects
    assert 72 < x0 < x1 < drawn.width_pt and 0 < y0 < y1 < 100
    assert render_page(request(pdf, 1)).quote_found is None      # nothing to look for


def test_a_moved_changed_short_or_locked_file_is_not_drawn(qapp: Any, tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "a.pdf", ["One page."])
    recorded = request(pdf)
    assert render_page(request(pdf, 3)).problem == UNREADABLE
    make_pdf(pdf, ["One page, changed since it was read."])
    assert render_page(recorded).problem == CHANGED
    pdf.unlink()
    assert render_page(recorded).problem == MISSING
    locked = make_pdf(tmp_path / "locked.pdf", ["Secret."], password="pw")
    drawn = render_page(request(locked))
    assert drawn.problem == UNREADABLE and drawn.detail == PASSWORD


def test_a_scanned_page_is_drawn_and_marked_as_a_picture(qapp: Any, tmp_path: Path) -> None:
    scan = make_scanned_pdf(tmp_path / "scan.pdf")
    drawn = render_page(request(scan, quotes=("SCANNED CONTRACT",)))
    assert drawn.image is not None and drawn.quote_found is False and drawn.scanned
    typed = make_pdf(tmp_path / "typed.pdf", ["Typed words."])
    assert not render_page(request(typed, quotes=("absent",))).scanned


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX names: any bytes but / and NUL")
def test_a_file_whose_name_is_not_utf8_or_holds_a_newline_is_drawn(qapp: Any,
                                                                     tmp_path: Path) -> None:
    made = make_pdf(tmp_path / "made.pdf", ["The deposit is returned."])
    for name in (b"lease\nsigned.pdf", b"contrat \xe9t\xe9.pdf"):
        target = os.fsencode(tmp_path) + b"/" + name
        os.rename(made, target)
        path = Path(os.fsdecode(target))     # as the worker's JSON gives it to the app
        drawn = render_page(request(path, quotes=("deposit is returned",)))
        assert drawn.problem == "" and drawn.quote_found is True, name
        made = path
