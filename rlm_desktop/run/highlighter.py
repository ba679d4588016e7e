"""Python syntax highlighting for the model's code cells, in colours taken from the palette."""

from __future__ import annotations

import builtins
import keyword
import re

from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)

from engine.sandbox import contract
from rlm_desktop.widgets import palette_tones as tones

KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) - {"_"}
CONSTANTS = frozenset({"True", "False", "None"})
BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_")) - CONSTANTS
# What the REPL gives the model, from the contract's one table.
RLM_NAMES = frozenset(contract.NAMES)

_TOKEN = re.compile(r"""
    (?P<comment>\#.*)
  | (?P<triple>(?:[rRbBuUfF]{1,2})?(?:'''|\"\"\"))
  | (?P<string>(?:[rRbBuUfF]{1,2})?(?:'(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?))
  | (?P<number>\b(?:0[xXoObB][0-9a-fA-F_]+|\d[\d_]*\.?\d*(?:[eE][+-]?\d+)?j?)\b|\.\d+\b)
  | (?P<decorator>@[\w.]+)
  | (?P<name>[A-Za-z_]\w*)
""", re.VERBOSE)
_TRIPLES = {1: "'''", 2: '"""'}
# Formats depend on these colours only; built once per palette, shared by every cell.
_KEY_ROLES = (QPalette.ColorRole.Window, QPalette.ColorRole.Base, QPalette.ColorRole.Text,
              QPalette.ColorRole.Highlight)
_FORMATS: dict[tuple[int, ...], dict[str, QTextCharFormat]] = {}


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, strings, comments, numbers, built-ins and the REPL's own functions."""

    def __init__(self, document: QTextDocument, palette: QPalette | None = None) -> None:
        super().__init__(document)
        self.formats: dict[str, QTextCharFormat] = {}
        self.set_palette(palette or QGuiApplication.palette())

    def set_palette(self, palette: QPalette) -> None:
        """Recolour for a new palette (light/dark switch) and highlight again."""
        key = tuple(palette.color(role).rgba() for role in _KEY_ROLES)
        if key not in _FORMATS:
            if len(_FORMATS) > 8:
                _FORMATS.clear()
            _FORMATS[key] = self._formats(palette)
        self.formats = _FORMATS[key]
        self.rehighlight()

    @staticmethod
    def _formats(palette: QPalette) -> dict[str, QTextCharFormat]:
        def fmt(color: QColor, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
            f = QTextCharFormat()
            f.setForeground(color)
            if bold:
                f.setFontWeight(QFont.Weight.DemiBold)
            f.setFontItalic(italic)
            return f

        highlight_hue = palette.color(QPalette.ColorRole.Highlight).hslHue()
        keyword_hue = highlight_hue + 60 if highlight_hue >= 0 else 275
        return {
            "keyword": fmt(tones.hued(palette, keyword_hue, 0.55), bold=True),
            "constant": fmt(tones.hued(palette, keyword_hue, 0.55)),
            "builtin": fmt(tones.hued(palette, 190, 0.55)),
            "rlm": fmt(tones.hued(palette, highlight_hue if highlight_hue >= 0 else 210, 0.75),
                       bold=True),
            "string": fmt(tones.hued(palette, 130, 0.45)),
            "number": fmt(tones.hued(palette, 25, 0.7)),
            "comment": fmt(tones.muted(palette), italic=True),
            "decorator": fmt(tones.hued(palette, 45, 0.6)),
            "definition": fmt(tones.hued(palette, 215, 0.6), bold=True),
        }

    def highlightBlock(self, text: str) -> None:
        self.setCurrentBlockState(0)
        pos = 0
        state = self.previousBlockState()
        if state in _TRIPLES:
            pos = self._string_until(text, 0, _TRIPLES[state], state)
            if pos < 0:
                return
        define_next = False
        for match in _TOKEN.finditer(text, pos):
            if match.start() < pos:
                continue
            kind = match.lastgroup or ""
            start, end = match.span()
            if kind == "triple":
                quote = match.group()[-3:]
                end = self._string_until(text, end, quote, 1 if quote == "'''" else 2, start)
                if end < 0:
                    return
                pos = end
                continue
            if kind == "name":
                word = match.group()
                if define_next:
                    kind = "definition"
                elif word in KEYWORDS:
                    kind = "keyword"
                elif word in CONSTANTS:
                    kind = "constant"
                elif word in RLM_NAMES:
                    kind = "rlm"
                elif word in BUILTINS:
                    kind = "builtin"
                else:
                    kind = ""
                define_next = word in ("def", "class")
            else:
                define_next = False
            if kind:
                self.setFormat(start, end - start, self.formats[kind])
            pos = end

    def _string_until(self, text: str, start: int, quote: str, state: int,
                      opened_at: int | None = None) -> int:
        """Format a triple-quoted string up to its closing quotes; -1 when it goes on."""
        begin = start if opened_at is None else opened_at
        close = text.find(quote, start)
        if close < 0:
            self.setFormat(begin, len(text) - begin, self.formats["string"])
            self.setCurrentBlockState(state)
            return -1
        end = close + 3
        self.setFormat(begin, end - begin, self.formats["string"])
        return end
