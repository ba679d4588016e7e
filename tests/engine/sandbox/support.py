"""Helpers for the sandbox tests: a small two-document context and a fake call handler."""

from __future__ import annotations

import asyncio
from typing import Any

from engine.sandbox.calls import SubCallRefused

PAGES = {
    1: ("Alpha report", ["Alpha page one: revenue grew.", "Alpha page two: costs fell."]),
    2: ("Beta memo", ["Beta page one.", "Beta page two: the deadline is May 3.", "Beta end."]),
}


def build_context() -> tuple[str, list[dict[str, Any]]]:
    """A context with a header per document and a marker per page, and its documents index."""
    parts: list[str] = []
    offset = 0
    documents = []
    for doc_id, (title, pages) in PAGES.items():
        start = offset
        header = f"=== document {doc_id}: {title} ===\n"
        parts.append(header)
        offset += len(header)
        page_list = []
        for number, text in enumerate(pages, start=1):
            chunk = f"--- document {doc_id} page {number} ---\n{text}\n"
            page_list.append({"page": number, "start": offset, "end": offset + len(chunk)})
            parts.append(chunk)
            offset += len(chunk)
        documents.append({"id": doc_id, "title": title, "path": f"/docs/{title}.pdf",
                          "type": "pdf", "start": start, "end": offset, "pages": page_list})
    return "".join(parts), documents


class FakeHandler:
    """Answers calls from the child; records them; can be slow, refuse or fail."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def __call__(self, op: str, args: dict[str, Any]) -> Any:
        self.calls.append((op, args))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            prompt = args.get("prompt")
            if prompt == "refuse":
                raise SubCallRefused("the sub-model refused: prompt too long")
            if prompt == "explode":
                raise RuntimeError("provider fatal error")
            if prompt == "hang":
                await asyncio.sleep(3600)
            if op == "llm_query_batched":
                return [f"answer to {p}" for p in args["prompts"]]
            if op == "rlm_query":
                return f"rlm answer to {prompt} over {args['context']!r}"
            return f"answer to {prompt}"
        finally:
            self.in_flight -= 1
