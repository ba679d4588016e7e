"""Trajectory logs: each event of a run as one JSON line, written once, read for ``rlm show``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from engine.errors import ConfigError
from engine.events import Event, event_from_json


class TrajectoryLog:
    """Appends events to a JSON-lines file, flushing each so a crash loses at most one line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # A lone surrogate (a model may send "\ud800" in its JSON) cannot be UTF-8: written as
        # its JSON escape, which reads back as the same string, instead of failing the run.
        self._file: IO[str] | None = path.open("a", encoding="utf-8", errors="backslashreplace")

    def write(self, event: Event) -> None:
        if self._file is None:
            return
        self._file.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_events(path: Path) -> Iterator[Event]:
    """Events of a log; a damaged line (say, a crash mid-write) is skipped, not fatal."""
    return (event for event in _parsed_lines(path) if event is not None)


def read_lines(path: Path) -> tuple[list[Event], int]:
    """All events of a log and how many non-blank lines were skipped as damaged (not JSON,
    or not an event this version knows)."""
    events: list[Event] = []
    skipped = 0
    for event in _parsed_lines(path):
        if event is None:
            skipped += 1
        else:
            events.append(event)
    return events, skipped


def _parsed_lines(path: Path) -> Iterator[Event | None]:
    """Each non-blank line of a log as its event, or None when the line is damaged; bytes
    that are not UTF-8 are replaced, so a damaged line never stops the rest."""
    try:
        handle = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ConfigError(f"cannot open run log {path}: {exc.strerror or exc}") from exc
    with handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                yield event_from_json(json.loads(line))
            except (ValueError, TypeError, AttributeError, KeyError):   # not an event object
                yield None
