"""The overview: the whole network in miniature with the canvas's visible part on it; a click
or a drag there pans the canvas.

Cheap for big networks: the network is drawn once into a picture (the canvas's sketch: blocks
as rectangles by colour, links as lines, issues marked; and the group frames), redrawn at most
once per ``REDRAW_MS`` after changes; moving the view only repaints the rectangle over it.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QTransform,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from designer.ui.canvas.sketch import Sketch
from designer.ui.canvas.style import NO_PEN, SELECTED_COLOR
from designer.ui.canvas.view import GraphView

REDRAW_MS = 200  # at most one redraw of the picture per this many milliseconds of changes
MARGIN = 6  # pixels around the network
_BACKGROUND, _FRAME_FILL = QColor("#fafafa"), QColor(30, 136, 229, 40)
_VIEW_FILL = QColor(30, 136, 229, 45)


class OverviewPanel(QWidget):
    """A minimap of ``view``'s network; the rectangle is what the view shows."""

    def __init__(self, view: GraphView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.scene = view.scene()
        self.renders = 0  # pictures drawn so far (how tests see the throttling)
        self._picture = QImage()
        self._to_widget = QTransform()
        self._scene_rect = QRectF()
        self._grab: QPointF | None = None  # where in the rectangle the drag holds it
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self.scene.contentChanged.connect(self.schedule)
        self.scene.selectionChanged.connect(self.schedule)
        view.viewChanged.connect(self.update)
        self.setMinimumSize(120, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("The whole network: click or drag to move the canvas")
        self.redraw()

    def sizeHint(self) -> QSize:
        return QSize(240, 180)

    # ------------------------------------------------------------------ the picture
    def schedule(self) -> None:
        """Redraw the picture soon (changes coming in a burst make one redraw)."""
        if not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self) -> bool:
        """True while a redraw is scheduled."""
        return self._timer.isActive()

    def scene_rect(self) -> QRectF:
        """The part of the scene the picture shows (the blocks' extent)."""
        return QRectF(self._scene_rect)

    def redraw(self) -> None:
        """Draw the network into the picture now."""
        self._timer.stop()
        self.renders += 1
        rect = self.scene.nodes_rect()
        size = self.size()
        if rect.isEmpty() or size.width() < 2 * MARGIN or size.height() < 2 * MARGIN:
            self._scene_rect, self._picture = QRectF(), QImage()
            self.update()
            return
        self._scene_rect = rect
        width, height = size.width() - 2 * MARGIN, size.height() - 2 * MARGIN
        scale = min(width / rect.width(), height / rect.height())
        dx = MARGIN + (width - rect.width() * scale) / 2 - rect.left() * scale
        dy = MARGIN + (height - rect.height() * scale) / 2 - rect.top() * scale
        self._to_widget = QTransform(scale, 0, 0, scale, dx, dy)
        ratio = self.devicePixelRatioF()
        image = QImage(size * ratio, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(_BACKGROUND)
        painter = QPainter(image)
        painter.setTransform(self._to_widget)
        self._paint_network(painter, scale)
        painter.end()
        self._picture = image
        self.update()

    def _paint_network(self, painter: QPainter, scale: float) -> None:
        """Group frames, then the sketch of links and blocks (each block at least 1.5 px)."""
        painter.setPen(NO_PEN)
        painter.setBrush(_FRAME_FILL)
        painter.drawRects([frame.rect() for frame in self.scene.groups.values()])
        Sketch(self.scene, least=1.5 / scale).paint(painter)

    # ------------------------------------------------------------------ showing the view
    def view_rect(self) -> QRectF:
        """The view's visible part, in this widget's coordinates (at least 4 pixels wide)."""
        rect = self._to_widget.mapRect(self.view.visible_rect())
        if rect.width() < 4:
            rect.adjust(-(4 - rect.width()) / 2, 0, (4 - rect.width()) / 2, 0)
        if rect.height() < 4:
            rect.adjust(0, -(4 - rect.height()) / 2, 0, (4 - rect.height()) / 2)
        return rect

    def to_scene(self, point: QPointF) -> QPointF:
        """The scene point under a point of this widget."""
        inverse, _ok = self._to_widget.inverted()
        return inverse.map(QPointF(point))

    def to_widget(self, point: QPointF) -> QPointF:
        """Where a scene point is drawn in this widget."""
        return self._to_widget.map(QPointF(point))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), _BACKGROUND)
        if self._picture.isNull():
            painter.setPen(QColor("#777"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No layers")
            return
        painter.drawImage(QPointF(0, 0), self._picture)
        painter.setPen(QPen(SELECTED_COLOR, 1.5))
        painter.setBrush(_VIEW_FILL)
        painter.drawRect(self.view_rect())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.redraw()

    # ------------------------------------------------------------------ panning the view
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._picture.isNull():
            super().mousePressEvent(event)
            return
        rect = self.view_rect()
        here = event.position()
        # Dragging the rectangle keeps the point it was taken by; a click elsewhere centres it.
        self._grab = here - rect.center() if rect.contains(here) else QPointF(0, 0)
        self._pan_to(here)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._grab is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._pan_to(event.position())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._grab is not None:
            self._grab = None
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _pan_to(self, point: QPointF) -> None:
        grab = self._grab if self._grab is not None else QPointF(0, 0)
        self.view.centerOn(self.to_scene(point - grab))
        self.update()
