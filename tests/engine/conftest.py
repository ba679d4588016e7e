"""Fixtures shared by the engine tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.engine.worker.harness import WorkerProcess


@pytest.fixture
def worker() -> Iterator[WorkerProcess]:
    """A real ``python -m engine.worker`` over its pipes, closed after the test."""
    process = WorkerProcess()
    try:
        yield process
    finally:
        process.close()
