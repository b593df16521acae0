"""A link on the canvas: a smooth curve from an output port to an input port with the tensor
shape written on it; a plain straight line (no arrow, no label) when zoomed out.

Cheap to route: moving an end only stores the two points and the bounds (worked out from the
curve's control points); the curve itself is made when it is first drawn close up or hit.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.ui.canvas.style import LABEL_LOD, LINK_COLOR, NO_BRUSH, SELECTED_COLOR, link_font

_LABEL_COLOR = QColor("#37474f")
_LABEL_H = 14.0  # height of the shape text beside the curve's middle
_PEN, _SELECTED_PEN = QPen(LINK_COLOR, 1.8), QPen(SELECTED_COLOR, 2.6)
_THIN_PEN, _THIN_SELECTED = QPen(LINK_COLOR, 0), QPen(SELECTED_COLOR, 0)  # cosmetic: 1 px
_EMPTY = QRectF()


@cache
def _metrics() -> QFontMetricsF:
    return QFontMetricsF(link_font())


class LinkItem(QGraphicsItem):
    """A tensor from ``src``'s output ``src_port`` to input ``port`` of ``dst``."""

    def __init__(self, src: str, dst: str, port: int, src_port: int) -> None:
        super().__init__()
        self.src, self.dst, self.port, self.src_port = src, dst, port, src_port
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self._ends: tuple[float, float, float, float] | None = None  # x0, y0, x1, y1
        self._bend = 40.0  # vertical reach of the curve's control points
        self._path: QPainterPath | None = None
        self._shape: QPainterPath | None = None
        self._bounds = _EMPTY
        self._label_w = 0.0
        self.label_text = ""
        self.label_shown = False

    @property
    def key(self) -> tuple[str, str, int]:
        """(src, dst, port): what identifies the link in the graph."""
        return self.src, self.dst, self.port

    def update_path(self, start: QPointF, end: QPointF) -> None:
        """Route the curve between two scene points."""
        ends = (start.x(), start.y(), end.x(), end.y())
        if ends == self._ends:
            return
        self.prepareGeometryChange()
        self._ends = ends
        self._bend = max(40.0, abs(ends[3] - ends[1]) / 2)
        self._path = self._shape = None
        self._fit_bounds()

    def _label_at(self) -> tuple[float, float]:
        """Top-left of the shape text: beside the curve's middle (its point at t = 0.5)."""
        x0, y0, x1, y1 = self._ends or (0.0, 0.0, 0.0, 0.0)
        return (x0 + x1) / 2 + 6, (y0 + y1) / 2 - 8

    def _fit_bounds(self) -> None:
        x0, y0, x1, y1 = self._ends or (0.0, 0.0, 0.0, 0.0)
        bend = self._bend
        # A cubic curve stays inside the hull of its control points (and the arrow, 4 wide).
        left, right = min(x0, x1) - 4, max(x0, x1) + 4
        top, bottom = min(y0, y1 - bend), max(y0 + bend, y1)
        if self.label_shown and self.label_text:
            lx, ly = self._label_at()
            left, top = min(left, lx), min(top, ly)
            right, bottom = max(right, lx + self._label_w), max(bottom, ly + _LABEL_H)
        self._bounds = QRectF(left - 3, top - 3, right - left + 6, bottom - top + 6)

    def coords(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of :meth:`ends`, without making points (the sketch reads 10,000)."""
        return self._ends or (0.0, 0.0, 0.0, 0.0)

    def ends(self) -> tuple[QPointF, QPointF]:
        """Where the link starts and ends, in scene coordinates."""
        x0, y0, x1, y1 = self._ends or (0.0, 0.0, 0.0, 0.0)
        return QPointF(x0, y0), QPointF(x1, y1)

    def path(self) -> QPainterPath:
        """The curve, in scene coordinates."""
        if self._path is None:
            start, end = self.ends()
            path = QPainterPath(start)
            path.cubicTo(start + QPointF(0, self._bend), end - QPointF(0, self._bend), end)
            self._path = path
        return self._path

    def set_shape_text(self, text: str, visible: bool) -> None:
        """The tensor shape written on the link."""
        if text != self.label_text or visible != self.label_shown:
            self.prepareGeometryChange()
            self.label_text, self.label_shown = text, visible
            self._label_w = _metrics().horizontalAdvance(text) + 4 if text else 0.0
            self._fit_bounds()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:  # made on the first hit test, not for every link
            stroker = QPainterPathStroker()
            stroker.setWidth(8)
            self._shape = stroker.createStroke(self.path())
        return self._shape

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        selected = self.isSelected()
        start, end = self.ends()
        if option.levelOfDetailFromTransform(painter.worldTransform()) < LABEL_LOD:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(_THIN_SELECTED if selected else _THIN_PEN)
            painter.drawLine(start, end)
            return
        pen = _SELECTED_PEN if selected else _PEN
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(pen)
        painter.setBrush(NO_BRUSH)
        painter.drawPath(self.path())
        painter.setBrush(pen.color())
        painter.drawPolygon(QPolygonF([end, end + QPointF(-4, -8), end + QPointF(4, -8)]))
        if self.label_shown and self.label_text:
            x, y = self._label_at()
            painter.setFont(link_font())
            painter.setPen(_LABEL_COLOR)
            painter.drawText(
                QRectF(x, y, self._label_w, _LABEL_H),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self.label_text,
            )
