"""HTML to readable text with the standard library's parser: scripts and styles dropped,
headings marked, list items bulleted, table cells joined with " | "."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from engine.ingest.model import Extracted, ReadRequest, clean_text, usable_title
from engine.ingest.readers.textfiles import decode_text, detect_encoding, text_pages

SKIP = {"script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object"}
BLOCK = {"p", "div", "section", "article", "header", "footer", "main", "nav", "aside", "form",
         "blockquote", "pre", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot",
         "figure", "figcaption", "address", "hr", "details", "summary", "fieldset", "caption"}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source",
        "track", "wbr", "param"}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0
        self.pre = 0
        self.title: list[str] = []
        self.in_title = False
        self.cells_in_row = 0

    def newline(self, count: int = 1) -> None:
        tail = "".join(self.out[-3:])
        have = len(tail) - len(tail.rstrip("\n")) if tail.strip(" ") else 2
        if have < count and self.out:
            self.out.append("\n" * (count - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
            return
        if self.skip_depth:
            if tag in SKIP and tag not in VOID:
                self.skip_depth += 1
            return
        if tag in SKIP:
            self.skip_depth = 1
        elif tag in HEADINGS:
            self.newline(2)
            self.out.append("#" * HEADINGS[tag] + " ")
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.newline()
            self.out.append("- ")
        elif tag == "tr":
            self.newline()
            self.cells_in_row = 0
        elif tag in ("td", "th"):
            if self.cells_in_row:
                self.out.append(" | ")
            self.cells_in_row += 1
        elif tag == "pre":
            self.pre += 1
            self.newline(2)
        elif tag in BLOCK:
            self.newline(2 if tag in ("p", "table", "blockquote") else 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and not self.skip_depth:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            return
        if self.skip_depth:
            if tag in SKIP:
                self.skip_depth -= 1
            return
        if tag in HEADINGS or tag in ("p", "table", "blockquote"):
            self.newline(2)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self.newline(2)
        elif tag in BLOCK or tag in ("li", "tr"):
            self.newline()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
            return
        if self.skip_depth:
            return
        if self.pre:
            self.out.append(data)
            return
        text = re.sub(r"\s+", " ", data)
        if not text.strip():
            if self.out and not self.out[-1].endswith((" ", "\n")):
                self.out.append(" ")
            return
        if self.out and self.out[-1].endswith("\n"):
            text = text.lstrip()
        self.out.append(text)


def html_to_text(html: str) -> tuple[str, str | None]:
    """The visible text of a page and its ``<title>``."""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # very broken markup: keep what was read
        pass
    lines = [line.rstrip() for line in "".join(parser.out).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"
    title = " ".join("".join(parser.title).split()) or None
    return clean_text(text), title


def decode_html(data: bytes) -> str:
    """Decode by BOM, then the page's declared ``<meta charset>``, then as plain text would."""
    encoding, _ = detect_encoding(data)
    if encoding == "cp1252":  # not UTF-8, no byte-order mark: the page may say what it is
        match = _META_CHARSET.search(data[:4096])
        if match:
            try:
                return data.decode(match.group(1).decode("ascii"), errors="replace")
            except LookupError:
                pass
    return decode_text(data)


def read_html(path: Path, request: ReadRequest) -> Extracted:
    """The reader of the format registry (``engine/ingest/formats.py``)."""
    return extract_html(path)


def extract_html(path: Path, data: bytes | None = None) -> Extracted:
    raw = path.read_bytes() if data is None else data
    text, title = html_to_text(decode_html(raw))
    return Extracted(type="html", pages=text_pages(text), title=usable_title(title))
