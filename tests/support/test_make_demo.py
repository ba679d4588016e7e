"""The shipped demo (resources/demo) is what tests/support/make_demo.py makes: the same PDFs
byte for byte, and a fresh run over them ends with the same answer and checked citations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support import make_demo

SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "demo"


def rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def outcome(records: list[dict[str, Any]]) -> tuple[Any, ...]:
    """The answer and its citations (paths as file names), and how the run ended."""
    answer = next(r["text"] for r in records if r["type"] == "answer")
    cites = next(r["citations"] for r in records if r["type"] == "answer_citations")
    cites = [{**c, "path": Path(c["path"]).name} for c in cites]
    finished = next(r["stop_reason"] for r in records if r["type"] == "run_finished")
    return answer, cites, finished


def test_the_shipped_demo_is_what_the_script_makes(tmp_path: Path) -> None:
    documents = tmp_path / "demo" / "documents"
    made = make_demo.make_documents(documents)
    for path in made:
        assert path.read_bytes() == (SHIPPED / "documents" / path.name).read_bytes(), path.name
    log = make_demo.record(documents, tmp_path)
    assert make_demo.check(log) == []
    fresh = rows(make_demo.portable(log, tmp_path / "demo"))
    shipped = rows((SHIPPED / "run.jsonl").read_text(encoding="utf-8"))
    assert outcome(fresh) == outcome(shipped)
    # The same events (helper questions answered at once may arrive in another order).
    assert sorted(r["type"] for r in fresh) == sorted(r["type"] for r in shipped)
    assert "/tmp" not in (SHIPPED / "run.jsonl").read_text(encoding="utf-8")
