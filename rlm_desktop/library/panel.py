"""The Library panel: collections, their documents in a table, adding, re-scanning and removing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.ingest.formats import SUPPORTED_SUFFIXES
from rlm_desktop.advice import in_app
from rlm_desktop.library.dialogs import ask_text, confirm
from rlm_desktop.library.ingest import IngestBar, IngestOutcome, IngestRunner, describe_result
from rlm_desktop.library.model import (
    TOKENS,
    LibraryModel,
    LibraryProxy,
)
from rlm_desktop.library.table import DocumentTable
from rlm_desktop.replies import Collection, Document, list_of
from rlm_desktop.widgets.empty_state import EmptyState
from rlm_desktop.widgets.icons import icon, mix, status_icons
from rlm_desktop.widgets.panel_header import panel_header
from rlm_desktop.worker_client import WorkerClient

DEFAULT_COLLECTION = "default"
REFRESH_DURING_INGEST_MS = 1500
# Every suffix the engine reads, from its one table of formats.
FILE_FILTER = (f"Documents ({' '.join('*' + s for s in sorted(SUPPORTED_SUFFIXES))});;"
               "All files (*)")


class LibraryPanel(QWidget):
    """Left side of the window. ``add_paths`` is what a drop, Add files and Add folder call."""

    collection_changed = Signal(str)
    scope_changed = Signal()           # the collection or the checked documents changed
    documents_changed = Signal()       # the table was refreshed from the worker
    view_requested = Signal(int)       # a document's id: show it in the source viewer
    ingest_finished = Signal(object)   # IngestRunner's IngestOutcome

    def __init__(self, client: WorkerClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._collection: str | None = None
        self._collections: list[Collection] = []
        self._want: str | None = None      # a collection to select once the list arrives
        self._refresh_serial = 0
        self._message_about: str | None = None   # the collection the shown message is about
        self.details = False      # token counts show in the details view only
        self.loaded = False     # the first listing arrived (tests wait for it)
        self.model = LibraryModel(self)
        self.proxy = LibraryProxy(self.model, self)
        self.runner = IngestRunner(client, self)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DURING_INGEST_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._build_actions()
        self._build()
        self.model.checked_changed.connect(self._scope_changed)
        self.model.modelReset.connect(self._update_views)
        self.runner.started.connect(self._ingest_started)
        self.runner.progress.connect(self.ingest_bar.update_progress)
        self.runner.stored.connect(self._file_stored)
        self.runner.finished.connect(self._ingest_done)
        self.ingest_bar.cancel_requested.connect(self.runner.cancel)
        self._update_views()

    # --- building -------------------------------------------------------------------

    def _build_actions(self) -> None:
        def action(name: str, text: str, slot: Any, shortcut: str | None = None,
                   tip: str = "") -> QAction:
            act = QAction(icon(name), text, self)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.setToolTip(tip or text.replace("…", ""))
            act.triggered.connect(slot)
            return act

        self.add_files_action = action("add-file", "Add &files…", self.choose_files, "Ctrl+O",
                                       "Add PDF, Word or text files to this collection")
        self.add_folder_action = action("add-folder", "Add f&older…", self.choose_folder,
                                        "Ctrl+Shift+O", "Add a folder and everything in it")
        self.rescan_action = action("rescan", "&Re-scan folders", lambda: self.rescan(False),
                                    "F5", "Read new and changed files from this collection's "
                                          "folders again")
        self.prune_action = action("rescan", "Re-scan and &forget missing files",
                                   lambda: self.rescan(True))
        self.remove_action = action("remove", "Re&move from library", self.remove_selected,
                                    "Delete", "Remove the selected documents (your files "
                                              "on disk are not touched)")
        self.read_again_action = action(
            "rescan", "Read &again", self.read_again_selected,
            tip="Read the selected documents from their files again, for example after "
                "installing text recognition (OCR) for scanned pages")
        self.new_collection_action = action("new-collection", "&New collection…",
                                            self.new_collection, "Ctrl+Shift+N")
        self.delete_collection_action = action("remove", "&Delete collection…",
                                               self.delete_collection)
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _build(self) -> None:
        header = panel_header("Library", self.new_collection_action, "New collection")

        self.collection_list = QListWidget()
        self.collection_list.setAccessibleName("Collections")
        self.collection_list.setMaximumHeight(120)
        self.collection_list.currentItemChanged.connect(self._collection_picked)
        self.collection_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.collection_list.customContextMenuRequested.connect(self._collection_menu)

        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)   # names a collection
        self.summary.setAccessibleName("Collection summary")
        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("Filter by title or path")
        self.filter_box.setAccessibleName("Filter documents")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.textChanged.connect(self.proxy.set_filter_text)

        self.table = DocumentTable(self.proxy)
        self.table.setColumnHidden(TOKENS, True)      # plain view until set_details(True)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.table.open_failed.connect(self._open_failed)
        self.table.view_requested.connect(self.view_requested)
        self.table.addAction(self.remove_action)
        self.table.menu_actions = [self.read_again_action, self.remove_action,
                                   self.add_files_action, self.add_folder_action]

        self.empty = EmptyState("drop", "Drop PDFs or Word files here",
                                "or add them with the buttons below. Folders are read "
                                "with everything inside them; your files are only read, "
                                "never changed.", dashed=True)
        self.empty.add_button(self._button(self.add_files_action, "Add files…"))
        self.empty.add_button(self._button(self.add_folder_action, "Add folder…"))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)

        self.ingest_bar = IngestBar()
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)   # errors quote files and names
        self.message.setWordWrap(True)
        # It may name files and paths: plain text, and selectable so a path can be copied.
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName("Library messages")
        self.message.hide()
        self.scope_label = QLabel()
        self.scope_label.setAccessibleName("Question scope")
        self.scope_label.setWordWrap(True)
        self.clear_checks_button = QPushButton("Clear checks")
        self.clear_checks_button.setAccessibleName("Clear checked documents")
        self.clear_checks_button.clicked.connect(self.model.clear_checks)
        scope_row = QHBoxLayout()
        scope_row.addWidget(self.scope_label, 1)
        scope_row.addWidget(self.clear_checks_button)

        rescan_button = self._button(self.rescan_action, "Re-scan")
        rescan_menu = QMenu(rescan_button)
        rescan_menu.addAction(self.rescan_action)
        rescan_menu.addAction(self.prune_action)
        rescan_button.setMenu(rescan_menu)
        rescan_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for widget in (self._button(self.add_files_action, "Add files"),
                       self._button(self.add_folder_action, "Add folder"),
                       rescan_button):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        buttons.addWidget(self._button(self.remove_action, "Remove"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 6, 10)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.collection_list)
        layout.addWidget(self.summary)
        layout.addWidget(self.filter_box)
        layout.addWidget(self.stack, 1)
        layout.addLayout(scope_row)
        layout.addWidget(self.ingest_bar)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.refresh_icons()

    def _button(self, action: QAction, text: str) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        button.setText(text)
        button.setAccessibleName(text.replace("…", ""))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        # setDefaultAction copies the action's text on every change; keep the short label.
        action.changed.connect(lambda: button.setText(text))
        return button

    def refresh_icons(self) -> None:
        self.model.set_status_icons(status_icons(self.palette()))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.refresh_icons()
        super().changeEvent(event)

    # --- what other parts of the window use -------------------------------------------

    def set_details(self, details: bool) -> None:
        """Token counts (a column, a figure in the summary) show in the details view only."""
        self.details = details
        self.table.setColumnHidden(TOKENS, not details)
        self._update_summary()
        for row in range(self.collection_list.count()):
            item = self.collection_list.item(row)
            info = next((c for c in self._collections
                         if c.name == item.data(Qt.ItemDataRole.UserRole)), None)
            if info is not None:
                item.setToolTip(self._collection_text(info))

    def current_collection(self) -> str | None:
        return self._collection

    def checked_ids(self) -> list[int]:
        return self.model.checked_ids()

    def document_count(self) -> int:
        return self.model.rowCount()

    def add_paths(self, paths: list[str], password: str | None = None) -> None:
        """Ingest files and folders into the current collection (or "default")."""
        paths = [p for p in paths if p]
        if not paths:
            return
        collection = self._collection or DEFAULT_COLLECTION
        self.message.hide()
        self.runner.ingest(paths, collection, password)

    def choose_files(self) -> None:
        dialog = QFileDialog(self, "Add files to the library")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(FILE_FILTER)
        dialog.filesSelected.connect(self.add_paths)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def choose_folder(self) -> None:
        dialog = QFileDialog(self, "Add a folder to the library")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.filesSelected.connect(self.add_paths)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def rescan(self, prune: bool = False) -> None:
        if self._collection:
            self.message.hide()
            self.runner.rescan(self._collection, prune)

    def remove_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            confirm(self, "Remove documents",
                    f"Remove {len(ids):,} document{'s' if len(ids) != 1 else ''} from the "
                    "library? Your files on disk are not touched; you can add them again "
                    "later.", "Remove", lambda: self.remove_documents(ids))

    def read_again_selected(self) -> None:
        """Extract the selected documents' files again (unchanged files too)."""
        paths = [row.file_path for row in self.model.documents() if row.id in
                 set(self.selected_ids())]
        if paths and self._collection:
            self.message.hide()
            self.runner.ingest(paths, self._collection, force=True)

    def remove_documents(self, ids: list[int]) -> None:
        self._client.request("remove_documents", {"ids": ids}, on_done=self._after_change)

    def selected_ids(self) -> list[int]:
        return self.table.selected_ids()

    def new_collection(self) -> None:
        ask_text(self, "New collection",
                 "Name of the new collection (for example a case or a project):",
                 self._create_collection)

    def delete_collection(self) -> None:
        name = self._collection
        if name:
            confirm(self, "Delete collection",
                    f"Delete the collection “{name}” and its {self.document_count():,} "
                    "documents from the library? Your files on disk are not touched.",
                    "Delete", lambda: self._client.request(
                        "delete_collection", {"name": name}, on_done=self._after_change))

    # --- refreshing from the worker -----------------------------------------------------

    def show_collection(self, name: str) -> None:
        """Reload the collections and show ``name`` (once the worker lists it)."""
        self._want = name
        self.refresh()

    def refresh(self) -> None:
        """Reload the collections, then the documents of the current one."""
        self._refresh_serial += 1
        serial = self._refresh_serial
        self._client.request("collections", {},
                             on_done=lambda reply: self._got_collections(serial, reply))

    def refresh_documents(self) -> None:
        collection = self._collection
        if collection is None:
            self.model.set_documents([])
            self.loaded = True
            self.documents_changed.emit()
            return
        self._client.request("documents", {"collection": collection},
                             on_done=lambda reply: self._got_documents(collection, reply))

    def _got_collections(self, serial: int, reply: dict[str, Any]) -> None:
        if serial != self._refresh_serial:
            return
        if not reply.get("ok"):
            self._show_message(f"The library could not be read: {reply.get('error')}")
            return
        self._collections = list_of(Collection.from_json, reply.get("result"))
        names = [c.name for c in self._collections]
        # A collection being created or filled may not be listed yet by an earlier refresh:
        # keep wanting it until it appears.
        wanted = self._want if self._want in names else self._collection
        if self._want in names:
            self._want = None
        if wanted not in names:
            wanted = DEFAULT_COLLECTION if DEFAULT_COLLECTION in names else \
                (names[0] if names else None)
        palette = self.palette()
        collection_icon = icon("collection", mix(palette.color(QPalette.ColorRole.Text),
                                                 palette.color(QPalette.ColorRole.Base), 0.35))
        self.collection_list.blockSignals(True)
        self.collection_list.clear()
        for info in self._collections:
            name = info.name
            item = QListWidgetItem(collection_icon, name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(self._collection_text(info))
            self.collection_list.addItem(item)
            if name == wanted:
                self.collection_list.setCurrentItem(item, QItemSelectionModel.SelectionFlag.
                                                    ClearAndSelect)
        self.collection_list.blockSignals(False)
        self.collection_list.setVisible(len(names) > 1 or self._has_several_ever())
        changed = wanted != self._collection
        self._collection = wanted
        self._update_summary()
        if changed:
            # The rows and the message of the collection shown before are not this one's.
            self.model.set_documents([])
            self._drop_stale_message()
            self.collection_changed.emit(wanted or "")
            self.scope_changed.emit()
        self.refresh_documents()

    def _has_several_ever(self) -> bool:
        # One collection called "default" needs no list; any named collection shows it.
        return any(c.name != DEFAULT_COLLECTION for c in self._collections)

    def _got_documents(self, collection: str, reply: dict[str, Any]) -> None:
        if collection != self._collection:
            return
        if not reply.get("ok"):
            self._show_message(f"The documents could not be listed: {reply.get('error')}")
            return
        self.model.set_documents(list_of(Document.from_json, reply.get("result")))
        self.loaded = True
        self._update_summary()
        self.documents_changed.emit()

    def _collection_picked(self, current: QListWidgetItem | None, _previous: Any) -> None:
        name = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        if name == self._collection:
            return
        self._collection = name
        self.model.set_documents([])
        self._drop_stale_message()
        self._update_summary()
        self.collection_changed.emit(name or "")
        self.scope_changed.emit()
        self.refresh_documents()

    def _create_collection(self, name: str) -> None:
        name = name.strip()
        if not name:
            return
        self._want = name     # select it once the list comes back
        self._client.request("create_collection", {"name": name}, on_done=self._after_change)

    def _after_change(self, reply: dict[str, Any]) -> None:
        if not reply.get("ok"):
            self._want = None
            self._show_message(str(reply.get("error")))
        self.refresh()

    # --- ingest -------------------------------------------------------------------------

    def _ingest_started(self, collection: str) -> None:
        self.ingest_bar.begin(collection)
        if collection != self._collection:
            self._want = collection     # show where the files go
        self._update_actions()

    def _file_stored(self, collection: str) -> None:
        if collection in (self._collection, self._want) and not self._refresh_timer.isActive():
            # The first files show up at once; after that the table catches up every 1.5 s.
            self._refresh_timer.start(300 if not self.model.rowCount() else
                                      REFRESH_DURING_INGEST_MS)

    def _ingest_done(self, outcome: IngestOutcome) -> None:
        self._refresh_timer.stop()
        if not self.runner.running:
            self.ingest_bar.end()
        self._show_message(describe_result(outcome), about=outcome.collection)
        self._update_actions()
        if outcome.collection != self._collection:
            self._want = outcome.collection
        self.refresh()
        if outcome.locked and outcome.ok and not outcome.cancelled:
            self._ask_password(list(outcome.locked), retried=outcome.password_given)
        self.ingest_finished.emit(outcome)

    def _ask_password(self, paths: list[str], retried: bool) -> None:
        names = ", ".join(Path(p).name for p in paths[:3]) + ("…" if len(paths) > 3 else "")
        one = len(paths) == 1
        it = "it" if one else "them"
        first = (f"That password did not open {names}. Try again" if retried else
                 f"{names} {'is' if one else 'are'} password-protected. Enter the password")
        self.password_dialog = ask_text(
            self, "Password needed", f"{first} to add {it} (Cancel leaves {it} out):",
            lambda password: self.add_paths(paths, password=password), password=True)

    # --- views --------------------------------------------------------------------------

    def _update_views(self) -> None:
        has_docs = self.model.rowCount() > 0
        self.stack.setCurrentWidget(self.table if has_docs else self.empty)
        self.filter_box.setVisible(self.model.rowCount() > 12)
        self._update_actions()
        self._scope_changed(emit=False)

    def _update_actions(self) -> None:
        has_collection = self._collection is not None
        selected = bool(self.table.selectionModel().hasSelection())
        self.remove_action.setEnabled(selected)
        self.read_again_action.setEnabled(selected and not self.runner.running)
        self.rescan_action.setEnabled(has_collection and not self.runner.running)
        self.prune_action.setEnabled(has_collection and not self.runner.running)
        self.delete_collection_action.setEnabled(has_collection)

    def _update_summary(self) -> None:
        info = next((c for c in self._collections if c.name == self._collection), None)
        if info is None or self._collection is None:
            self.summary.setText("No documents yet")
        else:
            self.summary.setText(self._collection_text(info, named=True))

    def _collection_text(self, info: Collection, named: bool = False) -> str:
        docs = info.documents
        text = f"{docs:,} document{'s' if docs != 1 else ''} · {info.pages:,} pages"
        if self.details:
            text += f" · {info.tokens:,} tokens"
        return f"“{info.name}”: {text}" if named else text

    def readable_count(self) -> int:
        """Documents a question can read (failed and missing files are left out)."""
        return self.model.readable_count()

    def _scope_changed(self, emit: bool = True) -> None:
        checked = len(self.model.checked_ids())
        total = self.model.rowCount()
        readable = self.model.readable_count()
        unread = total - readable
        if checked:
            text = (f"Questions use the {checked:,} checked "
                    f"document{'s' if checked != 1 else ''}.")
        elif readable:
            text = (f"Questions use all {readable:,} readable "
                    f"document{'s' if readable != 1 else ''}; check some to narrow the "
                    "question down." if readable > 1 else
                    "Questions use the one readable document.")
        elif total:
            text = "None of these documents could be read, so there is nothing to ask about yet."
        else:
            text = ""
        if unread and not checked:
            text += (f" {unread:,} could not be read and {'is' if unread == 1 else 'are'} "
                     "left out (see Status).")
        self.scope_label.setText(text)
        self.scope_label.setVisible(bool(total))
        self.clear_checks_button.setVisible(bool(checked))
        if emit:
            self.scope_changed.emit()

    def _show_message(self, text: str, about: str | None = None) -> None:
        """A message about ``about`` (default: the collection shown now)."""
        self._message_about = about or self._collection
        self.message.setText(in_app(text))
        self.message.setVisible(bool(text))

    def _open_failed(self, what: str, path: str) -> None:
        missing = not Path(path).exists()
        why = ("it is no longer there (moved or deleted)" if missing else
               "no app on this computer is set up to open it")
        self._show_message(f"{what} could not be opened: {why}. It is at: {path}")

    def _drop_stale_message(self) -> None:
        if self._message_about != self._collection:
            self.message.hide()
            self.message.clear()

    def _collection_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction(self.new_collection_action)
        menu.addAction(self.delete_collection_action)
        menu.popup(self.collection_list.viewport().mapToGlobal(pos))
