"""The safe rendering path: no HTML, no images, no resource read, tooltips escaped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, Qt, QTextDocument

from rlm_desktop.widgets.safe_text import (
    MarkdownView,
    SafeDocument,
    markdown_document,
    safe_tooltip,
)
from tests.rlm_desktop.hostile import (
    FifoWatch,
    bold_or_linked,
    fifo_text,
    hostile_text,
    images,
    tooltip_shown,
)


def test_markdown_shows_html_as_typed_and_images_as_their_alt_text(qapp: Any,
                                                                   tmp_path: Path) -> None:
    document = markdown_document(hostile_text(tmp_path / "pipe") + "\n\n**real bold**")
    text = document.toPlainText()
    assert "[image: zero]" in text and "[image: passwd]" in text and "[image: pipe]" in text
    assert '<img src="/dev/zero">' in text and "<b>bold</b>" in text
    assert '<a href="file:///etc">x</a>' in text
    assert images(document) == []
    assert not bold_or_linked(document, "bold</b>")
    assert bold_or_linked(document, "real bold")         # Markdown itself still renders


def test_an_image_without_a_description_leaves_nothing_to_load(qapp: Any) -> None:
    # Qt's Markdown reader drops an image that has no alt text; the marker covers the rest.
    document = markdown_document("see ![](/dev/zero) here ![a](<x y.png> \"t\")")
    assert images(document) == []
    assert document.toPlainText() == "see  here [image: a]"


def test_every_resource_is_a_placeholder_whatever_the_scheme(qapp: Any, tmp_path: Path) -> None:
    watch = FifoWatch(tmp_path)
    document = SafeDocument()
    for url in ("/dev/zero", "file:///etc/passwd", str(watch.path), f"file://{watch.path}",
                "qrc:/qt-project.org/styles/commonstyle/images/file-16.png", "data:,x",
                "http://example.com/a.png"):
        image = document.resource(QTextDocument.ResourceType.ImageResource, QUrl(url))
        assert isinstance(image, QImage) and image.size().width() == 1, url
        assert document.resource(QTextDocument.ResourceType.StyleSheetResource, QUrl(url)) == ""
    assert watch.opened() == 0


def test_a_view_never_reads_what_an_answer_points_at(qtbot: Any, tmp_path: Path) -> None:
    watch = FifoWatch(tmp_path)
    view = MarkdownView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    view.set_markdown(fifo_text(watch.path))
    view.grab()                                    # laid out and painted
    assert watch.opened() == 0
    view.set_markdown(hostile_text(watch.path))
    view.grab()
    assert images(view.document()) == [] and "<b>bold</b>" in view.text()
    assert view.loadResource(QTextDocument.ResourceType.ImageResource,
                             QUrl("/dev/zero")).width() == 1


def test_tooltips_show_markup_as_typed(qapp: Any, tmp_path: Path) -> None:
    watch = FifoWatch(tmp_path)
    for text in (f"<img src='{watch.path}'>", "<b>gpt</b>-evil", "a &lt;b&gt; <img src='x'>",
                 "model <i>x</i>\nsecond line", f"&lt;<img src=\"{watch.path}\">"):
        tip = safe_tooltip(text)
        assert tooltip_shown(tip) == text
    assert watch.opened() == 0
    # Ordinary tooltips are left exactly as they were.
    assert safe_tooltip("Stop this run (Esc)") == "Stop this run (Esc)"
    assert safe_tooltip("") == ""
    assert not Qt.mightBeRichText(safe_tooltip("plain\n<b>second line</b>"))


def test_link_titles_become_escaped_tooltips(qapp: Any, tmp_path: Path) -> None:
    # QTextBrowser shows a link's title as a tooltip, which Qt renders as HTML if it looks so.
    watch = FifoWatch(tmp_path)
    evil = f"<img src='{watch.path}'>"
    document = markdown_document(f'[x](https://a.example "{evil}") [y](https://b.example "plain")')
    assert tooltip_shown(document.find("x").charFormat().toolTip()) == evil
    assert document.find("y").charFormat().toolTip() == "plain"
    assert watch.opened() == 0
