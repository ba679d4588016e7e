"""Write a run's context and document index to files the REPL child maps read-only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONTEXT_NAME = "context.txt"
DOCUMENTS_NAME = "documents.json"


def write_context(directory: Path, context: str,
                  documents: list[dict[str, Any]]) -> tuple[Path, Path]:
    """Write ``context.txt`` and ``documents.json`` into ``directory``; return both paths.

    Written once per run; child RLMs that share the parent's context reuse the paths.
    """
    directory.mkdir(parents=True, exist_ok=True)
    context_path = directory / CONTEXT_NAME
    documents_path = directory / DOCUMENTS_NAME
    # newline="" keeps "\n" as is on Windows, so offsets in `documents` stay valid;
    # "replace" swaps lone surrogates for "?" one for one, also keeping offsets.
    with open(context_path, "w", encoding="utf-8", errors="replace", newline="") as fh:
        fh.write(context)
    with open(documents_path, "w", encoding="utf-8", errors="replace", newline="") as fh:
        json.dump(documents, fh, ensure_ascii=False, separators=(",", ":"))
    return context_path, documents_path
