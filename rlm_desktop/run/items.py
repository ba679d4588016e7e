"""The small views inside a run's timeline: the model's reply, notices, how a run ended."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.events import StopReason
from engine.rlm.verify import CheckedCitation
from rlm_desktop.run import format as fmt
from rlm_desktop.run.blocks import (
    Card,
    LinkButton,
    ToneIcon,
    WrapLabel,
    muted_label,
    small_font,
)
from rlm_desktop.run.tree import NoticeNode, ResponseNode, RunNode, Usage
from rlm_desktop.widgets.citation_marks import (
    checked,
    decorate,
    numbered_markdown,
    parse_cite_url,
    sources_markdown,
)
from rlm_desktop.widgets.safe_links import open_untrusted_link
from rlm_desktop.widgets.safe_text import MarkdownView

PROSE_CHARS = 420     # the model's words beyond this fold behind "more"
ANSWER_CHARS = 1200


def usage_text(usage: Usage, details: bool = True) -> str:
    """"14 calls · 20.1k tokens · $0.02"; the plain view says only the cost."""
    if not usage.calls:
        return ""
    cost = fmt.money(usage.cost_usd) if usage.cost_usd is not None else "cost unknown"
    if not details:
        return cost
    return f"{fmt.plural(usage.calls, 'call')} · {fmt.compact(usage.tokens)} tokens · {cost}"


def vbox(widget: QWidget, margins: tuple[int, int, int, int] = (0, 0, 0, 0),
         spacing: int = 6) -> QVBoxLayout:
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(*margins)
    layout.setSpacing(spacing)
    return layout


class FoldedLabel(QWidget):
    """Wrapped prose, cut after ``limit`` characters with a "more" link."""

    def __init__(self, limit: int, parent: QWidget | None = None, muted: bool = False) -> None:
        super().__init__(parent)
        self.limit = limit
        self.full = ""
        self.expanded = False
        self.label = WrapLabel("", self)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if muted:
            self.label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.more = LinkButton("more", self)
        self.more.clicked.connect(self._toggle)
        layout = vbox(self, spacing=0)
        layout.addWidget(self.label)
        layout.addWidget(self.more)

    def set_text(self, text: str) -> None:
        if text != self.full:
            self.full = text
            self._show()

    def _toggle(self) -> None:
        self.expanded = not self.expanded
        self._show()

    def _show(self) -> None:
        long = len(self.full) > self.limit + 40
        shown = self.full if self.expanded or not long else self.full[: self.limit].rstrip() + " …"
        self.label.setText(shown)
        self.more.set_label("less" if self.expanded else "more")
        self.more.setVisible(long)


class FoldedMarkdown(QWidget):
    """An answer's Markdown, rendered the safe way (no HTML, no images), cut after ``limit``
    characters of its source with a "more" link; links ask before they open."""

    def __init__(self, limit: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.limit = limit
        self.full = ""
        self.tail = ""              # shown whole after the folded text (the sources list)
        self.citations: list[CheckedCitation] = []
        self.expanded = False
        self.view = MarkdownView(self, on_link=self._link)
        self.view.setAccessibleName("Answer")
        self.more = LinkButton("more", self)
        self.more.clicked.connect(self._toggle)
        layout = vbox(self, spacing=0)
        layout.addWidget(self.view)
        layout.addWidget(self.more)

    def set_text(self, markdown: str, tail: str = "",
                 citations: list[CheckedCitation] | None = None) -> None:
        """Show ``markdown`` folded, then ``tail``; links to ``citations`` get their status
        tooltip and colour."""
        citations = citations or []
        if (markdown, tail, citations) != (self.full, self.tail, self.citations):
            self.full, self.tail, self.citations = markdown, tail, citations
            self._show()

    def _link(self, url: QUrl) -> None:
        if parse_cite_url(url.toString()) is None:   # a citation here opens nothing
            open_untrusted_link(url, self)

    def _toggle(self) -> None:
        self.expanded = not self.expanded
        self._show()

    def _show(self) -> None:
        long = len(self.full) > self.limit + 40
        shown = self.full if self.expanded or not long else self.full[: self.limit].rstrip() + " …"
        self.view.set_markdown(f"{shown}\n\n{self.tail}" if self.tail else shown)
        if self.citations:
            decorate(self.view.document(), self.citations, self.view.palette())
        self.more.set_label("less" if self.expanded else "more")
        self.more.setVisible(long)


class ResponseView(QWidget):
    """What the run's model said this step (its code shows in the cells below)."""

    def __init__(self, node: ResponseNode, parent: QWidget | None = None,
                 details: bool = True) -> None:
        super().__init__(parent)
        self.node = node
        self.seen = -1
        what = "asked for its best answer" if node.followup else "replied"
        tokens = f"{node.prompt_tokens + node.completion_tokens:,} tokens" if details else ""
        facts = [f"{node.model or 'The model'} {what}", fmt.seconds(node.latency_s), tokens,
                 fmt.money(node.cost_usd) if node.cost_usd is not None else "cost unknown"]
        layout = vbox(self, spacing=2)
        layout.addWidget(muted_label(" · ".join(f for f in facts if f), elide=True))
        prose = fmt.reply_prose(node.text)
        if prose:
            words = FoldedLabel(PROSE_CHARS, self)
            words.set_text(prose)
            layout.addWidget(words)

    def sync(self, deadline: float) -> bool:
        self.seen = self.node.version
        return True


class NoticeRow(QWidget):
    """A retry, a restart, a limit: worth knowing, said calmly."""

    def __init__(self, node: NoticeNode, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.node = node
        self.seen = -1
        kind = "info" if node.level == "info" else "warn"
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        icon = ToneIcon(kind, self)
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignVCenter)
        text = muted_label(fmt.notice_text(node.message), wrap=True)
        text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(text, 1)
        self.setAccessibleName(f"Notice: {node.message}")

    def sync(self, deadline: float) -> bool:
        self.seen = self.node.version
        return True


class OutcomeCard(Card):
    """How a run ended: its answer (or partial answer), the stop reason, any error."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = vbox(self, (14, 10, 12, 12), 6)
        head = QHBoxLayout()
        head.setSpacing(6)
        self.icon = ToneIcon("ok", self)
        head.addWidget(self.icon)
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setFont(small_font(self.title, 0.5, bold=True))
        head.addWidget(self.title)
        self.when = muted_label(elide=True)  # takes the free space, right-aligned
        self.when.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.when, 1)
        layout.addLayout(head)
        self.sentence = muted_label(wrap=True)
        layout.addWidget(self.sentence)
        self.answer = FoldedMarkdown(ANSWER_CHARS, self)
        layout.addWidget(self.answer)
        self.error = WrapLabel("", self)   # what happened and what to do: full contrast
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.error)

    def show_run(self, run: RunNode) -> None:
        reason = run.stop_reason
        tone = fmt.stop_tone(reason)
        self.set_accent({"calm": "calm", "warn": "warn", "bad": "warn"}.get(tone))
        self.icon.set_kind({"calm": "ok", "warn": "warn", "bad": "warn"}.get(tone, "info"))
        if run.answer is not None and reason == StopReason.ANSWERED:
            title = "Answer"
        elif run.answer:
            title = f"Partial answer · {fmt.stop_title(reason)}"
        else:
            title = fmt.stop_title(reason)
        self.title.setText(title)
        self.when.setText(f"after {fmt.seconds(run.duration_s)}" if run.duration_s else "")
        sentence = "" if reason == StopReason.ANSWERED else fmt.stop_sentence(reason)
        self.sentence.setText(sentence)
        self.sentence.setVisible(bool(sentence))
        citations = checked(run.citations)
        if citations:   # checked after FINAL: "[1]✓" markers and the sources list
            self.answer.set_text(
                numbered_markdown(run.answer or "", citations,
                                  lambda cite: f"\\[doc {cite.doc_id}, p. {cite.page}\\]"),
                sources_markdown(citations), citations)
        else:
            self.answer.set_text(fmt.markdown_citations(run.answer or ""))
        self.answer.setVisible(bool(run.answer))
        self.error.setText(f"Details: {run.error}" if run.error else "")
        self.error.setVisible(bool(run.error))
