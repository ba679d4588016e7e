"""Which name to show for a document: its own title, unless that title is junk (no Qt)."""

from __future__ import annotations

import re

# Titles that word processors, scanners and PDF makers write when nobody set one.
_PLACEHOLDERS = frozenset({
    "untitled", "untitled document", "no title", "title", "document", "doc", "new document",
    "microsoft word document", "blank", "default", "none", "null", "unknown", "page 1",
})
# "Microsoft Word - contract.docx", "Microsoft PowerPoint - deck.pptx": the app's window title.
_APP_PREFIX = re.compile(r"^\s*microsoft\s+\w+\s+-\s+", re.IGNORECASE)
# A title that is only a file name or path: "scan0001.pdf", "C:\\work\\draft.doc".
_FILE_NAME = re.compile(r"^[^\s]*\.(?:pdf|docx?|rtf|odt|pptx?|xlsx?|txt|tiff?|jpe?g|png|"
                        r"indd|qxp|ps|eps|tmp|htm|html|msg|eml)$", re.IGNORECASE)
# A short code such as "A5.0", "v2", "X-1": a few letters at most, then digits and dots.
_CODE = re.compile(r"^[A-Za-z]{0,3}[\d._\-/ ]*\d[\d._\-/ ]*$")


def file_name(path: str) -> str:
    """The last part of a path, for either kind of separator."""
    return path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def is_junk_title(title: str) -> bool:
    """True for a metadata title that says nothing a reader would recognise the file by."""
    text = " ".join(title.split())
    if not any(ch.isalpha() for ch in text):        # only digits, punctuation, symbols
        return True
    folded = text.casefold().strip(" .-_")
    return (folded in _PLACEHOLDERS or bool(_APP_PREFIX.match(text))
            or bool(_FILE_NAME.match(text)) or bool(_CODE.match(text)))


def display_title(title: str, path: str) -> str:
    """The document's title, or its file name when the title is missing or junk."""
    if title and not is_junk_title(title):
        return " ".join(title.split())
    return file_name(path) or title
