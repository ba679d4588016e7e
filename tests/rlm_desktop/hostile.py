"""Hostile text for the views, what a view must show of it, and a FIFO that tells whether
anything tried to read it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtGui import Qt, QTextDocument, QTextFormat
from PySide6.QtWidgets import QLabel, QWidget

# Each would make Qt read a file, render HTML or follow a link if the text were trusted.
HOSTILE = (
    "![zero](/dev/zero)",
    "![passwd](file:///etc/passwd)",
    '<img src="/dev/zero">',
    "<b>bold</b>",
    '<a href="file:///etc">x</a>',
)

# Runs in its own process: a reader stuck in Qt's open() holds the GIL, so a thread of the
# test could never come to its rescue.
_WATCHER = r"""
import errno, os, sys, time
path, done = sys.argv[1], sys.argv[2]
opened = 0
while not os.path.exists(done):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as error:
        if error.errno != errno.ENXIO:
            raise
        time.sleep(0.005)
        continue
    opened += 1
    os.close(fd)
    time.sleep(0.05)
print(opened, flush=True)
"""


def fifo_text(fifo: Path) -> str:
    """Images and HTML pointing at ``fifo``: a reader of it blocks, so it is tried first
    (a view that read ``/dev/zero`` would fill the memory instead of failing the test)."""
    return "\n\n".join([f"![pipe]({fifo})", f"<img src='{fifo}'>", f"![url](file://{fifo})"])


def hostile_text(fifo: Path) -> str:
    """Every hostile piece, a paragraph each, then the FIFO's."""
    return "\n\n".join([*HOSTILE, fifo_text(fifo)])


class FifoWatch:
    """A FIFO in ``folder``; a helper process opens its write end whenever a reader opens it.

    Opening a FIFO to read blocks until a writer comes, which is how a poisoned answer froze
    the window: here the writer comes at once (so a test never hangs) and the watch counts
    that someone read the file.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / "pipe"
        self._done = folder / "pipe-done"
        os.mkfifo(self.path)
        self._process = subprocess.Popen([sys.executable, "-c", _WATCHER, str(self.path),
                                          str(self._done)], stdout=subprocess.PIPE, text=True)

    def opened(self) -> int:
        """How many times something opened the FIFO to read it (ends the watch)."""
        time.sleep(0.1)                    # a reader that just opened it is seen
        self._done.touch()
        out, _ = self._process.communicate(timeout=10)
        return int(out.strip() or 0)


def images(document: QTextDocument) -> list[str]:
    """The names of the images left in ``document``."""
    names = []
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fmt = iterator.fragment().charFormat()
            if fmt.isImageFormat():
                names.append(str(fmt.property(QTextFormat.Property.ImageName)))
            iterator += 1
        block = block.next()
    return names


def bold_or_linked(document: QTextDocument, words: str) -> bool:
    """Whether ``words`` of ``document`` are drawn bold or as a link (HTML obeyed)."""
    found = document.find(words)
    if found.isNull():
        return False
    fmt = found.charFormat()
    return fmt.fontWeight() > 400 or fmt.isAnchor()


def tooltip_shown(tip: str, widget: QWidget | None = None) -> str:
    """What a tooltip shows, drawn the way QToolTip draws it (a label guessing its format);
    drawing it is what would read an image's file."""
    label = QLabel(tip)           # QToolTip's label: rich text when Qt.mightBeRichText says so
    label.setWordWrap(Qt.mightBeRichText(tip))
    label.resize(400, 300)
    label.grab()
    if not Qt.mightBeRichText(tip):
        return tip
    document = QTextDocument()
    document.setHtml(tip)
    assert not images(document), tip
    return document.toPlainText()
