"""One review run from the app: the worker's ``review_run`` streamed (each answer handed on
as it arrives), stopped on request, and its progress and outcome in the person's words."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from rlm_desktop.advice import in_app
from rlm_desktop.review.words import dollars, plural, progress_words
from rlm_desktop.worker_client import WorkerClient


def started_words(event: dict[str, Any]) -> str:
    """"Finding 36 answers: about $0.04." — the estimate, before the first answer."""
    total = int(event.get("total") or 0)
    if not total:
        return "Every answer has been found already; nothing to run."
    estimate = event.get("estimate_usd")
    cost = (f"about {dollars(float(estimate))}" if isinstance(estimate, (int, float))
            else "cost unknown (no price is set for the helper model)")
    long_docs = int(event.get("long_documents") or 0)
    extra = (f"; {plural(long_docs, 'answer')} in long documents, read step by step"
             if long_docs else "")
    return f"Finding {plural(total, 'answer')}: {cost}{extra}."


def outcome_words(result: dict[str, Any]) -> str:
    stopped = result.get("stopped")
    cost = result.get("cost_usd")
    spent = f" for {dollars(float(cost))}" if isinstance(cost, (int, float)) else ""
    found = plural(int(result.get("ran") or 0), "answer")
    if stopped == "cancelled":
        return f"Stopped by you after {found}{spent}. Resume finds the rest."
    if stopped == "budget":
        return f"Stopped at the spending limit after {found}{spent}. Resume finds the rest."
    if stopped:
        return f"Stopped after {found}{spent}. Resume finds the rest."
    failed = int(result.get("failed") or 0)
    return f"Done: {found}{spent}." + (
        f" {plural(failed, 'answer')} failed: Re-run failed asks again." if failed else "")


class ReviewRun(QObject):
    """At most one run at a time from the panel; signals say what it does."""

    answered = Signal(dict)           # a cell as the worker stored it
    progressed = Signal(str)          # "37 of 200 answers · $0.41"
    said = Signal(str, bool)          # a message (problem or not)
    ended = Signal(dict)              # the outcome ({} when it failed)

    def __init__(self, client: WorkerClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self.request = 0
        self.review_id = ""
        self.last_outcome: dict[str, Any] = {}

    @property
    def running(self) -> bool:
        return bool(self.request)

    def start(self, review_id: str, again: list[str],
              only: tuple[int, int] | None = None) -> int:
        """Run the review's missing answers (and those whose status is in ``again``);
        ``only`` (document id, question id) narrows it to one answer."""
        if self.request:
            return 0
        self.review_id = review_id
        self.said.emit("Starting…", False)
        args: dict[str, Any] = {"review_id": review_id, "again": again}
        if only is not None:
            args["doc_ids"], args["column_ids"] = [only[0]], [only[1]]
        self.request = self._client.request("review_run", args, on_event=self._event,
                                            on_done=self._finished)
        return self.request

    def stop(self) -> None:
        if self.request:
            self._client.cancel(self.request)
            self.said.emit("Stopping… the answers found so far are kept.", False)

    def _event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if event.get("review_id") not in (None, self.review_id):
            return
        if kind == "review_cell":
            cell = event.get("cell")
            if isinstance(cell, dict):
                self.answered.emit(cell)
            cost = event.get("cost_usd")
            self.progressed.emit(progress_words(
                int(event.get("done") or 0), int(event.get("total") or 0),
                float(cost) if isinstance(cost, (int, float)) else None,
                int(event.get("failed") or 0)))
        elif kind == "review_started":
            estimate = event.get("estimate_usd")
            self.said.emit(started_words(event), False)
            self.progressed.emit(progress_words(0, int(event.get("total") or 0), 0.0 if
                                                isinstance(estimate, (int, float)) else None))

    def _finished(self, reply: dict[str, Any]) -> None:
        self.request = 0
        if reply.get("ok"):
            self.last_outcome = dict(reply.get("result") or {})
            self.said.emit(outcome_words(self.last_outcome), False)
        else:
            self.last_outcome = {}
            self.said.emit("The review stopped: " + in_app(str(reply.get("error") or "")),
                           True)
        self.ended.emit(self.last_outcome)
