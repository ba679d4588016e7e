"""A new review before Start: its questions, the library's documents it covers, its summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rlm_desktop.review.cells import Column, Row
from rlm_desktop.review.model import ReviewModel
from rlm_desktop.review.words import plural

Scope = Callable[[], tuple[str | None, list[int] | None]]
Documents = Callable[[list[int] | None], list[Row]]


class Draft:
    """``scope`` gives the library's collection and checked documents; ``documents`` the
    rows they make. ``questions`` are kept as the worker takes them, until Start."""

    def __init__(self, scope: Scope, documents: Documents) -> None:
        self.scope = scope
        self.documents = documents
        self.questions: list[dict[str, Any]] = []

    def rows(self) -> list[Row]:
        _collection, ids = self.scope()
        return self.documents(ids)

    def columns(self) -> list[Column]:
        """The questions as the grid's columns (ids below 0: not stored yet)."""
        return [Column(-(n + 1), str(d.get("name") or d["question"]), d["question"],
                       str(d.get("kind") or "text"), tuple(d.get("choices") or ()))
                for n, d in enumerate(self.questions)]

    def create_args(self, budget_usd: float | None) -> dict[str, Any]:
        """The worker's ``review_create`` arguments: the questions of the scope's documents."""
        collection, ids = self.scope()
        args: dict[str, Any] = {"columns": self.questions}
        if budget_usd is not None:
            args["budget_usd"] = budget_usd
        if ids:
            args["document_ids"] = ids
        else:
            args["collection"] = collection
        return args

    def created(self, model: ReviewModel, review: dict[str, Any],
                document_ids: list[int] | None) -> None:
        """The worker created the review (of ``document_ids``, or of the collection): the
        questions are its now, and ``model`` shows its table, the draft's kept when the
        same."""
        self.questions = []
        columns = [Column.from_json(c) for c in review.get("columns") or []]
        doc_ids = [int(d) for d in review.get("doc_ids") or []]
        if doc_ids != [r.id for r in model.rows] or \
                not model.adopt(str(review.get("id")), columns):
            rows = {r.id: r for r in self.documents(document_ids)}
            model.set_table(str(review.get("id")), columns,
                            [rows.get(d, Row(d, f"Document {d}")) for d in doc_ids], [])

    def describe(self) -> tuple[str, int]:
        """What the new review will be, and how many documents it covers."""
        words, count = self._scope_words()
        if not count:
            return ("Add documents to the library (or choose a collection), then add "
                    "the questions to ask of each one."), count
        if not self.questions:
            return (f"A new review of {words}. Add the questions to ask of each "
                    "document, or start from a template."), count
        return (f"A new review of {words}: {plural(len(self.questions), 'question')} "
                f"× {plural(count, 'document')} = "
                f"{plural(len(self.questions) * count, 'answer')} to find. Start when "
                "the questions are ready."), count

    def _scope_words(self) -> tuple[str, int]:
        collection, ids = self.scope()
        rows = self.documents(ids)
        if ids:
            return f"the {plural(len(ids), 'checked document')}", len(rows)
        if collection is None:
            return "", 0
        return f"the {plural(len(rows), 'document')} of “{collection}”", len(rows)
