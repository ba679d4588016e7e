"""The one way untrusted text (answers, titles, model names) is shown: never HTML, no resources."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QUrl
from PySide6.QtGui import (
    QImage,
    QResizeEvent,
    Qt,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

# GitHub Markdown without its HTML: a tag in an answer shows as the characters typed.
MARKDOWN = (QTextDocument.MarkdownFeature.MarkdownDialectGitHub
            | QTextDocument.MarkdownFeature.MarkdownNoHTML)


def placeholder(kind: int) -> Any:
    """What every resource request gets instead of the resource.

    It must be a real value: Qt reads the URL as a local file when a loader returns nothing,
    and its image handler loads the file itself when the image it gets is null, so an empty
    QImage is not enough (``/dev/zero`` would fill the memory, a FIFO would block the window).
    """
    if kind == QTextDocument.ResourceType.ImageResource:
        image = QImage(1, 1, QImage.Format.Format_ARGB32)
        image.fill(0)
        return image
    if kind == QTextDocument.ResourceType.StyleSheetResource:
        return ""
    return QByteArray(b" ")


class SafeDocument(QTextDocument):
    """A text document that never loads what its text points at, whatever the URL's scheme."""

    def loadResource(self, kind: int, url: QUrl | str) -> Any:
        return placeholder(kind)


def image_text(alt: str) -> str:
    """What stands in for an image: its description, marked as one."""
    alt = " ".join(alt.split())
    return f"[image: {alt}]" if alt else "[image]"


def replace_images(document: QTextDocument, start: int = 0) -> int:
    """Put each image's alt text where the image was (from ``start`` on); returns how many."""
    found: list[tuple[int, int, str]] = []
    block = document.findBlock(start)
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.isValid() and fragment.charFormat().isImageFormat() \
                    and fragment.position() >= start:
                alt = fragment.charFormat().property(QTextFormat.Property.ImageAltText)
                found.append((fragment.position(), fragment.length(), str(alt or "")))
            iterator += 1
        block = block.next()
    for position, length, alt in reversed(found):   # from the end: positions stay valid
        cursor = QTextCursor(document)
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(image_text(alt), QTextCharFormat())
    return len(found)


def insert_markdown(cursor: QTextCursor, markdown: str) -> None:
    """Insert untrusted Markdown at ``cursor``: no HTML, images as their alt text."""
    start = cursor.position()
    cursor.insertMarkdown(markdown, MARKDOWN)
    replace_images(cursor.document(), start)


def markdown_document(markdown: str, parent: Any = None) -> SafeDocument:
    """A document holding untrusted Markdown, rendered safely (for tests and exports too)."""
    document = SafeDocument(parent)
    insert_markdown(QTextCursor(document), markdown)
    return document


def safe_tooltip(text: str) -> str:
    """A tooltip showing ``text`` as typed.

    Qt shows a tooltip as HTML when its first line looks like HTML (``Qt.mightBeRichText``),
    and rich text can load images: such text is escaped inside a paragraph that keeps its
    line breaks. Anything else is returned unchanged, so ordinary tooltips look as before.
    """
    if not text or not Qt.mightBeRichText(text):
        return text
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


class MarkdownView(QTextBrowser):
    """Read-only rendered Markdown whose height fits its text; links go to ``on_link``.

    Links are never followed by the widget itself: the owner decides (citations, or a web
    link after the person confirmed it).
    """

    def __init__(self, parent: QWidget | None = None, *, max_height: int = 0,
                 on_link: Callable[[QUrl], object] | None = None) -> None:
        super().__init__(parent)
        self.setDocument(SafeDocument(self))
        self.markdown = ""
        self.max_height = max_height
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.viewport().setAutoFillBackground(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._fitted_width = -1
        if on_link is not None:
            self.anchorClicked.connect(on_link)

    def loadResource(self, kind: int, url: QUrl | str) -> Any:
        return placeholder(kind)

    def set_markdown(self, markdown: str) -> None:
        if markdown == self.markdown and not self.document().isEmpty():
            return
        self.markdown = markdown
        document = self.document()
        document.clear()
        insert_markdown(QTextCursor(document), markdown)
        self._fitted_width = -1
        self.fit()

    def text(self) -> str:
        """What the reader sees, as plain text."""
        return self.toPlainText()

    def fit(self) -> None:
        width = self.viewport().width()
        if width <= 0 or width == self._fitted_width:
            return
        self._fitted_width = width
        self.document().setTextWidth(width)
        height = int(self.document().size().height() + 0.999) + 2 * self.frameWidth()
        if self.max_height:
            height = min(height, self.max_height)
        self.setFixedHeight(max(self.fontMetrics().lineSpacing(), height))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()
