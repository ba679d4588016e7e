"""Settings page "Prices": the built-in price table, the person's own prices, and unknown ones."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.providers.prices import Price, PriceTable
from rlm_desktop.replies import PriceTables
from rlm_desktop.settings.widgets import Notice, hint_label

Index = QModelIndex | QPersistentModelIndex
PRICE_FIELDS = ("input", "output", "cached_input")
HEADERS = ("Model", "Input", "Output", "Cached input", "Where the price comes from")
UNKNOWN = "unknown"


@dataclass
class PriceRow:
    model: str
    values: dict[str, float | None]  # input, output, cached_input in USD per 1M tokens
    builtin: dict[str, float | None] | None  # the shipped price, if any
    mine: bool  # the person set this price (an override)
    added: bool = False  # a row the person added; its name can be edited


def parse_price(text: str) -> float | None:
    """'1.25', '$1.25' -> 1.25; '' or 'unknown' -> None; anything else raises ValueError."""
    cleaned = text.strip().removeprefix("$").strip()
    if not cleaned or cleaned.casefold() == UNKNOWN:
        return None
    value = float(cleaned)
    if not math.isfinite(value) or value < 0:
        raise ValueError(text)
    return value


def _entry(data: Any) -> dict[str, float | None]:
    data = data if isinstance(data, dict) else {}
    return {name: (float(data[name]) if isinstance(data.get(name), (int, float)) else None)
            for name in PRICE_FIELDS}


def _is_model(name: str, data: Any) -> bool:
    return isinstance(data, dict) and not name.startswith("_") and name != "as_of"


class PriceModel(QAbstractTableModel):
    """Rows of prices; editing a built-in price makes it the person's own."""

    rejected = Signal(str)  # why a typed value was not taken

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[PriceRow] = []

    def load(self, builtin: dict[str, Any], overrides: dict[str, Any]) -> None:
        self.beginResetModel()
        rows = {name: PriceRow(name, _entry(data), _entry(data), False)
                for name, data in builtin.items() if _is_model(name, data)}
        for name, data in overrides.items():
            if not _is_model(name, data):
                continue
            base = rows.get(name)
            rows[name] = PriceRow(name, _entry(data), base.builtin if base else None, True)
        self.rows = sorted(rows.values(), key=lambda r: r.model.casefold())
        self.endResetModel()

    def overrides(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for row in self.rows:
            if row.mine:
                out[row.model] = {k: v for k, v in row.values.items() if v is not None}
        return out

    def table(self) -> PriceTable:
        """What the engine would look prices up in (complete rows only)."""
        return PriceTable({r.model: Price(r.values["input"], r.values["output"],
                                          r.values["cached_input"])
                           for r in self.rows if r.values["input"] is not None
                           and r.values["output"] is not None})

    # --- Qt model ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return "US dollars per million tokens" if 1 <= section <= 3 else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        value = row.values[PRICE_FIELDS[column - 1]] if 1 <= column <= 3 else None
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return row.model
            if column == 4:
                return self._source(row)
            if value is None:
                return "same as input" if column == 3 and row.values["input"] is not None \
                    else UNKNOWN
            return f"${value:,.4g}" if value < 1000 else f"${value:,.0f}"
        if role == Qt.ItemDataRole.EditRole:
            return row.model if column == 0 else ("" if value is None else f"{value:g}")
        if role == Qt.ItemDataRole.ForegroundRole and 1 <= column <= 4 and (
                value is None or column == 4):
            return QPalette().brush(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.FontRole and row.mine:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and 1 <= column <= 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{HEADERS[column]}: {self.data(index)}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and (1 <= index.column() <= 3
                                or (index.column() == 0 and self.rows[index.row()].added)):
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        row, column = self.rows[index.row()], index.column()
        text = str(value)
        if column == 0:
            name = text.strip()
            if not name or any(r.model == name for r in self.rows if r is not row):
                self.rejected.emit(f"“{name}” is empty or already in the table; "
                                   "type another model name.")
                return False
            row.model = name
        elif 1 <= column <= 3:
            try:
                price = parse_price(text)
            except ValueError:
                self.rejected.emit(f"“{text}” is not a price. Type a number such as 1.25 "
                                   "(US dollars per million tokens), or leave it empty.")
                return False
            if price == row.values[PRICE_FIELDS[column - 1]]:
                return True
            row.values[PRICE_FIELDS[column - 1]] = price
            row.mine = True
        else:
            return False
        left, right = self.index(index.row(), 0), self.index(index.row(), len(HEADERS) - 1)
        self.dataChanged.emit(left, right)
        return True

    def add(self, name: str) -> int:
        position = len(self.rows)
        self.beginInsertRows(QModelIndex(), position, position)
        self.rows.append(PriceRow(name, _entry({}), None, True, added=True))
        self.endInsertRows()
        return position

    def forget(self, position: int) -> None:
        """Drop the person's own price: back to the built-in one, or remove the row."""
        row = self.rows[position]
        if row.builtin is None:
            self.beginRemoveRows(QModelIndex(), position, position)
            del self.rows[position]
            self.endRemoveRows()
            return
        row.values, row.mine = dict(row.builtin), False
        self.dataChanged.emit(self.index(position, 0), self.index(position, len(HEADERS) - 1))

    @staticmethod
    def _source(row: PriceRow) -> str:
        if row.mine:
            return "Your price (replaces the built-in one)" if row.builtin else "Your price"
        return "Built-in"


class PricesPage(QWidget):
    """The price table: search, edit, add, and what is unknown for the chosen models."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Prices")
        self.loaded: dict[str, dict[str, float]] = {}
        self.models_in_use: list[tuple[str, str]] = []  # (which, model name)
        self.model = PriceModel(self)
        self.model.rejected.connect(lambda text: self.notice.show_message("error", text))
        self.model.dataChanged.connect(self._update_unknown)
        self.model.rowsRemoved.connect(self._update_unknown)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(0)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        intro = hint_label("Prices are in US dollars per million tokens and are used to show "
                           "what each question costs. Double-click a price to change it. "
                           "Your own prices are shown in bold.", self)
        self.unknown = Notice(self, name="Unknown prices")
        self.notice: Notice = Notice(self, name="Prices status")
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find a model")
        self.search.setAccessibleName("Find a model in the price table")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.add_button = QPushButton("Add a model", self)
        self.add_button.setAccessibleName("Add a price for a model")
        self.add_button.clicked.connect(lambda: self.add_model())
        self.forget_button = QPushButton("Use built-in price", self)
        self.forget_button.setAccessibleName("Remove my price for the selected model")
        self.forget_button.clicked.connect(self.forget_selected)
        self.view = QTableView(self)
        self.view.setModel(self.proxy)
        self.view.setAccessibleName("Price table")
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.view.selectionModel().currentRowChanged.connect(self._selection_changed)

        tools = QHBoxLayout()
        tools.addWidget(self.search, 1)
        tools.addWidget(self.add_button)
        tools.addWidget(self.forget_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(intro)
        layout.addWidget(self.unknown)
        layout.addLayout(tools)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.notice)
        self._selection_changed()

    def load(self, prices: PriceTables) -> None:
        self.model.load(prices.builtin, prices.overrides)
        self.loaded = self.model.overrides()
        self._update_unknown()

    def changed(self) -> bool:
        return self.model.overrides() != self.loaded

    def overrides(self) -> dict[str, dict[str, float]]:
        return self.model.overrides()

    def problems(self) -> list[tuple[str, QWidget]]:
        for row in self.model.rows:
            if row.mine and (row.values["input"] is None or row.values["output"] is None):
                return [(f"Prices: give both the input and the output price for “{row.model}”, "
                         "or remove it with “Use built-in price”.", self.view)]
        return []

    def set_models_in_use(self, models: list[tuple[str, str]]) -> None:
        self.models_in_use = [(which, name) for which, name in models if name]
        self._update_unknown()

    def add_model(self, name: str = "") -> None:
        """Add a row (named after the first model with an unknown price) and edit it."""
        existing = {r.model for r in self.model.rows}
        missing = [m for _, m in self.models_in_use if self.model.table().lookup(m) is None
                   and m not in existing]
        name = name or (missing[0] if missing else "")
        if not name or name in existing:
            base, number = name or "new-model", 2
            name = base
            while name in existing:
                name, number = f"{base}-{number}", number + 1
        position = self.model.add(name)
        self.search.clear()
        column = 1 if name in {m for _, m in self.models_in_use} else 0
        index = self.proxy.mapFromSource(self.model.index(position, column))
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        self.view.edit(index)
        self._update_unknown()

    def forget_selected(self) -> None:
        index = self.proxy.mapToSource(self.view.currentIndex())
        if index.isValid():
            self.model.forget(index.row())
            self._selection_changed()

    def _selection_changed(self) -> None:
        index = self.proxy.mapToSource(self.view.currentIndex())
        row = self.model.rows[index.row()] if index.isValid() else None
        self.forget_button.setEnabled(bool(row and row.mine))
        self.forget_button.setText("Remove" if row and row.builtin is None
                                   else "Use built-in price")

    def _update_unknown(self) -> None:
        table = self.model.table()
        missing = [(which, name) for which, name in self.models_in_use
                   if table.lookup(name) is None]
        if not missing:
            self.unknown.clear()
            return
        names = " and ".join(f"“{name}” ({which})" for which, name in missing)
        self.unknown.show_message(
            "warning", f"No price is known for {names}. Its cost will show as unknown, not "
            "$0, and a spending limit cannot be used with it. Press “Add a model” to enter "
            "its price (a model on your own computer is free: enter 0).")
