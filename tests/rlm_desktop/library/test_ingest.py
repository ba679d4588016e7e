"""Adding documents through the window with the real worker: drop, table, password, re-scan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from rlm_desktop.library.model import PAGES, STATUS, TITLE
from tests.engine.ingest.makers import make_pdf
from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS, drop_paths, make_library_folder


def table_rows(win: Any) -> dict[str, dict[str, str]]:
    proxy = win.library.proxy
    rows = {}
    for row in range(proxy.rowCount()):
        title = proxy.index(row, TITLE).data()
        rows[title] = {"pages": proxy.index(row, PAGES).data(),
                       "status": proxy.index(row, STATUS).data(),
                       "tip": proxy.index(row, STATUS).data(Qt.ItemDataRole.ToolTipRole)}
    return rows


def wait_ingested(qtbot: Any, win: Any, count: int) -> None:
    qtbot.waitUntil(lambda: not win.library.runner.running and
                    win.library.document_count() == count, timeout=REPLY_TIMEOUT_MS)


def test_dropping_a_folder_fills_the_table(qtbot: Any, window: Any, tmp_path: Path) -> None:
    library = window.library
    assert library.stack.currentWidget() is library.empty
    assert library.empty.headline.text() == "Drop PDFs or Word files here"
    pages = make_library_folder(tmp_path / "case")
    finished: list[dict[str, Any]] = []
    library.ingest_finished.connect(finished.append)
    drop_paths(window, [tmp_path / "case"])
    qtbot.waitUntil(lambda: bool(finished), timeout=REPLY_TIMEOUT_MS)
    wait_ingested(qtbot, window, 5)
    rows = table_rows(window)
    assert library.stack.currentWidget() is library.table
    assert library.current_collection() == "default"
    for title, count in pages.items():
        assert rows[title]["pages"] == str(count), rows
        assert rows[title]["status"] == "Ready", rows[title]
    assert rows["locked.pdf"]["status"] == "Needs a password"
    assert "enter its password" in rows["locked.pdf"]["tip"]
    assert "Added 4 files (6 pages)" in library.message.text()
    assert "1 file could not be read" in library.message.text()
    # The summary comes with the collections' reply, which may land after the table's.
    qtbot.waitUntil(lambda: library.summary.text().startswith("“default”: 5 documents · 6 pages"),
                    timeout=REPLY_TIMEOUT_MS)
    assert not library.ingest_bar.isVisible()
    # The locked file asks for its password; the right one brings it in.
    qtbot.waitUntil(lambda: getattr(library, "password_dialog", None) is not None)
    dialog = library.password_dialog
    assert "locked.pdf" in dialog.labelText()
    dialog.setTextValue("s3cret")
    dialog.accept()
    qtbot.waitUntil(lambda: table_rows(window).get("locked.pdf", {}).get("status") == "Ready",
                    timeout=REPLY_TIMEOUT_MS)
    assert all(r["status"] == "Ready" for r in table_rows(window).values())


def test_drops_on_the_question_box_go_to_the_library(qtbot: Any, window: Any,
                                                     tmp_path: Path) -> None:
    make_pdf(tmp_path / "one.pdf", ["A single page."], title="One")
    box = window.ask_panel.question
    finished: list[dict[str, Any]] = []
    window.library.ingest_finished.connect(finished.append)
    from PySide6.QtCore import QMimeData, QUrl
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "one.pdf"))])
    assert box.canInsertFromMimeData(mime)
    box.insertFromMimeData(mime)
    qtbot.waitUntil(lambda: bool(finished), timeout=REPLY_TIMEOUT_MS)
    wait_ingested(qtbot, window, 1)
    assert box.toPlainText() == ""        # the path was not pasted into the question


def test_rescan_picks_up_new_files_and_remove_takes_one_out(qtbot: Any, window: Any,
                                                            tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    make_pdf(folder / "a.pdf", ["First."], title="Doc A")
    library = window.library
    library.add_paths([str(folder)])
    wait_ingested(qtbot, window, 1)
    make_pdf(folder / "b.pdf", ["Second.", "Page two."], title="Doc B")
    library.rescan_action.trigger()
    wait_ingested(qtbot, window, 2)
    assert table_rows(window)["Doc B"]["pages"] == "2"
    doc_b = next(r.id for r in library.model.documents() if r.title == "Doc B")
    library.remove_documents([doc_b])
    wait_ingested(qtbot, window, 1)
    assert list(table_rows(window)) == ["Doc A"]


def test_cancel_stops_a_long_ingest(qtbot: Any, window: Any, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(400):
        make_pdf(folder / f"file{i:03}.pdf", [f"Document number {i}."] * 3)
    library = window.library
    finished: list[dict[str, Any]] = []
    library.ingest_finished.connect(finished.append)
    library.add_paths([str(folder)])
    # Cancel once some files are in, so the test sees both halves: kept and stopped.
    qtbot.waitUntil(lambda: library.ingest_bar.isVisible() and
                    library.ingest_bar.bar.value() > 0, timeout=REPLY_TIMEOUT_MS)
    library.ingest_bar.cancel_button.click()
    assert library.ingest_bar.cancel_button.text() == "Cancelling…"
    qtbot.waitUntil(lambda: bool(finished), timeout=REPLY_TIMEOUT_MS)
    assert finished[0].cancelled is True
    assert library.message.text().startswith("Stopped.")
    qtbot.waitUntil(lambda: library.document_count() == finished[0].result.ingested,
                    timeout=REPLY_TIMEOUT_MS)
    assert 0 < library.document_count() < 400
    assert not library.ingest_bar.isVisible()


def test_a_new_collection_is_selected_and_filled(qtbot: Any, window: Any,
                                                 tmp_path: Path) -> None:
    library = window.library
    library.refresh()       # a listing already on its way must not lose the new collection
    library._create_collection("Acme case")
    qtbot.waitUntil(lambda: library.current_collection() == "Acme case",
                    timeout=REPLY_TIMEOUT_MS)
    assert library.collection_list.isVisible()
    make_pdf(tmp_path / "acme.pdf", ["Acme."], title="Acme contract")
    library.add_paths([str(tmp_path / "acme.pdf")])
    wait_ingested(qtbot, window, 1)
    assert library.current_collection() == "Acme case"
    assert list(table_rows(window)) == ["Acme contract"]
