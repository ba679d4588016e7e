"""The Review grid's documents, questions and answers, read from the worker's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rlm_desktop.library.titles import display_title
from rlm_desktop.review.words import status_words
from rlm_desktop.run.format import one_line
from rlm_desktop.widgets.citation_marks import MARKS

SHOWN_CHARS = 120


@dataclass
class Column:
    id: int
    name: str
    question: str
    kind: str = "text"
    choices: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Column:
        return cls(id=as_int(data.get("id")), name=str(data.get("name") or ""),
                   question=str(data.get("question") or ""), kind=str(data.get("kind") or
                                                                     "text"),
                   choices=tuple(str(c) for c in data.get("choices") or ()))


@dataclass
class Row:
    id: int
    title: str
    path: str = ""


@dataclass
class Cell:
    """One answer as the worker sent it, with what the grid shows computed once."""

    data: dict[str, Any]
    text: str = ""
    marks: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cell:
        citations = [c for c in data.get("citations") or () if isinstance(c, dict)]
        status = str(data.get("status") or "")
        shown = one_line(str(data.get("shown") or ""), SHOWN_CHARS)
        problem = one_line(str(data.get("problem") or ""), SHOWN_CHARS)
        if status == "answered":
            text = shown
        elif status == "not_stated":
            text = "Not in this document"
        elif status == "unreadable":
            text = f"⚠ {shown}" if shown else "⚠ Could not read the answer"
        elif status == "failed":
            text = f"Failed: {problem}" if problem else "Failed"
        else:
            text = status_words(status)
        marks = "".join(MARKS.get(str(c.get("status")), "⚠") for c in citations)
        return cls(dict(data), text, marks, citations)

    @property
    def status(self) -> str:
        return str(self.data.get("status") or "")

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)


def rows_from(documents: list[dict[str, Any]]) -> list[Row]:
    return [Row(as_int(d.get("id")), display_title(str(d.get("title") or ""),
                                                   str(d.get("display_path") or "")),
                str(d.get("display_path") or "")) for d in documents]


def as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
