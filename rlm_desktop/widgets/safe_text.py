"""The one way untrusted text (answers, titles, model names) is shown: never HTML, no resources."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
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
    QTextFragment,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser, QWidget

# GitHub Markdown without its HTML: a tag in an answer shows as the characters typed.
MARKDOWN = (QTextDocument.MarkdownFeature.MarkdownDialectGitHub
            | QTextDocument.MarkdownFeature.MarkdownNoHTML)


def placeholder(kind: int) -> Any:
    """What every resource request gets instead of the resource.

    It must be a real value: Qt reads the URL as a local file when a loader returns nothing
    (``/dev/zero`` fills the memory, a FIFO blocks the window), and Qt 5's image handler
    loaded the file itself when the image it got was null, so images get a real 1x1 one.
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


def make_safe(document: QTextDocument, start: int = 0) -> int:
    """From ``start`` on: put each image's alt text where the image was, and escape link
    titles (QTextBrowser shows them as tooltips, which Qt may take for HTML). Returns how
    many images were replaced."""
    images: list[tuple[int, int, str]] = []
    tips: list[tuple[int, int, str]] = []
    for fragment in fragments(document, start):
        char_format = fragment.charFormat()
        span = (fragment.position(), fragment.length())
        if char_format.isImageFormat():
            alt = char_format.property(QTextFormat.Property.ImageAltText)
            images.append((*span, str(alt or "")))
        elif char_format.toolTip() and Qt.mightBeRichText(char_format.toolTip()):
            tips.append((*span, safe_tooltip(char_format.toolTip())))
    for position, length, tip in tips:            # the text does not move: any order
        cursor = select(document, position, length)
        escaped = QTextCharFormat()
        escaped.setToolTip(tip)
        cursor.mergeCharFormat(escaped)
    for position, length, alt in reversed(images):   # from the end: positions stay valid
        select(document, position, length).insertText(image_text(alt), QTextCharFormat())
    return len(images)


def fragments(document: QTextDocument, start: int = 0) -> Iterator[QTextFragment]:
    """The document's text fragments (runs of one format) from ``start`` on, in order; read
    them all before changing the document."""
    block = document.findBlock(start)
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            iterator += 1
            if fragment.isValid() and fragment.position() >= start:
                yield fragment
        block = block.next()


def select(document: QTextDocument, position: int, length: int) -> QTextCursor:
    """A cursor selecting ``length`` characters from ``position``."""
    cursor = QTextCursor(document)
    cursor.setPosition(position)
    cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
    return cursor


def insert_markdown(cursor: QTextCursor, markdown: str) -> None:
    """Insert untrusted Markdown at ``cursor``: no HTML, images as their alt text, link
    titles escaped."""
    start = cursor.position()
    cursor.insertMarkdown(markdown, MARKDOWN)
    make_safe(cursor.document(), start)


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


def wrapped_tooltip(text: str) -> str:
    """A tooltip that wraps (Qt wraps only rich text) and still shows ``text`` as typed:
    every character is escaped, so a reason from a document never becomes markup."""
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
        self.document().setDocumentMargin(0)   # lines up with the labels around it
        self.markdown = ""
        self.max_height = max_height
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
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

    def wheelEvent(self, event: QWheelEvent) -> None:
        # Text that shows whole lets the wheel scroll the page it sits on instead.
        if self.verticalScrollBar().maximum() == 0:
            event.ignore()
            return
        super().wheelEvent(event)
