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
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView

from designer.core.layout import BLOCK_H, BLOCK_W
from designer.ui.canvas.scene import GraphScene
from designer.ui.canvas.style import block_text_px, readable_zoom

LAYER_MIME = "application/x-network-designer-layer"
ZOOM_MIN, ZOOM_MAX = 0.05, 4.0  # wheel and buttons; a network too big for ZOOM_MIN may go lower
FIT_MAX = 1.2  # fitting a small network never magnifies it more than this
MARGIN_PX = 40  # room left around the network when fitting, in pixels


class GraphView(QGraphicsView):
    """Shows a GraphScene; emits requests that the main window turns into commands."""

    addRequested = Signal(str, dict, QPointF)  # type, preset params, scene position
    quickAddRequested = Signal(QPointF)  # scene position for the Tab popup
    contextRequested = Signal(object, QPointF)  # NodeItem or None, global pos
    zoomChanged = Signal(float)  # the new scale factor (1.0: one pixel per scene unit)
    viewChanged = Signal()  # the visible part of the scene moved, grew or shrank

    def __init__(self, scene: GraphScene) -> None:
        super().__init__(scene)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._panning: QPointF | None = None
        self._space = False
        self._told_zoom = self.zoom
        scene.set_zoom(self.zoom)
        scene.sceneRectChanged.connect(self._pad_scene_rect)
        self._pad_scene_rect()

    def _pad_scene_rect(self, *_: object) -> None:
        """Room around the network of a window's size at the current zoom: the view then never
        re-centres a scene smaller than itself, which would move the canvas under the pointer
        while a block is dragged past the network's edge (seen in a real session)."""
        rect = self.scene().sceneRect()
        viewport = self.viewport().size()
        margin = max(viewport.width(), viewport.height(), 400) / max(self.zoom, 1e-3)
        self.setSceneRect(rect.adjusted(-margin, -margin, margin, margin))

    # ------------------------------------------------------------------ zoom and fit
    @property
    def zoom(self) -> float:
        """The current scale factor."""
        return self.transform().m11()

    def block_text_px(self) -> float:
        """On-screen pixel height of the smallest block text at the current zoom."""
        return block_text_px() * self.zoom

    def min_zoom(self) -> float:
        """The smallest zoom allowed: ZOOM_MIN, or less when the whole network needs it."""
        blocks = self.scene().nodes_rect()
        return min(ZOOM_MIN, 0.9 * self._fit_zoom(blocks)) if not blocks.isEmpty() else ZOOM_MIN

    def zoom_by(self, factor: float) -> None:
        """Zoom in (>1) or out (<1) within sensible limits."""
        self.set_zoom(self.zoom * factor)

    def set_zoom(self, zoom: float) -> None:
        """Scale to ``zoom`` (kept between :meth:`min_zoom` and ZOOM_MAX)."""
        target = min(ZOOM_MAX, max(self.min_zoom(), zoom))
        if target != self.zoom:
            self.scale(target / self.zoom, target / self.zoom)
        self._zoom_changed()

    def fit_all(self) -> None:
        """Show the whole network."""
        rect = self._network_rect()
        self.set_zoom(min(FIT_MAX, self._fit_zoom(rect)))
        self.centerOn(rect.center())
        self._zoom_changed()

    def fit_readable(self) -> None:
        """Open at a readable zoom: the whole network when its text is readable that way,
        else the smallest block text :data:`READABLE_PX` high with the input end in view."""
        rect = self.scene().nodes_rect()
        readable = readable_zoom()
        if rect.isEmpty() or min(FIT_MAX, self._fit_zoom(rect)) >= readable:
            self.fit_all()
            return
        self.set_zoom(readable)
        start = self._input_end()
        if start is None:
            self.centerOn(rect.center())
            return
        block, horizontal = start
        half_w = self.viewport().width() / 2 / self.zoom
        half_h = self.viewport().height() / 2 / self.zoom
        margin = MARGIN_PX / self.zoom
        if horizontal:
            self.centerOn(block.left() - margin + half_w, block.center().y())
        else:
            self.centerOn(block.center().x(), block.top() - margin + half_h)
        self._zoom_changed()

    def _input_end(self) -> tuple[QRectF, bool] | None:
        """The first input block's rectangle and whether the network runs left to right."""
        scene = self.scene()
        graph = scene.document.graph
        starts = graph.input_nodes() or [n.id for n in graph.nodes if not graph.inputs_of(n.id)]
        item = next((scene.nodes[nid] for nid in starts if nid in scene.nodes), None)
        if item is None:
            return None
        here = item.pos()
        after = [
            scene.nodes[s].pos() - here for s in graph.successors(item.node_id) if s in scene.nodes
        ]
        if after:
            horizontal = abs(sum(p.x() for p in after)) > abs(sum(p.y() for p in after))
        else:
            network = scene.nodes_rect()
            horizontal = network.width() > network.height()
        return QRectF(here.x(), here.y(), BLOCK_W, BLOCK_H), horizontal

    def _network_rect(self) -> QRectF:
        """Everything drawn: blocks, links and their labels."""
        rect = self.scene().itemsBoundingRect()
        return rect if not rect.isEmpty() else QRectF(0, 0, BLOCK_W, BLOCK_H)

    def _fit_zoom(self, rect: QRectF) -> float:
        """The zoom at which ``rect`` fills the viewport, MARGIN_PX left around it."""
        width = max(1, self.viewport().width() - 2 * MARGIN_PX)
        height = max(1, self.viewport().height() - 2 * MARGIN_PX)
        return min(width / max(rect.width(), 1.0), height / max(rect.height(), 1.0))

    def _zoom_changed(self) -> None:
        """Tell the scene (group frames) and the listeners (status bar, overview)."""
        zoom = self.zoom
        self.scene().set_zoom(zoom)
        if zoom != self._told_zoom:
            self._told_zoom = zoom
            self._pad_scene_rect()
            self.zoomChanged.emit(zoom)
        self.viewChanged.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.zoom != self._told_zoom:  # scaled from outside (fitInView, setTransform)
            self._zoom_changed()
        super().paintEvent(event)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.viewChanged.emit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._pad_scene_rect()
        self.viewChanged.emit()

    def visible_rect(self) -> QRectF:
        """The part of the scene the viewport shows."""
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def center_on_node(self, node_id: str, readable: bool = False) -> None:
        """Scroll so that a block is in the middle of the view; with ``readable``, zoomed in
        first to where its text can be read (:func:`readable_zoom`) if the view is far out."""
        item = self.scene().nodes.get(node_id)
        if item is None:
            return
        if readable and self.zoom < readable_zoom():
            self.set_zoom(readable_zoom())
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
