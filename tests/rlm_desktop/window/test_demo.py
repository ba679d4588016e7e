"""See a demo: on a first start without a model, the recorded analysis of the sample documents
replays with its answer and checked citations, and a citation opens its page highlighted; the
real worker and panels, no settings or key, and no network (a guard refuses every connection
but 127.0.0.1, here and in the worker)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QUrl

from rlm_desktop.window.main_window import MainWindow
from rlm_desktop.worker_client import WorkerClient
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS, stop_client, wait_ready

ROOT = Path(__file__).resolve().parents[3]
LOCAL = ("127.0.0.1", "::1", "localhost")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every network connection but to this computer is refused and noted (this process and
    the worker it starts, whose guard is tests/support/offline/sitecustomize.py)."""
    refused: list[object] = []
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and address[0] not in LOCAL:
            refused.append(address)
            raise OSError("no network in this test")
        connect(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (*LOCAL, None):
            refused.append(host)
            raise OSError("no network in this test")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT / "tests" / "support" / "offline"), os.environ.get("PYTHONPATH", "")]))
    yield refused
    assert not refused


@pytest.fixture
def engine(qtbot: Any, offline: list[object]) -> Iterator[WorkerClient]:
    """The real worker, with nothing set up: no settings file, no key."""
    client = WorkerClient()
    client.start()
    wait_ready(qtbot, client)
    yield client
    log = "\n".join(client.log_tail())
    stop_client(qtbot, client)
    assert "OFFLINE-GUARD" not in log


def window(qtbot: Any, client: WorkerClient, tmp_path: Path, skipped: bool) -> MainWindow:
    store = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    store.setValue("setup/skipped", skipped)
    win = MainWindow(client, settings=store, offer_setup=True)
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    return win


def demo_shown(qtbot: Any, win: MainWindow, times: int = 1) -> None:
    qtbot.waitUntil(lambda: win.demo.shown == times and bool(win.demo.last_message),
                    timeout=REPLY_TIMEOUT_MS)
    qtbot.waitUntil(lambda: win.library.current_collection() == "Demo"
                    and win.library.document_count() == 3, timeout=REPLY_TIMEOUT_MS)


def citation_links(win: MainWindow) -> list[str]:
    html = win.ask_panel.view.toHtml()
    links, start = [], 0
    while (start := html.find('href="cite:', start)) != -1:
        start += len('href="')
        links.append(html[start:html.index('"', start)])
    return list(dict.fromkeys(links))   # each marker, and again in the sources list


def open_citation(qtbot: Any, win: MainWindow, link: str, page: int) -> None:
    """Click a citation (as a mouse click on its link does); wait for its page."""
    win.ask_panel.view.anchorClicked.emit(QUrl(link))
    viewer = win.viewer
    qtbot.waitUntil(lambda: viewer.mode == "pdf" and viewer.page == page
                    and bool(viewer.canvas.highlight_rects()), timeout=REPLY_TIMEOUT_MS)
    assert win.side_tabs.currentWidget() is viewer


def test_the_setup_wizard_offers_the_demo_and_it_replays_offline(
        qtbot: Any, engine: WorkerClient, tmp_path: Path) -> None:
    win = window(qtbot, engine, tmp_path, skipped=False)
    qtbot.waitUntil(lambda: win.wizard is not None and win.wizard.isVisible(),
                    timeout=REPLY_TIMEOUT_MS)
    wizard: Any = win.wizard
    assert wizard.demo_button.isVisible() and wizard.demo_button.text() == "See a demo first"
    wizard.demo_button.click()
    assert not wizard.isVisible()
    demo_shown(qtbot, win)

    # The answer, with its numbered and checked sources, and the note that it is a demo.
    answer = win.ask_panel.answer_text()
    assert "Demo: this question was answered earlier" in answer
    assert "Did the tenant give enough notice" in answer
    assert "The tenant gave 107 days' notice, and 90 days were needed." in answer
    assert "[[cite" not in answer and "Sources" in answer
    assert "Quote found on another page — corrected to p. 1" in answer
    assert answer.count("Quote checked on this page") == 3
    # Every step of the recorded run, read-only, in the run panel.
    panel: Any = win.run_panel
    panel.flush()
    root = panel.tree.root
    assert panel.read_only and root is not None and root.finished
    assert panel.status_label.full.startswith("Demo, recorded earlier · Answered")
    assert root.answer and root.answer.startswith("**Yes.**") and len(root.citations) == 4
    assert win.side_tabs.currentWidget() is win.run_panel_widget
    # It says that it is a demo and what to do next.
    assert win.banner.isVisible()
    assert win.banner.text.text().startswith("This is a demo, recorded earlier.")
    assert "Set up a model to ask your own questions." in win.banner.text.text()
    assert win.banner.action.text() == "Set up a model"

    # A citation opens its page in the viewer, the quote highlighted: the lease's printed p. 3.
    links = citation_links(win)
    assert len(links) == 4
    open_citation(qtbot, win, links[0], 4)
    qtbot.waitUntil(lambda: win.viewer.page_label.text() == "p. 3 (PDF p. 4)",
                    timeout=REPLY_TIMEOUT_MS)   # the printed number, found in the footer
    assert win.viewer.title.text() == "Commercial Lease – Unit 4, Millbrook Yard"
    assert win.viewer.notice_text() == ""
    # The corrected one opens where the words really are.
    open_citation(qtbot, win, links[3], 2)
    qtbot.waitUntil(lambda: win.viewer.page_label.text() == "p. 1 (PDF p. 2)",
                    timeout=REPLY_TIMEOUT_MS)


def test_the_banner_and_the_help_menu_offer_the_demo(
        qtbot: Any, engine: WorkerClient, tmp_path: Path) -> None:
    win = window(qtbot, engine, tmp_path, skipped=True)
    qtbot.waitUntil(lambda: win.banner.isVisible(), timeout=REPLY_TIMEOUT_MS)
    assert "No AI model is set up yet" in win.banner.text.text()
    assert win.banner.other.isVisible() and win.banner.other.text() == "See a demo"
    assert win.banner.action.text() == "Set up a model"
    win.banner.other.click()
    demo_shown(qtbot, win)
    ids = sorted(row.id for row in win.library.model.documents())

    # Again from the Help menu: the same documents, not copies.
    (action,) = [a for a in win.menus["help"].actions() if a.text() == "See a &demo"]
    action.trigger()
    demo_shown(qtbot, win, times=2)
    assert sorted(row.id for row in win.library.model.documents()) == ids
    assert len(win.ask_panel.turns) == 1
    # Asking now (no model yet) says what to set up, in the app's words.
    assert win.wizard is None
