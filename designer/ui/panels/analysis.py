"""The Analysis dock: a table of layers (shapes with labels, learnables, issues) and the issues."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from designer.core.analysis import Report
from designer.core.diagnostics import format_shape
from designer.ui.document.document import Document

COLUMNS = ("Name", "Type", "Activations", "Learnables", "Issues")
NODE_ROLE = Qt.ItemDataRole.UserRole + 2


class AnalysisModel(QAbstractTableModel):
    """One row per layer in network order."""

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.rows: list[tuple[str, tuple[str, ...], str | None]] = []  # (id, cells, severity)

    def refresh(self, report: Report) -> None:
        """Take the rows from a new analysis."""
        graph = self.document.graph
        rows = []
        try:
            order = graph.topological_order()
        except Exception:
            order = [n.id for n in graph.nodes]
        for nid in order:
            node, info = graph.node(nid), report.nodes.get(nid)
            if info is None:
                continue
            acts = (
                "; ".join(
                    format_shape(s, lb) for s, lb in zip(info.shapes, info.labels, strict=False)
                )
                or "—"
            )
            learn = f"{info.params:,}" + (" (frozen)" if not node.trainable and info.params else "")
            severity = (
                "error"
                if any(i.severity == "error" for i in info.issues)
                else ("warning" if info.issues else None)
            )
            issues = " ".join(i.message for i in info.issues)
            rows.append((nid, (node.name, node.label, acts, learn, issues), severity))
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        nid, cells, severity = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return cells[index.column()]
        if role == NODE_ROLE:
            return nid
        if role == Qt.ItemDataRole.ForegroundRole and severity and index.column() == 4:
            return QColor("#c62828" if severity == "error" else "#a66f00")
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 3:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def row_of(self, node_id: str) -> int:
        """The row showing ``node_id`` or -1."""
        return next((i for i, r in enumerate(self.rows) if r[0] == node_id), -1)


class AnalysisPanel(QWidget):
    """Table and issue list, live; emits ``nodeActivated(id)`` when a row or issue is clicked."""

    nodeActivated = Signal(str)

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.model = AnalysisModel(document)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((120, 120, 150, 110)):
            self.table.setColumnWidth(col, width)
        self.totals = QLabel()
        self.issues = QListWidget()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.issues)
        split.setSizes([900, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.totals)
        layout.addWidget(split)
        self.table.clicked.connect(self._row_clicked)
        self.issues.itemClicked.connect(self._issue_clicked)
        document.analysed.connect(self.refresh)
        if document.report is not None:
            self.refresh(document.report)

    def refresh(self, report: Report) -> None:
        """Show a new analysis."""
        self.model.refresh(report)
        self.totals.setText(
            f"{len(self.document.graph)} layers · {report.total_params:,} parameters "
            f"({report.trainable_params:,} trainable) · {len(report.errors)} errors · "
            f"{len(report.warnings)} warnings"
        )
        self.issues.clear()
        for issue in report.issues:
            item = QListWidgetItem(("⛔ " if issue.severity == "error" else "⚠ ") + issue.message)
            item.setData(NODE_ROLE, issue.node)
            item.setForeground(QColor("#c62828" if issue.severity == "error" else "#8a5a00"))
            self.issues.addItem(item)

    def _row_clicked(self, index: QModelIndex) -> None:
        self.nodeActivated.emit(self.model.data(index, NODE_ROLE))

    def _issue_clicked(self, item: QListWidgetItem) -> None:
        node = item.data(NODE_ROLE)
        if node:
            self.nodeActivated.emit(node)
