"""The canvas view: zoom, pan, fit, drops from the Layer Library, and the Tab quick-add popup."""

from __future__ import annotations

import json

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView

from designer.core.layout import BLOCK_H, BLOCK_W
from designer.ui.canvas.scene import GraphScene

LAYER_MIME = "application/x-network-designer-layer"
ZOOM_MIN, ZOOM_MAX = 0.05, 4.0


class GraphView(QGraphicsView):
    """Shows a GraphScene; emits requests that the main window turns into commands."""

    addRequested = Signal(str, dict, QPointF)  # type, preset params, scene position
    quickAddRequested = Signal(QPointF)  # scene position for the Tab popup
    contextRequested = Signal(object, QPointF)  # NodeItem or None, global pos

    def __init__(self, scene: GraphScene) -> None:
        super().__init__(scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._panning: QPointF | None = None
        self._space = False

    # ------------------------------------------------------------------ zoom and fit
    @property
    def zoom(self) -> float:
        """The current scale factor."""
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        """Zoom in (>1) or out (<1) within sensible limits."""
        target = min(ZOOM_MAX, max(ZOOM_MIN, self.zoom * factor))
        self.scale(target / self.zoom, target / self.zoom)

    def fit_all(self) -> None:
        """Show the whole network."""
        rect = self.scene().itemsBoundingRect()
        if rect.isEmpty():
            rect = QRectF(0, 0, BLOCK_W, BLOCK_H)
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > 1.2:
            self.zoom_by(1.2 / self.zoom)

    def center_on_node(self, node_id: str) -> None:
        """Scroll so that a block is in the middle of the view."""
        item = self.scene().nodes.get(node_id)
        if item is not None:
            self.centerOn(item.sceneBoundingRect().center())

    def view_center(self) -> QPointF:
        """Scene position of the middle of the view."""
        return self.mapToScene(self.viewport().rect().center())

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(1.0015 ** event.angleDelta().y())
            event.accept()
            return
        super().wheelEvent(event)

    # ------------------------------------------------------------------ panning
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
            self._space and event.button() == Qt.MouseButton.LeftButton
        ):
            self._panning = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.pan(-delta.x(), -delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._panning is not None:
            self._panning = None
            self.unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def pan(self, dx: float, dy: float) -> None:
        """Scroll the view by pixels."""
        self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() + dx))
        self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() + dy))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        steps = {
            Qt.Key.Key_Left: (-60, 0),
            Qt.Key.Key_Right: (60, 0),
            Qt.Key.Key_Up: (0, -60),
            Qt.Key.Key_Down: (0, 60),
        }
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.setDragMode(QGraphicsView.DragMode.NoDrag)
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif key in steps and not event.modifiers():
            self.pan(*steps[key])
        elif key == Qt.Key.Key_Tab:
            self.quickAddRequested.emit(self._cursor_scene_pos())
        elif key == Qt.Key.Key_F and not event.modifiers():
            self.fit_all()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            self.unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusNextPrevChild(self, forward: bool) -> bool:
        return False  # Tab opens the quick-add popup instead of moving focus

    def _cursor_scene_pos(self) -> QPointF:
        local = self.mapFromGlobal(self.cursor().pos())
        if not self.viewport().rect().contains(local):
            return self.view_center()
        return self.mapToScene(local)

    def contextMenuEvent(self, event) -> None:
        from designer.ui.canvas.items import NodeItem

        item = None
        for candidate in self.items(event.pos()):
            if isinstance(candidate, NodeItem):
                item = candidate
                break
        if item is not None and not item.isSelected():
            self.scene().clearSelection()
            item.setSelected(True)
        self.contextRequested.emit(item, QPointF(event.globalPos()))

    # ------------------------------------------------------------------ drops from the library
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        data = event.mimeData()
        if not data.hasFormat(LAYER_MIME):
            event.ignore()
            return
        payload = json.loads(bytes(data.data(LAYER_MIME)).decode())
        pos = self.mapToScene(event.position().toPoint())
        self.addRequested.emit(
            payload["type"], payload.get("preset", {}), pos - QPointF(BLOCK_W / 2, BLOCK_H / 2)
        )
        event.acceptProposedAction()
