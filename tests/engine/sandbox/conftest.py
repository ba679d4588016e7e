"""Fixtures for the sandbox tests: context files on disk and a REPL runner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from engine.sandbox.context_file import write_context
from engine.sandbox.host import ReplProcess
from tests.engine.sandbox.support import FakeHandler, build_context


@pytest.fixture
def context_files(tmp_path: Path) -> tuple[Path, Path]:
    context, documents = build_context()
    return write_context(tmp_path / "run", context, documents)


ReplSession = Callable[[ReplProcess], Awaitable[Any]]


@pytest.fixture
def run_repl(context_files: tuple[Path, Path]) -> Callable[..., Any]:
    """Start a REPL, run ``session(repl)`` in a fresh event loop, always close it."""

    def run(session: ReplSession, handler: FakeHandler | None = None, **options: Any) -> Any:
        async def main() -> Any:
            repl = ReplProcess(*context_files, call_handler=handler or FakeHandler(), **options)
            try:
                await repl.start()
                return await session(repl)
            finally:
                await repl.close()

        return asyncio.run(main())

    return run
