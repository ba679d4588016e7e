"""A Save dialog that never blocks the window, whose chosen file kind adds its own extension."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget


def documents_folder() -> str:
    """Where a first save is offered: the person's Documents folder, else home."""
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) \
        or str(Path.home())


def file_name(prefix: str, text: str, fmt: str) -> str:
    """"Answer - Which clauses limit liability.docx": ``prefix``, then up to 60 characters of
    ``text`` that any system accepts in a file name, then the extension of ``fmt``."""
    words = "".join(c if c.isalnum() or c in " -_,.'()" else " " for c in text)
    words = " ".join(words.split()).strip(" .")[:60].rstrip(" .")
    return f"{prefix} - {words}.{fmt}" if words else f"{prefix}.{fmt}"


def save_dialog(parent: QWidget, title: str, kinds: Sequence[tuple[str, str]], fmt: str,
                folder: str, name: str, selected: Callable[[str, str], object]) -> QFileDialog:
    """A Save dialog, built but not opened (the caller keeps it and calls ``open``):
    ``kinds`` are (format, name filter) pairs, ``fmt`` the one chosen first; it opens on
    ``folder`` with ``name`` proposed, and ``selected`` gets the path and the format of the
    kind chosen. It deletes itself once closed."""
    dialog = QFileDialog(parent, title)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilters([name_filter for _, name_filter in kinds])
    dialog.selectNameFilter(dict(kinds)[fmt])
    dialog.setDefaultSuffix(fmt)
    dialog.setDirectory(folder)
    dialog.selectFile(name)

    def filter_chosen(name_filter: str) -> None:
        kind = next((k for k, f in kinds if f == name_filter), None)
        if kind is not None:
            dialog.setDefaultSuffix(kind)

    def chosen(path: str) -> None:
        kind = next((k for k, f in kinds if f == dialog.selectedNameFilter()), fmt)
        selected(path, kind)

    dialog.filterSelected.connect(filter_chosen)
    dialog.fileSelected.connect(chosen)
    dialog.finished.connect(dialog.deleteLater)
    return dialog
