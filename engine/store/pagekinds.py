"""Page kinds: where a stored page's text came from, or why it has none, and what the model
reads in place of a page without text."""

from __future__ import annotations

TEXT = "text"            # the file's own text layer
OCR = "ocr"              # read from the page image by Tesseract
GARBLED = "garbled"      # a text layer whose font has no map to letters: mostly U+FFFD
NO_TEXT_OCR = "no_ocr"   # an image-only (scanned) page, and OCR is unavailable
OCR_FAILED = "ocr_failed"
DAMAGED = "damaged"      # the page could not be read at all
BLANK = "blank"          # nothing on the page

PLACEHOLDERS = {
    NO_TEXT_OCR: "[no text (OCR unavailable): this page is a scanned image]",
    OCR_FAILED: "[no text: this page is a scanned image and OCR failed on it]",
    DAMAGED: "[this page could not be read: the file is damaged here]",
}
