"""What a review cell asks the model, and reading its reply: a short typed answer, an
explanation, and quotes with their pages (checked by the engine afterwards)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.review.answers import NOT_STATED, AnswerType

# How to write each type, as the model is told (the engine still reads it, see answers.py).
TYPE_INSTRUCTIONS = {
    AnswerType.TEXT: "a short phrase (a few words; no full sentences unless needed)",
    AnswerType.YES_NO: "Yes or No",
    AnswerType.NUMBER: "a number in digits (for example 90), without units",
    AnswerType.DATE: "a date written as YYYY-MM-DD",
    AnswerType.MONEY: "an amount with its currency code (for example USD 12,400.00)",
    AnswerType.CHOICE: "exactly one of: {choices}",
    AnswerType.LIST: "one item per line, each starting with '- '",
}

SYSTEM = ("You fill in one cell of a review table: one question about one document. Read the "
          "document, answer only from what it says, and quote the exact words you relied on. "
          "If the document does not answer the question, say so; never guess.")

REPLY_FORM = f"""Reply in exactly this form:
ANSWER: <{{form}}, or {NOT_STATED} if the document does not say>
EXPLANATION: <one to three sentences: where the document says it and any condition>
QUOTES:
- page <page number as in the markers>: "<exact words copied from that page>"
(one to three quotes; none when the answer is {NOT_STATED})"""


def answer_form(kind: AnswerType, choices: tuple[str, ...] = ()) -> str:
    return TYPE_INSTRUCTIONS[kind].format(choices=", ".join(choices))


def direct_messages(question: str, kind: AnswerType, choices: tuple[str, ...],
                    title: str, pages: list[tuple[int, str | None, str]]) -> list[dict[str, str]]:
    """The messages of a cell answered in one call: the whole document, page by page."""
    parts = [f"Document: {title}", ""]
    for number, label, text in pages:
        printed = f" (printed page {label})" if label and label != str(number) else ""
        parts.append(f"=== page {number}{printed} ===")
        parts.append(text)
    parts += ["", "=== end of document ===", "", f"Question: {question}", "",
              REPLY_FORM.format(form=answer_form(kind, choices))]
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "\n".join(parts)}]


def rlm_question(question: str, kind: AnswerType, choices: tuple[str, ...]) -> str:
    """The question a long document's own RLM run is given: its FINAL answer takes the same
    form as a direct cell's reply (so one reader reads both)."""
    return (f"{question}\n\nThis is one cell of a review table over this one document. Answer "
            "only from the document. When done, call FINAL with text in this form (quote the "
            "exact words, with the page numbers of the page markers):\n"
            + REPLY_FORM.format(form=answer_form(kind, choices)))


@dataclass(frozen=True)
class CellReply:
    answer: str
    explanation: str
    quotes: tuple[tuple[int, str], ...]
    well_formed: bool          # False: no ANSWER: line, the whole reply is the answer


_SECTION = re.compile(r"^\s*\**\s*(ANSWER|EXPLANATION|QUOTES)\s*\**\s*:\s*", re.IGNORECASE
                      | re.MULTILINE)
_QUOTE = re.compile(r"""(?:page|p\.)\s*(?P<page>\d{1,6})\s*[:,\-–—]?\s*
                        [\"“”'‘’](?P<quote>[^\"“”\n]{2,600})[\"“”'‘’]""",
                    re.IGNORECASE | re.VERBOSE)


def read_reply(text: str) -> CellReply:
    """The sections of a cell's reply; lenient about case, bold markers and order."""
    sections: dict[str, str] = {}
    matches = list(_SECTION.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        sections.setdefault(match.group(1).upper(), text[match.end():end].strip())
    quotes_text = sections.get("QUOTES", "" if sections else text)
    quotes = tuple((int(m.group("page")), m.group("quote").strip())
                   for m in _QUOTE.finditer(quotes_text))[:10]
    if "ANSWER" not in sections:
        return CellReply(answer=text.strip(), explanation="", quotes=quotes, well_formed=False)
    return CellReply(answer=sections["ANSWER"], explanation=sections.get("EXPLANATION", ""),
                     quotes=quotes, well_formed=True)
