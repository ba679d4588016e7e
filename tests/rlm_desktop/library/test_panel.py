"""The Library panel with the real worker: what questions use, and messages per collection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.rlm_desktop.conftest import REPLY_TIMEOUT_MS, make_library_folder


def test_scope_counts_only_readable_documents_and_messages_stay_with_their_collection(
        qtbot: Any, window: Any, tmp_path: Path) -> None:
    library = window.library
    make_library_folder(tmp_path / "docs")
    library.add_paths([str(tmp_path / "docs")])
    qtbot.waitUntil(lambda: library.document_count() == 5 and not library.runner.running
                    and library.message.isVisible(), timeout=REPLY_TIMEOUT_MS)
    # The locked PDF is listed but cannot be read: it is not counted as used.
    assert library.readable_count() == 4
    scope = library.scope_label.text()
    assert scope.startswith("Questions use all 4 readable documents")
    assert "1 could not be read" in scope
    assert window.ask_panel.question.placeholderText().startswith("Ask a question")
    library.password_dialog.reject()
    # The ingest message is about "default": it goes when another collection is shown.
    library._create_collection("Empty matter")
    qtbot.waitUntil(lambda: library.current_collection() == "Empty matter",
                    timeout=REPLY_TIMEOUT_MS)
    assert not library.message.isVisible()
    qtbot.waitUntil(lambda: "Add documents first" in
                    window.ask_panel.question.placeholderText(), timeout=REPLY_TIMEOUT_MS)


def test_opening_a_file_nothing_opens_says_so_with_its_path(
        qtbot: Any, window: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from rlm_desktop.library import table

    library = window.library
    make_library_folder(tmp_path / "docs")
    library.add_paths([str(tmp_path / "docs" / "notes.txt")])
    qtbot.waitUntil(lambda: library.document_count() == 1 and not library.runner.running,
                    timeout=REPLY_TIMEOUT_MS)
    monkeypatch.setattr(table, "open_with_system", lambda path: False)
    assert not library.table.open_file(0)
    text = library.message.text()
    assert text.startswith("“notes.txt” could not be opened: no app on this computer")
    assert str(tmp_path / "docs" / "notes.txt") in text
