"""The quick-add popup (Tab on the canvas): type to filter, Enter adds the layer."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from designer.core.catalog import library
from designer.ui.panels.library import ENTRY_ROLE, entry_matches


class QuickAddPopup(QFrame):
    """A small search list that emits ``chosen(entry)``."""

    chosen = Signal(object)  # LibraryEntry

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Add layer…")
        self.list = QListWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(260, 320)
        for entry in library():
            item = QListWidgetItem(f"{entry.label}   ({entry.category})")
            item.setData(ENTRY_ROLE, entry)
            item.setToolTip(entry.help)
            self.list.addItem(item)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self.accept_current)
        self.list.itemActivated.connect(lambda _item: self.accept_current())
        self.search.installEventFilter(self)

    def popup_at(self, global_pos: QPoint) -> None:
        """Show at a screen position with an empty search."""
        self.search.clear()
        self.filter("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def filter(self, text: str) -> None:
        """Show matching entries and select the first."""
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            hide = not entry_matches(item.data(ENTRY_ROLE), text)
            item.setHidden(hide)
            if not hide and first is None:
                first = item
        self.list.setCurrentItem(first)

    def accept_current(self) -> None:
        """Add the selected entry and close."""
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self.hide()
            self.chosen.emit(item.data(ENTRY_ROLE))

    def eventFilter(self, obj, event) -> bool:
        if (
            obj is self.search
            and isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up)
        ):
            self.list.keyPressEvent(event)
            return True
        return super().eventFilter(obj, event)
