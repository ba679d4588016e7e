"""Fixtures for the desktop app's tests: a fake model server, settings pointing at it, workers."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.config import ModelSettings, Settings, config_dir, save_settings
from tests.support.fake_openai import FakeOpenAI
from tests.support.harness import PRICES

# Generous: the suite runs on a loaded 2-core machine, and a worker start imports the engine.
START_TIMEOUT_MS = 60_000
REPLY_TIMEOUT_MS = 60_000
STAND_IN = [sys.executable, "-m", "tests.rlm_desktop.stand_in_worker"]


def wait_ready(qtbot: Any, client: Any, timeout: int = START_TIMEOUT_MS) -> None:
    qtbot.waitUntil(lambda: client.state == "ready", timeout=timeout)


def stop_client(qtbot: Any, client: Any) -> None:
    client.stop()
    qtbot.waitUntil(lambda: client.state in ("stopped", "failed"), timeout=10_000)


def call(qtbot: Any, client: Any, cmd: str, args: dict[str, Any] | None = None, *,
         timeout: int = REPLY_TIMEOUT_MS, events: list[dict[str, Any]] | None = None
         ) -> dict[str, Any]:
    """Send one request and wait (tests only) for its reply dict."""
    replies: list[dict[str, Any]] = []
    client.request(cmd, args or {}, on_done=replies.append,
                   on_event=events.append if events is not None else None)
    qtbot.waitUntil(lambda: bool(replies), timeout=timeout)
    return replies[0]


def configure(server: FakeOpenAI, **limits: Any) -> Path:
    """Settings and prices in the (temporary) config folder that point at the fake server."""
    settings = Settings(root=ModelSettings(model="fake-root", base_url=server.base_url),
                        sub=ModelSettings(model="fake-sub", base_url=server.base_url))
    for name, value in limits.items():
        setattr(settings.limits, name, value)
    path = save_settings(settings)
    (config_dir() / "prices.json").write_text(json.dumps(PRICES), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def no_collection_inside_qt() -> Iterator[None]:
    """As the app does (``rlm_desktop/garbage.py``): no automatic garbage collection while Qt
    runs, which could free a Qt object inside another one's destructor and hang for good;
    collect between tests instead. Autouse, so it is set up first and torn down last."""
    enabled = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    if enabled:
        gc.enable()


@pytest.fixture
def fake_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def configured(fake_server: FakeOpenAI) -> FakeOpenAI:
    configure(fake_server)
    return fake_server


@pytest.fixture
def stand_in(qtbot: Any) -> Iterator[Any]:
    """A WorkerClient talking to tests/rlm_desktop/stand_in_worker.py."""
    from rlm_desktop.worker_client import WorkerClient

    client = WorkerClient(command=STAND_IN)
    client.start()
    wait_ready(qtbot, client)
    yield client
    stop_client(qtbot, client)


@pytest.fixture
def worker(qtbot: Any, configured: FakeOpenAI) -> Iterator[Any]:
    """A WorkerClient running the real engine worker, with settings for the fake server."""
    from rlm_desktop.worker_client import WorkerClient

    client = WorkerClient()
    client.start()
    wait_ready(qtbot, client)
    yield client
    stop_client(qtbot, client)


@pytest.fixture
def window(qtbot: Any, worker: Any) -> Any:
    """MainWindow on the real worker, with recording run and history panels."""
    from rlm_desktop.window.main_window import MainWindow
    from tests.rlm_desktop.recording_panels import RecordingHistoryPanel, RecordingRunPanel

    win = MainWindow(worker, run_panel=RecordingRunPanel(),
                     history_panel=RecordingHistoryPanel(), offer_setup=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.library.loaded, timeout=REPLY_TIMEOUT_MS)
    return win


def make_library_folder(folder: Path) -> dict[str, int]:
    """Two PDFs, a Word file, a text file and a password-protected PDF; returns pages by name."""
    import docx

    from tests.engine.ingest.makers import make_pdf

    folder.mkdir(parents=True, exist_ok=True)
    make_pdf(folder / "lease.pdf", ["Lease agreement between A and B.",
                                    "Clause 9: the secret code is 7319.",
                                    "Signatures."], title="Lease agreement")
    make_pdf(folder / "minutes.pdf", ["Minutes of the board meeting."], title="Board minutes")
    document = docx.Document()
    document.add_heading("Memo on liability", level=1)
    document.add_paragraph("Liability shall not exceed 10,000 EUR.")
    document.save(str(folder / "memo.docx"))
    (folder / "notes.txt").write_text("Plain notes about the case.\n", encoding="utf-8")
    make_pdf(folder / "locked.pdf", ["Confidential settlement terms."], password="s3cret")
    return {"Lease agreement": 3, "Board minutes": 1, "memo.docx": 1, "notes.txt": 1}


def drop_paths(widget: Any, paths: list[Path]) -> None:
    """Drag files onto ``widget`` and drop them, as a file manager does."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = widget.rect().center()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    try:        # PySide6 6.12 takes a QPointF (the QPoint form is deprecated); 6.11 a QPoint
        enter = QDragEnterEvent(QPointF(pos), *args)
    except TypeError:
        enter = QDragEnterEvent(pos, *args)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the window refused the drag"
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    assert drop.isAccepted(), "the window refused the drop"
