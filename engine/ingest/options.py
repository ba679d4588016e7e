"""What one ingest is asked to do: the collection, which files, passwords, OCR, workers."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.ingest.model import ExtractOptions
from engine.ingest.pool import AUTO, DEFAULT_TIMEOUT_S
from engine.store.library import DEFAULT_COLLECTION


@dataclass
class IngestOptions:
    """Choices for one ingest; the defaults are what ``rlm ingest PATH`` does."""

    collection: str = DEFAULT_COLLECTION
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    follow_links: bool = False
    passwords: list[str] = field(default_factory=list)
    ocr: str = "auto"
    ocr_language: str = "eng"
    workers: int | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int | None = AUTO
    force: bool = False           # read every file again, changed or not
    retry_failed: bool = False    # try files that failed before even if unchanged
    prune: bool = False           # forget documents whose files are gone
    extractor: str | None = None  # "module:function" run by the workers (tests); None: ours

    def extract_options(self) -> ExtractOptions:
        return ExtractOptions(passwords=list(self.passwords), ocr=self.ocr,
                              ocr_language=self.ocr_language)
