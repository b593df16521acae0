"""The trials table of the Experiment Manager: a Qt model over a study's trial records,
sorted by the values (numbers as numbers) and filtered by text and by state."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from designer.app.experiment_table import trial_table
from designer.training.study import TrialRecord

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_COLOURS = {
    "COMPLETE": "#1b7f2a",
    "PRUNED": "#8d6e00",
    "FAIL": "#c62828",
    "RUNNING": "#1565c0",
    "WAITING": "#666666",
}
Index = QModelIndex | QPersistentModelIndex
MISSING = 2  # the sort rank of an empty cell


class TrialsModel(QAbstractTableModel):
    """One row per trial: trial, state, value, seconds, epochs, parameters, metrics, error."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[TrialRecord] = []
        self.columns: list[str] = []
        self.rows: list[list[Any]] = []

    def set_records(self, records: list[TrialRecord]) -> None:
        """Show ``records`` (the whole table is replaced)."""
        table = trial_table(records)
        self.beginResetModel()
        self.records, self.columns, self.rows = list(records), table.columns, table.rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return column_title(self.columns[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self.rows[index.row()][index.column()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(value)
        if role == SORT_ROLE:
            return _sort_key(value)
        if role == Qt.ItemDataRole.ToolTipRole and column == "error" and value:
            return str(value)
        if role == Qt.ItemDataRole.ForegroundRole and column == "state":
            return QColor(STATE_COLOURS.get(str(value), "#000000"))
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def record(self, row: int) -> TrialRecord:
        """The trial of a (source) row."""
        return self.records[row]


class TrialsFilter(QSortFilterProxyModel):
    """Sorts by value and keeps the rows whose text matches and whose state is chosen."""

    def __init__(self, source: TrialsModel) -> None:
        super().__init__()
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.state = ""  # "" shows every state

    def set_state(self, state: str) -> None:
        """Show only trials in ``state`` (COMPLETE, ...; "" for all)."""
        self.beginFilterChange()
        self.state = state
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, TrialsModel)
        if self.state and model.record(source_row).state != self.state:
            return False
        return super().filterAcceptsRow(source_row, source_parent)

    def lessThan(self, left: Index, right: Index) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        a_missing, b_missing = a[0] == MISSING, b[0] == MISSING
        if a_missing != b_missing:  # blanks last, in either order
            return a_missing == (self.sortOrder() == Qt.SortOrder.DescendingOrder)
        return bool(a < b)

    def visible_records(self) -> list[TrialRecord]:
        """The trials shown, in the order shown."""
        model = self.sourceModel()
        assert isinstance(model, TrialsModel)
        return [
            model.record(self.mapToSource(self.index(r, 0)).row()) for r in range(self.rowCount())
        ]


def column_title(column: str) -> str:
    """A short title of a column or an experiment target: ``initial_learn_rate``,
    ``drop.rate`` (the section prefix left out)."""
    for prefix in ("training.", "augmentation.", "layer."):
        if column.startswith(prefix):
            return column.removeprefix(prefix)
    return column


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    """Numbers before words, then missing values, so mixed columns still sort."""
    if value is None or value == "":
        return (MISSING, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))
