"""What one ingest did to each file (the report ``ingest`` returns), and its JSON form."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from engine.store.library import DocumentRecord


@dataclass
class Failure:
    path: str
    kind: str
    reason: str
    unchanged: bool = False


@dataclass
class IngestReport:
    """What happened to each file; ``selection`` holds the readable documents found, in order."""

    collection: str
    ingested: list[DocumentRecord] = field(default_factory=list)
    updated: list[DocumentRecord] = field(default_factory=list)
    unchanged: list[DocumentRecord] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    pruned: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    pages: int = 0
    seconds: float = 0.0
    selection: list[DocumentRecord] = field(default_factory=list)
    cancelled: bool = False
    # Read again and failed: the text read before is kept (these count as unchanged too).
    kept: list[Failure] = field(default_factory=list)

    @property
    def files(self) -> int:
        return len(self.ingested) + len(self.updated) + len(self.unchanged) + len(self.failed)


def describe(report: IngestReport) -> dict[str, Any]:
    """The report as JSON (``rlm ingest --json``)."""
    return {"collection": report.collection, "ingested": len(report.ingested),
            "updated": len(report.updated), "unchanged": len(report.unchanged),
            "failed": [{"path": f.path, "kind": f.kind, "reason": f.reason,
                        "unchanged": f.unchanged} for f in report.failed],
            "kept": [{"path": f.path, "kind": f.kind, "reason": f.reason}
                     for f in report.kept],
            "missing": report.missing, "pruned": report.pruned,
            "skipped": dict(report.skipped), "pages": report.pages,
            "seconds": round(report.seconds, 3), "cancelled": report.cancelled}
