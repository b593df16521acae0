"""The quick-add popup (Tab on the canvas): type to filter, Enter adds the layer."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.core.catalog import library
from designer.ui.panels.library import ENTRY_ROLE, entry_score


class QuickAddPopup(QFrame):
    """A small search list that emits ``chosen(entry)``; the best matches come first."""

    chosen = Signal(object)  # LibraryEntry

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Add layer… (name, abbreviation, what it does)")
        self.list = QListWidget()
        self.no_match = QLabel("")
        self.no_match.setWordWrap(True)
        self.no_match.setStyleSheet("color: #8a5a00;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.no_match)
        layout.addWidget(self.list)
        self.resize(300, 340)
        self.entries = library()
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
        """List the matching entries, best first, and select the first; say when none match."""
        scored = [(entry_score(e, text), i, e) for i, e in enumerate(self.entries)]
        matches = [e for score, _i, e in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]
        self.list.clear()
        for entry in matches:
            item = QListWidgetItem(f"{entry.label}   ({entry.category})")
            item.setData(ENTRY_ROLE, entry)
            item.setToolTip(entry.help)
            self.list.addItem(item)
        self.list.setCurrentRow(0 if matches else -1)
        self.no_match.setText("" if matches else f"No layer matches “{text}”.")
        self.no_match.setVisible(not matches)

    def labels(self) -> list[str]:
        """The labels listed, in order."""
        return [self.list.item(i).data(ENTRY_ROLE).label for i in range(self.list.count())]

    def accept_current(self) -> None:
        """Add the selected entry and close."""
        item = self.list.currentItem()
        if item is not None:
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
