"""The shared Save dialog: the chosen kind sets the extension and reaches the caller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QWidget

from rlm_desktop.widgets.save_dialog import file_name, save_dialog

KINDS = (("xlsx", "Excel workbook (*.xlsx)"), ("csv", "CSV table (*.csv)"))


def test_the_dialog_opens_on_the_kind_folder_and_name_given(qtbot: Any, tmp_path: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    dialog = save_dialog(parent, "Export", KINDS, "csv", str(tmp_path), "Review.csv",
                         lambda path, fmt: None)
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    assert dialog.nameFilters() == ["Excel workbook (*.xlsx)", "CSV table (*.csv)"]
    assert dialog.selectedNameFilter() == "CSV table (*.csv)"
    assert dialog.defaultSuffix() == "csv"
    assert Path(dialog.directory().absolutePath()) == tmp_path
    assert not dialog.isVisible()                     # the caller opens it


def test_the_kind_chosen_sets_the_extension_and_reaches_the_caller(qtbot: Any,
                                                                   tmp_path: Path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    chosen: list[tuple[str, str]] = []
    dialog = save_dialog(parent, "Export", KINDS, "xlsx", str(tmp_path), "Review.xlsx",
                         lambda path, fmt: chosen.append((path, fmt)))
    dialog.selectNameFilter("CSV table (*.csv)")
    dialog.filterSelected.emit("CSV table (*.csv)")
    assert dialog.defaultSuffix() == "csv"
    dialog.fileSelected.emit(str(tmp_path / "table"))
    assert chosen == [(str(tmp_path / "table"), "csv")]


def test_file_names_keep_only_what_any_system_accepts() -> None:
    assert file_name("Review", "Leases: 2024/25?", "xlsx") == "Review - Leases 2024 25.xlsx"
    assert file_name("Answer", "a/b\\c:d*\x00e\n", "docx") == "Answer - a b c d e.docx"
    assert file_name("Review", "...", "csv") == "Review.csv"
    assert len(file_name("Answer", "x" * 500, "md")) < 80
