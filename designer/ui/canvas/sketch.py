"""The network as a sketch: every block a rectangle in its colour, every link a line, drawn in
a handful of batched calls however big the network is.

The overview draws it into its picture; the canvas draws it instead of the items themselves
when zoomed out below :data:`~designer.ui.canvas.style.SKETCH_LOD`, where a block is a few
pixels and a Python ``paint`` per item would cost more than the whole sketch (the items stay,
without contents, so that clicks, rubber bands and tooltips still find them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.core.layout import BLOCK_H, BLOCK_W
from designer.ui.canvas.style import (
    ERROR_COLOR,
    LINK_COLOR,
    NO_PEN,
    SELECTED_COLOR,
    WARNING_COLOR,
)

if TYPE_CHECKING:
    from designer.ui.canvas.scene import GraphScene

_LINK_PEN = QPen(LINK_COLOR, 0)  # cosmetic: one pixel at any zoom
BADGE = 30.0  # side of the issue square in a block's corner (as the items draw it)


class Sketch:
    """Batched primitives of a scene's blocks and links, in scene coordinates."""

    def __init__(self, scene: GraphScene, least: float = 0.0) -> None:
        """Read the scene's items now; ``least`` is the smallest side a block is drawn with
        (scene units), so that tiny blocks stay visible in a miniature."""
        width, height = max(BLOCK_W, least), max(BLOCK_H, least)
        badge = max(BADGE, least)
        fills: dict[int, tuple[QColor, list[QRectF]]] = {}
        errors: list[QRectF] = []
        warnings: list[QRectF] = []
        for item in scene.nodes.values():
            x, y = item.x(), item.y()
            color = SELECTED_COLOR if item.isSelected() else item.color
            fills.setdefault(color.rgba(), (color, []))[1].append(QRectF(x, y, width, height))
            if item.severity is not None:
                square = QRectF(x + width - badge, y, badge, badge)
                (errors if item.severity == "error" else warnings).append(square)
        self.fills = list(fills.values())
        self.badges = [(ERROR_COLOR, errors), (WARNING_COLOR, warnings)]
        self.lines = [QLineF(*link.coords()) for link in scene.links.values()]

    def paint(self, painter: QPainter) -> None:
        """Links, then blocks, then issue squares."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(_LINK_PEN)
        painter.drawLines(self.lines)
        painter.setPen(NO_PEN)
        for color, rects in (*self.fills, *self.badges):
            if rects:
                painter.setBrush(color)
                painter.drawRects(rects)


class SketchItem(QGraphicsItem):
    """Draws the scene's sketch; shown by the scene while the view is far zoomed out."""

    def __init__(self, scene: GraphScene) -> None:
        super().__init__()
        self._scene = scene
        self._sketch: Sketch | None = None
        self._rect = QRectF()
        self.setZValue(-0.5)  # over group frames, under anything drawn while dragging
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setVisible(False)

    def invalidate(self) -> None:
        """The blocks, links or selection changed: sketch again at the next paint."""
        self._sketch = None

    def refit(self) -> None:
        """Take the network's extent now and repaint."""
        self._sketch = None
        rect = self._scene.nodes_rect().adjusted(-BADGE, -BADGE, BADGE, BADGE)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if self._sketch is None:
            self._sketch = Sketch(self._scene)
        self._sketch.paint(painter)
