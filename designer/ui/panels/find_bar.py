"""The find bar (Edit > Find..., Ctrl+F): find a layer on the canvas by its name or type.

It floats over the canvas' top right corner: a search field, previous and next buttons and
"3 of 12". Enter goes to the next match, Shift+Enter to the previous one, Esc closes it; each
match is selected (Properties shows it) and centred, zoomed in to readable text if the view is
far out. Matching is the quick-add's (:mod:`designer.core.search`) on the layers' names and
types.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QStyle,
    QToolButton,
)

from designer.core.graph import LayerGraph
from designer.core.search import normalise, word_score
from designer.ui.canvas.view import GraphView

MARGIN = 8  # pixels between the bar and the canvas' edges
STRONG = 7.0  # a word's score from a prefix, a part or the initials of a name (not a typo)


def find_layers(graph: LayerGraph, text: str) -> list[str]:
    """Ids of the layers whose name or type matches ``text``: a layer named exactly so first,
    then the others in network order. Loose matches (letters in order, a typo) count only
    when nothing matches outright, so "conv" finds the convolutions and not "concatenate"."""
    words = text.split()
    if not words:
        return []
    try:
        order = graph.topological_order()
    except Exception:  # a cycle: the order the layers were added in
        order = [n.id for n in graph.nodes]
    exact, strong, loose = [], [], []
    wanted = normalise(text)
    for node_id in order:
        node = graph.node(node_id)
        names = [node.name, node.type, node.label]
        scores = [word_score(w, names, "") for w in words]
        if min(scores) == 0.0:
            continue
        if normalise(node.name) == wanted:
            exact.append(node_id)
        elif min(scores) >= STRONG:
            strong.append(node_id)
        else:
            loose.append(node_id)
    return exact + strong if exact or strong else loose


class FindBar(QFrame):
    """The find bar of a canvas view; ``select(ids)`` selects blocks (the main window's)."""

    def __init__(self, view: GraphView, select: Callable[[list[str]], Any]) -> None:
        super().__init__(view)  # a child of the view (not its viewport): scrolling leaves it
        self.view, self._select = view, select
        self.matches: list[str] = []
        self.current = -1  # index into matches of the layer shown
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.field = QLineEdit()
        self.field.setPlaceholderText("Find layer (name or type)")
        self.field.setClearButtonEnabled(True)
        self.field.setMinimumWidth(200)
        self.count = QLabel("")
        self.count.setMinimumWidth(70)
        self.previous_button = self._button(Qt.ArrowType.UpArrow, "Previous match (Shift+Enter)")
        self.next_button = self._button(Qt.ArrowType.DownArrow, "Next match (Enter)")
        self.close_button = QToolButton()
        self.close_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton)
        )
        self.close_button.setToolTip("Close (Esc)")
        self.close_button.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 4, 4)
        layout.setSpacing(4)
        for widget in (
            self.field,
            self.count,
            self.previous_button,
            self.next_button,
            self.close_button,
        ):
            layout.addWidget(widget)
        self.field.textChanged.connect(self.search)
        self.previous_button.clicked.connect(self.find_previous)
        self.next_button.clicked.connect(self.find_next)
        self.close_button.clicked.connect(self.close_bar)
        self.field.installEventFilter(self)
        view.installEventFilter(self)
        self.hide()

    @staticmethod
    def _button(arrow: Qt.ArrowType, tip: str) -> QToolButton:
        button = QToolButton()
        button.setArrowType(arrow)  # drawn by the style: no glyph a font could lack
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button

    @property
    def graph(self) -> LayerGraph:
        """The network searched."""
        return self.view.scene().document.graph

    # ------------------------------------------------------------------ opening and closing
    def open(self) -> None:
        """Show the bar with its text selected and the cursor in it (Ctrl+F)."""
        self.show()
        self.raise_()
        self._place()
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()
        if self.field.text():
            self._refresh()

    def close_bar(self) -> None:
        """Hide the bar (Esc); the canvas takes the keyboard again."""
        self.hide()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    def _place(self) -> None:
        """The canvas' top right corner, clear of its scroll bar."""
        view = self.view
        size = self.sizeHint()
        bar = view.verticalScrollBar()
        right = view.width() - view.frameWidth() - (bar.width() if bar.isVisible() else 0)
        x = max(MARGIN, right - size.width() - MARGIN)
        self.setGeometry(x, view.frameWidth() + MARGIN, size.width(), size.height())

    # ------------------------------------------------------------------ finding
    def search(self, text: str) -> None:
        """Find the layers matching ``text`` and go to the first (as the user types)."""
        self.matches = find_layers(self.graph, text)
        self.current = -1
        if self.matches:
            self._go(0)
        else:
            self._show_count()

    def find_next(self) -> None:
        """Go to the next match (after the last: the first)."""
        self._step(1)

    def find_previous(self) -> None:
        """Go to the previous match (before the first: the last)."""
        self._step(-1)

    def _refresh(self) -> None:
        """Match again (the network may have changed), staying on the layer shown."""
        shown = self.matches[self.current] if 0 <= self.current < len(self.matches) else None
        self.matches = find_layers(self.graph, self.field.text())
        self.current = self.matches.index(shown) if shown in self.matches else -1
        self._show_count()

    def _step(self, step: int) -> None:
        self._refresh()
        if not self.matches:
            return
        if self.current < 0:
            self._go(0 if step > 0 else len(self.matches) - 1)
        else:
            self._go((self.current + step) % len(self.matches))

    def _go(self, index: int) -> None:
        self.current = index
        node_id = self.matches[index]
        self._select([node_id])
        self.view.center_on_node(node_id, readable=True)
        self._show_count()

    def _show_count(self) -> None:
        if not self.field.text().split():
            text = ""
        elif not self.matches:
            text = "no match"
        elif self.current < 0:  # the layer shown no longer matches
            text = f"{len(self.matches)} found"
        else:
            text = f"{self.current + 1} of {len(self.matches)}"
        self.count.setText(text)
        self.count.setStyleSheet("color: #b00020;" if text == "no match" else "")

    # ------------------------------------------------------------------ keys, resizes
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.view and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        elif obj is self.field and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                    self.find_previous()
                else:
                    self.find_next()
                return True
            if key == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(obj, event)
