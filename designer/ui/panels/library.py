"""The Layer Library dock: categories, a search box that filters as you type, drag to canvas."""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.core.catalog import LibraryEntry, library
from designer.core.search import match_score
from designer.ui.canvas.items import category_color
from designer.ui.canvas.view import LAYER_MIME

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


def entry_score(entry: LibraryEntry, text: str) -> float:
    """How well ``text`` finds the entry (0: not at all); see designer.core.search."""
    return match_score(text, [entry.label, entry.type_name], f"{entry.category} {entry.help}")


def entry_matches(entry: LibraryEntry, text: str) -> bool:
    """True when every word of ``text`` matches the entry's name (also abbreviated or with a
    small typo), category or help."""
    return entry_score(entry, text) > 0


def entry_mime(entry: LibraryEntry) -> QMimeData:
    """Drag data for a library entry."""
    mime = QMimeData()
    payload = {"type": entry.type_name, "preset": entry.preset}
    mime.setData(LAYER_MIME, json.dumps(payload).encode())
    mime.setText(entry.label)
    return mime


class LibraryTree(QTreeWidget):
    """The tree of categories and layers; starts drags with the layer's type and preset."""

    def __init__(self) -> None:
        super().__init__()
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)

    def startDrag(self, actions) -> None:
        item = self.currentItem()
        entry = item.data(0, ENTRY_ROLE) if item else None
        if entry is None:
            return
        drag = QDrag(self)
        drag.setMimeData(entry_mime(entry))
        drag.exec(Qt.DropAction.CopyAction)


class LibraryPanel(QWidget):
    """Search box plus tree; emits ``activated`` on double-click (add at the view centre)."""

    activated = Signal(object)  # LibraryEntry

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.tree = LibraryTree()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._items: list[QTreeWidgetItem] = []
        self._populate()
        self.search.textChanged.connect(self.filter)
        self.tree.itemDoubleClicked.connect(self._on_double_click)

    def _populate(self) -> None:
        groups: dict[str, QTreeWidgetItem] = {}
        for entry in library():
            group = groups.get(entry.category)
            if group is None:
                group = QTreeWidgetItem([entry.category])
                group.setForeground(0, category_color(entry.category))
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                self.tree.addTopLevelItem(group)
                groups[entry.category] = group
            item = QTreeWidgetItem([entry.label])
            item.setData(0, ENTRY_ROLE, entry)
            item.setToolTip(0, f"{entry.type_name}: {entry.help}")
            group.addChild(item)
            self._items.append(item)
        self.tree.expandAll()

    def filter(self, text: str) -> None:
        """Show only the layers matching ``text`` (and their categories)."""
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            shown = 0
            for j in range(group.childCount()):
                child = group.child(j)
                hide = not entry_matches(child.data(0, ENTRY_ROLE), text)
                child.setHidden(hide)
                shown += not hide
            group.setHidden(shown == 0)
            group.setExpanded(True)

    def visible_labels(self) -> list[str]:
        """Labels of the layers currently shown (for tests and the quick-add popup)."""
        return [
            item.text(0)
            for item in self._items
            if not item.isHidden() and not item.parent().isHidden()
        ]

    def item_for(self, label: str) -> QTreeWidgetItem | None:
        """The tree item of a library label."""
        return next((item for item in self._items if item.text(0) == label), None)

    def _on_double_click(self, item: QTreeWidgetItem) -> None:
        entry = item.data(0, ENTRY_ROLE)
        if entry is not None:
            self.activated.emit(entry)
