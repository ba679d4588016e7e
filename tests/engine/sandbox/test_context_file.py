"""Tests of writing a run's context files."""

from __future__ import annotations

import json
from pathlib import Path

from engine.sandbox.context_file import write_context


def test_write_context_round_trips_text_and_documents(tmp_path: Path) -> None:
    text = "line one\r\nline two\nü ✓ 中文\n"
    documents = [{"id": 1, "title": "Ü", "start": 0, "end": len(text), "pages": []}]
    context_path, documents_path = write_context(tmp_path / "new", text, documents)
    assert context_path.name == "context.txt" and documents_path.name == "documents.json"
    # Bytes as written: no newline translation, so offsets stay valid on every platform.
    assert context_path.read_bytes().decode("utf-8") == text
    assert json.loads(documents_path.read_text(encoding="utf-8")) == documents


def test_lone_surrogates_keep_offsets(tmp_path: Path) -> None:
    context_path, _ = write_context(tmp_path, "a\ud800b", [])
    assert context_path.read_text(encoding="utf-8") == "a?b"
