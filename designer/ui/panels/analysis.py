"""The Analysis dock: a table of layers (shapes with labels, learnables, cost, issues), sortable by
any column, with a bar behind each layer's MACs and activation memory, and the issues."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from designer.core.analysis import Issue, Report
from designer.core.cost import (
    NetworkCost,
    changed_layers,
    format_bytes,
    format_count,
    network_cost,
    optimizer_slots,
)
from designer.core.diagnostics import format_shape
from designer.core.graph import EventKind, GraphEvent
from designer.ui.document.document import Document
from designer.ui.panels.cost_bars import BAR_ROLE, CostBars

COLUMNS = ("Name", "Type", "Activations", "Learnables", "MACs", "Memory", "Issues")
# Where each column's text is in a row: its cells (name, type, activations, learnables, issues)
# for most, its cost (MACs text, memory text, then the numbers) for MACs and Memory.
CELL = {0: 0, 1: 1, 2: 2, 3: 3, 6: 4}
ISSUES, MACS, MEMORY = 6, 4, 5  # columns
NUMERIC = {3: 0, 4: 1, 5: 2}  # column -> place among the numbers of a row (after the two texts)
NODE_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 10  # what the filter box searches: name, type, issues
SORT_ROLE = Qt.ItemDataRole.UserRole + 11  # numbers for the numeric columns, text for the others
# A row: node id, cells, severity, cost (MACs text, memory text, learnables, MACs, memory).
Row = tuple[str, tuple[str, ...], str | None, tuple[str, str, int, int, int]]


class AnalysisModel(QAbstractTableModel):
    """One row per layer in network order. A report that follows the one shown (``since``)
    changes only the rows of the layers it names, and those edits renamed, retyped or froze:
    dataChanged for rows kept, rows inserted or removed at their place, one layout change when
    the order itself changed; a view keeps its selection and scroll position. A report that
    does not follow rebuilds the rows (``resets`` counts it). The cost (``cost``) is brought up
    to date with each report; the rows whose cost changed are among those it touches."""

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.rows: list[Row] = []
        self.cost: NetworkCost | None = None
        self.peaks = (0, 0)  # the largest MACs and activation memory of a layer: full bars
        self.resets = 0
        self._ids: list[str] = []  # the rows' node ids
        self._index: dict[str, int] = {}  # node id -> row
        self._shown: int | None = None  # serial of the report shown
        self._edited: set[str] = set()  # nodes whose name, type or state changed since
        document.graphChanged.connect(self._on_graph_event)

    def _on_graph_event(self, event: GraphEvent) -> None:
        if event.node is not None and event.kind not in (EventKind.MOVED, EventKind.WEIGHTS):
            self._edited.add(event.node)

    def refresh(self, report: Report) -> None:
        """Take the rows from a new analysis."""
        ids = report.order or list(report.nodes)
        edited, self._edited = self._edited, set()
        changed = report.changed if report.since == self._shown else None
        self._shown = report.serial
        before = self.cost
        self.cost = network_cost(
            self.document.graph, report, *self.batch(), previous=before, edited=edited
        )
        touched = self.cost.touched
        costly = touched if touched is not None else changed_layers(before, self.cost)
        layers = self.cost.layers.values()
        self.peaks = (
            max((c.macs or 0 for c in layers), default=0),
            max((c.activation_bytes or 0 for c in layers), default=0),
        )
        old = self._ids
        if changed is None:
            self._reset(report, ids)
        elif ids is old or ids == old or self._insert_rows(report, ids) or self._remove_rows(ids):
            self._update_rows(report, changed | edited | costly)
        elif not self._reorder(report, ids, changed | edited | costly):
            self._reset(report, ids)

    def batch(self) -> tuple[int, int]:
        """(batch size, optimizer slots) from the project's training options."""
        options = self.document.project.settings.training
        return options.mini_batch_size, optimizer_slots(options.solver, options.momentum)

    def _row(self, report: Report, nid: str) -> Row:
        node, info = self.document.graph.node(nid), report.nodes[nid]
        acts = (
            "; ".join(format_shape(s, lb) for s, lb in zip(info.shapes, info.labels, strict=False))
            or "—"
        )
        learn = f"{info.params:,}" + (" (frozen)" if not node.trainable and info.params else "")
        severity = (
            "error"
            if any(i.severity == "error" for i in info.issues)
            else ("warning" if info.issues else None)
        )
        issues = " ".join(i.message for i in info.issues)
        cost = self.cost.layers.get(nid) if self.cost is not None else None
        cells = (node.name, node.label, acts, learn, issues)
        if cost is None:
            return (nid, cells, severity, ("—", "—", info.params, -1, -1))
        macs, memory = cost.macs, cost.activation_bytes
        figures = (
            _count(macs),
            _bytes(memory),
            info.params,
            -1 if macs is None else macs,
            -1 if memory is None else memory,
        )
        return (nid, cells, severity, figures)

    def _known(self, report: Report, ids: list[str]) -> bool:
        graph = self.document.graph
        return all(nid in report.nodes and nid in graph for nid in ids)

    def _set_ids(self, ids: list[str]) -> None:
        self._ids = ids
        self._index = {nid: row for row, nid in enumerate(ids)}

    def _reset(self, report: Report, ids: list[str]) -> None:
        graph = self.document.graph
        ids = [nid for nid in ids if nid in report.nodes and nid in graph]
        self.beginResetModel()
        self.rows = [self._row(report, nid) for nid in ids]
        self._set_ids(ids)
        self.resets += 1
        self.endResetModel()

    def _update_rows(self, report: Report, ids: frozenset[str] | set[str]) -> None:
        """New cells for these layers' rows; dataChanged for each run of rows that changed."""
        changed = []
        for nid in ids:
            row = self._index.get(nid)
            if row is not None and nid in report.nodes and nid in self.document.graph:
                cells = self._row(report, nid)
                if cells != self.rows[row]:
                    self.rows[row] = cells
                    changed.append(row)
        changed.sort()
        last = len(COLUMNS) - 1  # every column: the cost cells may have changed too
        for first, end in _runs(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(end, last))

    def _insert_rows(self, report: Report, ids: list[str]) -> bool:
        """Put in the rows of layers new in ``ids``, when the others keep their order."""
        old = self._ids
        if len(ids) <= len(old):
            return False
        if ids[: len(old)] == old:  # added last: the common case, without a set
            rows = list(range(len(old), len(ids)))
        else:
            known = self._index
            rows = [row for row, nid in enumerate(ids) if nid not in known]
            if len(rows) != len(ids) - len(old) or [n for n in ids if n in known] != old:
                return False
        if not self._known(report, [ids[row] for row in rows]):
            return False
        for first, end in _runs(rows):  # in rising order: each run lands where it belongs
            self.beginInsertRows(QModelIndex(), first, end)
            self.rows[first:first] = [self._row(report, ids[row]) for row in range(first, end + 1)]
            self._ids = self._ids[:first] + ids[first : end + 1] + self._ids[first:]
            self.endInsertRows()
        if rows[0] == len(old):
            self._index.update((nid, row) for row, nid in enumerate(ids[len(old) :], len(old)))
            self._ids = ids
        else:
            self._set_ids(ids)
        return True

    def _reorder(self, report: Report, ids: list[str], dirty: frozenset[str] | set[str]) -> bool:
        """The rows in a new network order (layers may have come or gone as well): one
        layout change, the rows of unchanged layers kept, the selection carried over."""
        kept = {row[0]: row for row in self.rows}
        fresh = {nid for nid in ids if nid not in kept or nid in dirty}
        if not self._known(report, list(fresh)):
            return False
        self.layoutAboutToBeChanged.emit()
        self.rows = [self._row(report, nid) if nid in fresh else kept[nid] for nid in ids]
        before = self.persistentIndexList()
        old = self._ids
        self._set_ids(ids)
        after = []
        for index in before:
            row = self._index.get(old[index.row()], -1) if index.isValid() else -1
            after.append(self.index(row, index.column()) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()
        return True

    def _remove_rows(self, ids: list[str]) -> bool:
        """Take out the rows of layers no longer there, when that gives ``ids``."""
        keep = set(ids)
        rows = [row for row, nid in enumerate(self._ids) if nid not in keep]
        if not rows or len(self._ids) - len(rows) != len(ids):
            return False
        if [nid for nid in self._ids if nid in keep] != ids:
            return False
        for first, end in reversed(list(_runs(rows))):
            self.beginRemoveRows(QModelIndex(), first, end)
            del self.rows[first : end + 1]
            self._ids = self._ids[:first] + self._ids[end + 1 :]
            self.endRemoveRows()
        self._set_ids(ids)
        return True

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.InitialSortOrderRole:  # the first click: costliest first
            numeric = section in NUMERIC
            return Qt.SortOrder.DescendingOrder if numeric else Qt.SortOrder.AscendingOrder
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        nid, cells, severity, figures = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return figures[column - MACS] if column in (MACS, MEMORY) else cells[CELL[column]]
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (MACS, MEMORY):  # asked on hover: from the cost shown, no row kept
                cost = self.cost.layers.get(nid) if self.cost is not None else None
                return _tips(cost)[column - MACS] if cost is not None else ""
            return cells[CELL[column]]
        if role == NODE_ROLE:
            return nid
        if role == SORT_ROLE:
            place = NUMERIC.get(column)
            return figures[2 + place] if place is not None else cells[CELL[column]].lower()
        if role == BAR_ROLE:
            if column not in (MACS, MEMORY):
                return None
            value, peak = figures[3 + column - MACS], self.peaks[column - MACS]
            return value / peak if peak > 0 and value > 0 else 0.0
        if role == SEARCH_ROLE:
            return f"{cells[0]}\n{cells[1]}\n{cells[4]}"
        if role == Qt.ItemDataRole.ForegroundRole and severity and column == ISSUES:
            return QColor("#c62828" if severity == "error" else "#a66f00")
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def row_of(self, node_id: str) -> int:
        """The row showing ``node_id`` or -1."""
        return self._index.get(node_id, -1)


def _count(value: int | None) -> str:
    return "?" if value is None else (format_count(value) if value else "0")


def _bytes(value: int | None) -> str:
    return "?" if value is None else (format_bytes(value) if value else "0")


def _tips(cost: Any) -> tuple[str, str]:
    """The tooltips of a layer's MACs and memory cells."""
    macs = "unknown" if cost.macs is None else f"{cost.macs:,}"
    ops = "unknown" if cost.elementwise_ops is None else f"{cost.elementwise_ops:,}"
    field = cost.receptive_field
    seen = (
        f"; receptive field {'×'.join(map(str, field.size))} pixels, stride "
        f"{'×'.join(map(str, field.stride))}"
        if field is not None
        else ""
    )
    memory = "unknown" if cost.activation_bytes is None else f"{cost.activation_bytes:,} bytes"
    return (
        f"{macs} multiply-accumulates and {ops} element-wise operations per sample{seen}",
        f"outputs {memory} per sample; weights {cost.weight_bytes:,} bytes",
    )


def _runs(rows: list[int]) -> Iterator[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers in sorted ``rows``."""
    first = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i] != rows[i - 1] + 1:
            yield rows[first], rows[i - 1]
            first = i


class LayerFilter(QSortFilterProxyModel):
    """The rows whose layer name, type or issue text contain the filter text (any case), sorted
    by the column clicked (numbers as numbers) or, unsorted, in network order."""

    def __init__(self, model: AnalysisModel) -> None:
        super().__init__()
        self.setSourceModel(model)
        self.setFilterRole(SEARCH_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortRole(SORT_ROLE)


class AnalysisPanel(QWidget):
    """Table and issue list, live; emits ``nodeActivated(id)`` when a row or issue is clicked."""

    nodeActivated = Signal(str)

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.model = AnalysisModel(document)
        self.proxy = LayerFilter(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Unsorted (network order) at first; a click sorts, a third click unsorts again.
        header.setSortIndicatorClearable(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.bars = CostBars(self.table)
        for column in (MACS, MEMORY):
            self.table.setItemDelegateForColumn(column, self.bars)
        for col, width in enumerate((120, 120, 150, 110, 90, 90)):
            self.table.setColumnWidth(col, width)
        self.totals = QLabel()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter layers by name, type or issue")
        self.filter.setClearButtonEnabled(True)
        self.count = QLabel()  # "n of m layers"
        self.issues = QListWidget()
        self.issues.setWordWrap(True)  # long sentences wrap; the tooltip has them whole too
        self.issues.setResizeMode(QListView.ResizeMode.Adjust)
        self.issues.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.issues.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._issues_shown: list[Issue] | None = None
        self._keep: list[str] = []  # selected layers, while the table is rebuilt
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.filter, 1)
        row.addWidget(self.count)
        column.addLayout(row)
        column.addWidget(self.table)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.issues)
        split.setSizes([900, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.totals)
        layout.addWidget(split)
        self.table.clicked.connect(self._row_clicked)
        self.issues.itemClicked.connect(self._issue_clicked)
        self.filter.textChanged.connect(self.set_filter)
        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._restore_selection)
        for signal in (
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.modelReset,
            self.proxy.layoutChanged,
        ):
            signal.connect(self._show_count)
        self._show_count()
        document.analysed.connect(self.refresh)
        document.analysed.connect(self.show_data_fit)  # after refresh: its lines come last
        document.settingsChanged.connect(self.show_data_fit)
        document.settingsChanged.connect(self._new_batch)
        if document.report is not None:
            self.refresh(document.report)

    def refresh(self, report: Report) -> None:
        """Show a new analysis (the issue list is rebuilt only when its issues changed)."""
        peaks = self.model.peaks
        self.model.refresh(report)
        if peaks != self.model.peaks:  # the full bar stands for another value: repaint them
            self.table.viewport().update()
        self._show_totals(report)
        shown = self._issues_shown
        if shown is not None and (report.issues is shown or report.issues == shown):
            return
        self._issues_shown = report.issues
        self.issues.clear()
        for issue in report.issues:
            item = QListWidgetItem(("⛔ " if issue.severity == "error" else "⚠ ") + issue.message)
            item.setData(NODE_ROLE, issue.node)
            item.setToolTip(issue.message)
            item.setForeground(QColor("#c62828" if issue.severity == "error" else "#8a5a00"))
            self.issues.addItem(item)

    def _show_totals(self, report: Report) -> None:
        cost = self.model.cost
        text = (
            f"{len(self.document.graph)} layers · {report.total_params:,} parameters "
            f"({report.trainable_params:,} trainable) · {len(report.errors)} errors · "
            f"{len(report.warnings)} warnings"
        )
        if cost is not None and cost.layers:
            text += (
                f" · {format_count(cost.total_macs)} MACs · weights "
                f"{format_bytes(cost.weight_bytes)} · peak activations "
                f"{format_bytes(cost.peak_activation_bytes)} (batch {cost.batch_size})"
            )
            self.totals.setToolTip(
                f"Per sample: {cost.total_macs:,} multiply-accumulates and "
                f"{cost.total_elementwise_ops:,} element-wise operations. Training memory at "
                f"batch size {cost.batch_size}: about {format_bytes(cost.training_memory_bytes)} "
                "(weights, gradients, optimizer state and the activations kept for backprop)."
                + (f" {len(cost.uncounted)} layers not counted." if cost.uncounted else "")
            )
        self.totals.setText(text)

    def _new_batch(self, *_settings: Any) -> None:
        """The training options changed: the totals for their batch size and optimizer."""
        cost, report = self.model.cost, self.document.report
        if cost is None or report is None:
            return
        batch = self.model.batch()
        if (cost.batch_size, cost.optimizer_slots) != batch:
            self.model.cost = cost.with_batch(*batch)
            self._show_totals(report)

    def set_filter(self, text: str) -> None:
        """Show only the layers whose name, type or issues contain ``text`` (any case)."""
        if self.filter.text() != text:
            self.filter.setText(text)  # comes back here through textChanged
            return
        self.proxy.setFilterFixedString(text.strip())
        self._show_count()

    def _show_count(self, *_args: Any) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        word = "layer" if total == 1 else "layers"
        self.count.setText(f"{shown} of {total} {word}" if self.filter.text().strip() else "")

    def selected_ids(self) -> list[str]:
        """The layers of the rows selected in the table."""
        rows = self.table.selectionModel().selectedRows()
        return [index.data(NODE_ROLE) for index in rows]

    def _remember_selection(self) -> None:
        self._keep = self.selected_ids()

    def _restore_selection(self) -> None:
        keep, self._keep = self._keep, []
        selection = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for nid in keep:
            row = self.model.row_of(nid)
            index = self.proxy.mapFromSource(self.model.index(row, 0)) if row >= 0 else None
            if index is not None and index.isValid():
                selection.select(index, flags)

    def _row_clicked(self, index: QModelIndex) -> None:
        self.nodeActivated.emit(index.data(NODE_ROLE))

    def show_data_fit(self, *_changed: Any) -> None:
        """After the layers' issues, the warnings where the project's data and network disagree
        (:mod:`designer.app.consistency`): again after every analysis and settings change."""
        from designer.app.consistency import data_network_issues
        from designer.ui.canvas.style import issue_mark

        fit_role = NODE_ROLE + 1  # the lines this method adds (the last ones), by issue code
        last = self.issues.count() - 1
        while last >= 0 and self.issues.item(last).data(fit_role):
            self.issues.takeItem(last)
            last -= 1
        report = self.document.current_report()
        for issue in data_network_issues(self.document.project, report) if report else []:
            item = QListWidgetItem(f"{issue_mark(issue.severity)} {issue.message}")
            item.setData(NODE_ROLE, issue.node)
            item.setData(fit_role, issue.code)
            item.setToolTip(issue.message)
            item.setForeground(QColor("#8a5a00"))
            self.issues.addItem(item)

    def _issue_clicked(self, item: QListWidgetItem) -> None:
        node = item.data(NODE_ROLE)
        if node:
            self.nodeActivated.emit(node)
