"""A contracts item's data room as the app sees it: its PDFs ingested into a library of its
own under the benchmark folder, and the stored context made from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.bench import contracts
from engine.errors import ConfigError
from engine.ingest.options import IngestOptions
from engine.ingest.pipeline import ingest
from engine.rlm.verify import PageIndex
from engine.store.contexts import CachedContext, prepare_context
from engine.store.library import Library

ROOMS = "rooms"


@dataclass(frozen=True)
class Room:
    """The stored context of one item's room: ``text`` for the one-prompt methods,
    ``prepared`` for rlm (real document ids and pages), ``index`` to check citations."""

    text: str
    prepared: CachedContext
    index: PageIndex

    def citation_score(self, answer: str, gold: dict[str, Any]) -> float:
        return contracts.citation_score(answer, gold, self.index)


def open_room(folder: Path, item_id: str, seed: int, tokens: int) -> Room:
    """Write the room's PDFs (once), ingest them (again only if changed) and prepare their
    context, all under ``folder``/rooms/``item_id``."""
    home = folder / ROOMS / item_id
    paths = contracts.write_pdfs(contracts.make_room(seed, tokens), home / "pdfs")
    with Library(home / "library.sqlite") as library:
        report = ingest(paths, IngestOptions(ocr="off", workers=1), library=library)
        if report.failed:
            raise ConfigError(f"could not ingest the data room of {item_id}: "
                              f"{report.failed[0].reason}; generate the benchmark again")
        docs = sorted(report.selection, key=lambda d: d.path)
        prepared = prepare_context(library, docs, home / "context")
    text = prepared.context_path.read_text(encoding="utf-8")
    return Room(text, prepared, PageIndex.from_context(text, prepared.documents))
