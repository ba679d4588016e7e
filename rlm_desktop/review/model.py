"""A review as a Qt table model (documents by questions); answers come in batches, never a reset."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QGuiApplication

from rlm_desktop.review.cells import Cell, Column, Row, as_int
from rlm_desktop.review.words import (
    KIND_LABELS,
    NOT_RUN,
    STATUS_ORDER,
    status_tone,
    status_words,
)
from rlm_desktop.widgets.citation_marks import WARNING
from rlm_desktop.widgets.palette_tones import tint, tone
from rlm_desktop.widgets.safe_text import wrapped_tooltip

Index = QModelIndex | QPersistentModelIndex
STATUS_ROLE = Qt.ItemDataRole.UserRole + 1
REVIEWED_ROLE = Qt.ItemDataRole.UserRole + 2
FLAGGED_ROLE = Qt.ItemDataRole.UserRole + 3
FLUSH_MS = 100            # answers arriving within this are shown together


class ReviewModel(QAbstractTableModel):
    """Column 0 is the document; column n is the n-th question."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.review_id = ""
        self.columns: list[Column] = []
        self.rows: list[Row] = []
        self.cells: dict[tuple[int, int], Cell] = {}
        self._row_of: dict[int, int] = {}
        self._column_of: dict[int, int] = {}
        self._pending: list[tuple[dict[str, Any], bool]] = []
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(FLUSH_MS)
        self._flush.timeout.connect(self.flush)
        self.flushes = 0          # how many batches were shown (tests, benchmarks)
        self._colors: dict[tuple[str, float], Any] = {}     # tones, computed once each

    # --- loading ------------------------------------------------------------------------

    def set_table(self, review_id: str, columns: list[Column], rows: list[Row],
                  cells: list[dict[str, Any]]) -> None:
        """A whole review (opened, or created): the one full reset."""
        self.beginResetModel()
        self._colors.clear()           # the palette may have changed since
        self.review_id = review_id
        self.columns, self.rows = list(columns), list(rows)
        self._row_of = {row.id: n for n, row in enumerate(self.rows)}
        self._column_of = {column.id: n + 1 for n, column in enumerate(self.columns)}
        self.cells = {}
        self._pending.clear()
        for data in cells:
            self._store(data)
        self.endResetModel()

    def adopt(self, review_id: str, columns: list[Column]) -> bool:
        """A new review's table, just created from the one shown (same documents, its
        questions now with their ids): renamed in place, without a reset. False when the
        table shown is not that one."""
        if len(columns) != len(self.columns) or self.cells:
            return False
        self.review_id = review_id
        self.columns = list(columns)
        self._column_of = {column.id: n + 1 for n, column in enumerate(self.columns)}
        if self.columns:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 1, len(self.columns))
        return True

    def add_cell(self, data: dict[str, Any], streamed: bool = False) -> None:
        """An answer that just arrived (``streamed``: from a run, so without the person's
        marks): shown with the others of the next ~100 ms."""
        self._pending.append((data, streamed))
        if not self._flush.isActive():
            self._flush.start()

    def flush(self) -> None:
        """Show the answers that arrived, with one change signal for their rows and columns."""
        self._flush.stop()
        pending, self._pending = self._pending, []
        rows: list[int] = []
        columns: list[int] = []
        for data, streamed in pending:
            where = self._store(data, streamed)
            if where is not None:
                rows.append(where[0])
                columns.append(where[1])
        if rows:
            self.flushes += 1
            self.dataChanged.emit(self.index(min(rows), min(columns)),
                                  self.index(max(rows), max(columns)))

    def _store(self, data: dict[str, Any],
               streamed: bool = False) -> tuple[int, int] | None:
        if str(data.get("review_id") or self.review_id) != self.review_id:
            return None
        key = (as_int(data.get("doc_id")), as_int(data.get("column_id")))
        row, column = self._row_of.get(key[0]), self._column_of.get(key[1])
        if row is None or column is None:
            return None
        old = self.cells.get(key)
        if streamed and old is not None:     # a new answer keeps the flag and note, as stored
            data = {**data, "flagged": old.get("flagged"), "note": old.get("note")}
        self.cells[key] = Cell.from_json(data)
        return row, column

    def set_marks(self, data: dict[str, Any]) -> None:
        """A cell the person marked (the worker's copy of it)."""
        where = self._store(data)
        if where is not None:
            index = self.index(*where)
            self.dataChanged.emit(index, index)

    # --- reading ------------------------------------------------------------------------

    def cell_at(self, index: Index) -> tuple[Row, Column, Cell | None] | None:
        if not index.isValid() or index.column() == 0:
            return None
        row, column = self.rows[index.row()], self.columns[index.column() - 1]
        return row, column, self.cells.get((row.id, column.id))

    def index_of(self, doc_id: int, column_id: int) -> QModelIndex:
        row, column = self._row_of.get(doc_id), self._column_of.get(column_id)
        if row is None or column is None:
            return QModelIndex()
        return self.index(row, column)

    def count(self, status: str | None = None) -> int:
        if status is None:
            return len(self.rows) * len(self.columns)
        if status == NOT_RUN:
            return self.count() - len(self.cells)
        return sum(cell.status == status for cell in self.cells.values())

    def rowCount(self, parent: Index = QModelIndex()) -> int:   # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:   # noqa: B008
        return 0 if parent.isValid() else len(self.columns) + 1

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:     # the documents' titles stay in view
            if not 0 <= section < len(self.rows):
                return None
            row = self.rows[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return row.title
            if role == Qt.ItemDataRole.ToolTipRole:
                return wrapped_tooltip(f"{row.title}\n{row.path}" if row.path else row.title)
            return None
        if not 0 <= section <= len(self.columns):
            return None
        if section == 0:
            return "Document" if role == Qt.ItemDataRole.DisplayRole else None
        column = self.columns[section - 1]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.name
        if role == Qt.ItemDataRole.ToolTipRole:
            kind = KIND_LABELS.get(column.kind, column.kind)
            choices = f" ({', '.join(column.choices)})" if column.choices else ""
            return wrapped_tooltip(f"{column.question}\nAnswer: {kind}{choices}")
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if index.column() == 0:
            if role == Qt.ItemDataRole.DisplayRole:
                return row.title
            if role == Qt.ItemDataRole.ToolTipRole:
                return wrapped_tooltip(f"{row.title}\n{row.path}" if row.path else row.title)
            return None
        column = self.columns[index.column() - 1]
        cell = self.cells.get((row.id, column.id))
        status = cell.status if cell is not None else NOT_RUN
        if role == Qt.ItemDataRole.DisplayRole:
            if cell is None:
                return "Not run yet"
            flag = "⚑ " if cell.get("flagged") else ""
            return f"{flag}{cell.text}{'  ' + cell.marks if cell.marks else ''}"
        if role == STATUS_ROLE:
            return status
        if role == REVIEWED_ROLE:
            return bool(cell is not None and cell.get("reviewed"))
        if role == FLAGGED_ROLE:
            return bool(cell is not None and cell.get("flagged"))
        if role == Qt.ItemDataRole.ForegroundRole:
            if cell is not None and any(str(c.get("status")) in WARNING
                                        for c in cell.citations) and status == "answered":
                return self._color("warn")
            return None if status == "answered" else self._color(status_tone(status))
        if role == Qt.ItemDataRole.BackgroundRole and cell is not None:
            if cell.get("flagged"):
                return self._color("warn", 0.22)
            if cell.get("reviewed"):
                return self._color("calm", 0.16)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return wrapped_tooltip(_tooltip(row, column, cell))
        return None

    def _color(self, name: str, strength: float = 0.0) -> Any:
        """A tone's text colour (or, with ``strength``, its tint), computed once."""
        key = (name, strength)
        if key not in self._colors:
            palette = QGuiApplication.palette()
            self._colors[key] = tint(palette, name, strength) if strength else \
                tone(palette, name)
        return self._colors[key]

    def sort_key(self, row: int, column: int) -> tuple[Any, ...]:
        """How a cell sorts: answers by their typed value, then the rest by status."""
        if column == 0:
            return (0, self.rows[row].title.casefold())
        doc, question = self.rows[row], self.columns[column - 1]
        cell = self.cells.get((doc.id, question.id))
        if cell is None or cell.status != "answered":
            status = cell.status if cell is not None else NOT_RUN
            order = STATUS_ORDER.index(status) if status in STATUS_ORDER else 9
            return (1, order)
        return (0, *_typed_key(question.kind, cell.get("value"), cell.text))


def _typed_key(kind: str, value: Any, text: str) -> tuple[Any, ...]:
    if kind == "number" and isinstance(value, (int, float)):
        return (0, float(value), "")
    if kind == "money" and isinstance(value, dict):
        try:
            return (0, float(str(value.get("amount"))), str(value.get("currency") or ""))
        except ValueError:
            pass
    if kind == "date" and isinstance(value, str):
        try:
            return (0, float(dt.date.fromisoformat(value).toordinal()), "")
        except ValueError:
            pass
    if kind == "yesno" and isinstance(value, bool):
        return (0, 0.0 if value else 1.0, "")
    return (1, 0.0, text.casefold())


def _tooltip(row: Row, column: Column, cell: Cell | None) -> str:
    lines = [f"{row.title} — {column.question}"]
    if cell is None:
        lines.append("Not run yet")
        return "\n".join(lines)
    lines.append(status_words(cell.status))
    if cell.get("problem"):
        lines.append(str(cell.get("problem")))
    if cell.citations:
        lines.append(f"{len(cell.citations)} source{'s' if len(cell.citations) != 1 else ''}"
                     " — click the answer to see them")
    if cell.get("flagged"):
        lines.append("Flagged for a second look")
    if cell.get("reviewed"):
        lines.append("Reviewed")
    return "\n".join(lines)
