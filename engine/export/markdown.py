"""An export as Markdown. Every untrusted string is escaped, so an answer's "![x](/etc/passwd)",
HTML tags or link definitions read as the text they are: a viewer renders no image, link or
tag of theirs, and loads nothing."""

from __future__ import annotations

import re
from pathlib import Path

from engine.export.atomic import write_atomically
from engine.export.document import ExportDocument

# Characters with a meaning anywhere in a line (emphasis, code, links, images, HTML, entities,
# tables, strikethrough, autolinks in <>): each backslash-escaped, which CommonMark allows for any
# ASCII punctuation.
_INLINE = re.compile(r"([\\`*_\[\]()<>!#|~&{}])")
# What starts a block at the beginning of a line: a list, a quote, a heading underline, a rule;
# and "1." of a numbered list (its dot is escaped).
_BLOCK_MARK = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*[0-9]+)\.", re.MULTILINE)


def escape(text: str) -> str:
    """Plain text as Markdown that shows exactly that text."""
    text = _INLINE.sub(r"\\\1", text)
    text = _BLOCK_MARK.sub(r"\1\\\2", text)
    return _NUMBERED.sub(r"\1\\.", text)


def _paragraphs(text: str) -> str:
    """Text with its line breaks kept (a trailing backslash is a hard break)."""
    lines = escape(text.strip("\n")).split("\n")
    return "\n".join(line + "\\" if i < len(lines) - 1 and line.strip() and lines[i + 1].strip()
                     else line for i, line in enumerate(lines))


def _fenced(text: str, info: str = "") -> str:
    """A code block no content can close: its fence is longer than any backtick run in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip(chr(10))}\n{fence}"


def render(doc: ExportDocument) -> str:
    out = [f"# {doc.title}", "", "## Question", "", _paragraphs(doc.question), "",
           f"## {doc.answer_label}", "", _paragraphs(doc.answer) or "(no answer)", ""]
    if doc.sources:
        out += ["## Sources", ""]
        for source in doc.sources:
            line = f"- \\[{source.n}\\] {escape(source.place)}"
            if source.quote:
                line += f": “{escape(source.quote)}”"
            if source.status:
                line += f" — {escape(source.status)}"
            out.append(line)
        out.append("")
    out += ["## Details", ""]
    out += [f"- {label}: {escape(value)}" for label, value in doc.facts]
    out.append("")
    appendix = doc.appendix
    if appendix is not None:
        out += ["## Audit appendix", "", "### Safe workspace", ""]
        out += [f"- {escape(line)}" for line in appendix.sandbox] or ["- not recorded"]
        out += ["", "### Timings", ""]
        out += [f"- {escape(line)}" for line in appendix.timings]
        out += ["", "### Code cells", ""]
        if not appendix.cells:
            out += ["None.", ""]
        for cell in appendix.cells:
            out += [f"#### {escape(cell.title)}", "", _fenced(cell.code, "python"), ""]
            if cell.output.strip():
                out += ["Output:", "", _fenced(cell.output, "text"), ""]
            if cell.error:
                out += ["Error:", "", _fenced(cell.error, "text"), ""]
        out += ["### Helper questions", ""]
        if not appendix.helpers:
            out += ["None.", ""]
        for helper in appendix.helpers:
            out += [f"#### {escape(helper.title)}", "", "Question:", "",
                    _fenced(helper.prompt, "text"), "", "Answer:", "",
                    _fenced(helper.answer, "text"), ""]
        if appendix.notices:
            out += ["### Notices", ""]
            out += [f"- {escape(line)}" for line in appendix.notices]
            out.append("")
    return "\n".join(out)


def write(doc: ExportDocument, path: Path) -> None:
    text = render(doc)
    write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))
