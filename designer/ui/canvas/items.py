"""Graphics items of the canvas: a block per layer with ports, and curved links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from designer.core import catalog
from designer.core.diagnostics import format_shape
from designer.core.layout import BLOCK_H, BLOCK_W

if TYPE_CHECKING:
    from designer.core.analysis import NodeInfo
    from designer.core.graph import Node

CATEGORY_COLORS = {
    catalog.INPUT: "#4c9a6a",
    catalog.CONV: "#3b6fb6",
    catalog.POOL: "#6a5acd",
    catalog.NORM: "#c98a1b",
    catalog.ACT: "#c0504d",
    catalog.RNN: "#2a9d8f",
    catalog.ATTN: "#8e44ad",
    catalog.MERGE: "#7f8c8d",
    catalog.RESHAPE: "#5d6d7e",
    catalog.AUG: "#b5651d",
    catalog.MODEL: "#34495e",
    catalog.OTHER: "#95a5a6",
}
PORT_R = 6.0
# Reused objects: PySide6 6.12 mis-counts references when painter.setBrush/setPen receive the
# enum overloads (Qt.BrushStyle.NoBrush) thousands of times ("deallocating None" crash).
NO_BRUSH = QBrush()
NO_PEN = QPen(Qt.PenStyle.NoPen)
ERROR_COLOR, WARNING_COLOR = QColor("#d62728"), QColor("#f2b705")


def category_color(category: str) -> QColor:
    """The colour of a layer category."""
    return QColor(CATEGORY_COLORS.get(category, "#95a5a6"))


def summary_line(node: Node) -> str:
    """Key parameters in a few characters: '6 · 5×5 · relu'."""
    parts = []
    defaults = node.spec.defaults()
    for i, key in enumerate(node.spec.primary):
        value = node.params.get(key)
        if i >= 2 and value == defaults.get(key):
            continue  # only what differs from the default, after the first two
        if isinstance(value, list):
            value = "×".join(str(v) for v in value) if value else "[]"
        elif isinstance(value, float):
            value = f"{value:g}"
        elif isinstance(value, dict):
            value = value.get("class_name", "…")
        if value not in (None, "", "linear", "valid"):
            parts.append(str(value))
    return " · ".join(parts[:4])


class PortItem(QGraphicsItem):
    """An input (top edge) or output (bottom edge) connector of a block."""

    def __init__(self, parent: NodeItem, is_input: bool, index: int, label: str) -> None:
        super().__init__(parent)
        self.node_item, self.is_input, self.index = parent, is_input, index
        self.setAcceptHoverEvents(True)
        self.setToolTip(label)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._hover = False

    def boundingRect(self) -> QRectF:
        r = PORT_R + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if option.levelOfDetailFromTransform(painter.worldTransform()) < 0.3:
            return  # too small to aim at: the block's edge is enough
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#333"), 1.2))
        fill = QColor("#ffd54f") if self._hover else QColor("#ffffff" if self.is_input else "#555")
        painter.setBrush(fill)
        painter.drawEllipse(QPointF(0, 0), PORT_R, PORT_R)

    def hoverEnterEvent(self, event: Any) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: Any) -> None:
        self._hover = False
        self.update()

    def scene_center(self) -> QPointF:
        """The port's centre in scene coordinates."""
        return self.mapToScene(QPointF(0, 0))


class NodeItem(QGraphicsItem):
    """A layer block: name, type, key parameters, output shape, ports, issue badge, lock."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node_id = node.id
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.inputs: list[PortItem] = []
        self.outputs: list[PortItem] = []
        self._title = self._type = self._params = self._shape = ""
        self._color = QColor("#999")
        self._severity: str | None = None
        self._frozen = False
        self._moved_callback = None
        self.setPos(*node.pos)
        self.update_from(node, None)

    # ------------------------------------------------------------------ content
    def update_from(self, node: Node, info: NodeInfo | None, n_inputs: int | None = None) -> None:
        """Refresh text, colour, ports and badge from the node and its analysis."""
        spec = node.spec
        self._title, self._type = node.name, node.label
        self._params = summary_line(node)
        self._color = category_color(spec.category)
        self._frozen = not node.trainable
        if info is not None:
            label = info.labels[0] if info.labels else ""
            self._shape = format_shape(info.shape, label) if info.shapes else "shape unknown"
            errors = [i for i in info.issues if i.severity == "error"]
            self._severity = "error" if errors else ("warning" if info.issues else None)
            tips = [f"{'⛔' if i.severity == 'error' else '⚠'} {i.message}" for i in info.issues]
            params = f"{info.params:,} parameters" + (" (frozen)" if self._frozen else "")
            self.setToolTip("\n".join([f"{node.name} ({node.label})", params, *tips]))
        n_out = max(1, len(info.shapes)) if info is not None and info.shapes else 1
        self._set_ports(spec, n_inputs if n_inputs is not None else 1, n_out)
        self.update()

    def _set_ports(self, spec: catalog.LayerSpec, connected: int, n_out: int) -> None:
        if spec.max_inputs == 0:
            n_in = 0
        elif spec.max_inputs is None:
            n_in = max(spec.min_inputs, connected + 1)
        else:
            n_in = spec.max_inputs
        if len(self.inputs) != n_in:
            for port in self.inputs:
                port.setParentItem(None)
                if port.scene():
                    port.scene().removeItem(port)
            self.inputs = [PortItem(self, True, i, spec.input_label(i)) for i in range(n_in)]
        if len(self.outputs) != n_out:
            for port in self.outputs:
                port.setParentItem(None)
                if port.scene():
                    port.scene().removeItem(port)
            self.outputs = [PortItem(self, False, i, f"output {i + 1}") for i in range(n_out)]
        for ports, y in ((self.inputs, 0.0), (self.outputs, BLOCK_H)):
            for i, port in enumerate(ports):
                port.setPos(BLOCK_W * (i + 1) / (len(ports) + 1), y)

    def port_pos(self, is_input: bool, index: int) -> QPointF:
        """Scene position of a port (the block's edge centre if the port is not drawn)."""
        ports = self.inputs if is_input else self.outputs
        if 0 <= index < len(ports):
            return ports[index].scene_center()
        return self.mapToScene(QPointF(BLOCK_W / 2, 0.0 if is_input else BLOCK_H))

    # ------------------------------------------------------------------ painting
    def boundingRect(self) -> QRectF:
        return QRectF(-4, -4, BLOCK_W + 8, BLOCK_H + 8)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        rect = QRectF(0, 0, BLOCK_W, BLOCK_H)
        selected = self.isSelected()
        border = QPen(
            QColor("#1e88e5") if selected else self._color.darker(130), 3 if selected else 1.4
        )
        if self._frozen:
            border.setStyle(Qt.PenStyle.DashLine)
        if lod < 0.3:  # zoomed far out: a coloured box is enough
            painter.fillRect(rect, self._color)
            if self._severity:
                painter.fillRect(QRectF(BLOCK_W - 30, 0, 30, 30), self._badge_color())
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor("#eceff1") if self._frozen else QColor("#ffffff")
        painter.setPen(border)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 7, 7)
        painter.setPen(NO_PEN)
        painter.setBrush(self._color)
        painter.drawRoundedRect(QRectF(0, 0, 8, BLOCK_H), 4, 4)
        painter.setPen(QColor("#111"))
        title_font = QFont()
        title_font.setBold(True)
        title_font.setPointSizeF(9.5)
        painter.setFont(title_font)
        painter.drawText(QRectF(14, 4, BLOCK_W - 44, 18), Qt.AlignmentFlag.AlignLeft, self._title)
        small = QFont()
        small.setPointSizeF(8)
        painter.setFont(small)
        painter.setPen(self._color.darker(150))
        painter.drawText(
            QRectF(14, 21, BLOCK_W - 20, 16),
            Qt.AlignmentFlag.AlignLeft,
            f"{self._type}   {self._params}",
        )
        painter.setPen(QColor("#444"))
        painter.drawText(
            QRectF(14, 40, BLOCK_W - 20, 16), Qt.AlignmentFlag.AlignLeft, f"→ {self._shape}"
        )
        if self._frozen:
            self._paint_lock(painter)
        if self._severity:
            painter.setPen(NO_PEN)
            painter.setBrush(self._badge_color())
            painter.drawEllipse(QPointF(BLOCK_W - 12, 12), 8, 8)
            painter.setPen(QColor("white" if self._severity == "error" else "black"))
            painter.setFont(title_font)
            painter.drawText(QRectF(BLOCK_W - 20, 4, 16, 16), Qt.AlignmentFlag.AlignCenter, "!")

    def _badge_color(self) -> QColor:
        return ERROR_COLOR if self._severity == "error" else WARNING_COLOR

    def _paint_lock(self, painter: QPainter) -> None:
        painter.setPen(QPen(QColor("#555"), 1.5))
        painter.setBrush(NO_BRUSH)
        x, y = BLOCK_W - 34, 6
        painter.drawArc(QRectF(x + 2, y, 8, 9), 0, 180 * 16)
        painter.setBrush(QBrush(QColor("#555")))
        painter.drawRect(QRectF(x, y + 5, 12, 8))

    @property
    def severity(self) -> str | None:
        """ "error", "warning" or None: what the badge shows."""
        return self._severity

    @property
    def frozen(self) -> bool:
        """True when the block is drawn as frozen (locked)."""
        return self._frozen

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged and self.scene():
            self.scene().node_item_moved(self)
        return super().itemChange(change, value)


class LinkItem(QGraphicsPathItem):
    """A smooth curve from an output port to an input port, with the tensor shape on it."""

    def __init__(self, src: str, dst: str, port: int, src_port: int) -> None:
        super().__init__()
        self.src, self.dst, self.port, self.src_port = src, dst, port, src_port
        self.setZValue(-1)
        self.setPen(QPen(QColor("#607d8b"), 1.8))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.label = QGraphicsSimpleTextItem(self)
        font = QFont()
        font.setPointSizeF(7.5)
        self.label.setFont(font)
        self.label.setBrush(QColor("#37474f"))
        self._arrow: QPainterPath | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        """(src, dst, port): what identifies the link in the graph."""
        return self.src, self.dst, self.port

    def update_path(self, start: QPointF, end: QPointF) -> None:
        """Redraw the curve between two scene points."""
        path = QPainterPath(start)
        dy = max(40.0, abs(end.y() - start.y()) / 2)
        path.cubicTo(start + QPointF(0, dy), end - QPointF(0, dy), end)
        self.setPath(path)
        mid = path.pointAtPercent(0.5)
        self.label.setPos(mid + QPointF(6, -8))
        arrow = QPainterPath(end)
        arrow.lineTo(end + QPointF(-4, -8))
        arrow.lineTo(end + QPointF(4, -8))
        arrow.closeSubpath()
        self._arrow = arrow

    def set_shape_text(self, text: str, visible: bool) -> None:
        """The tensor shape written on the link."""
        self.label.setText(text)
        self.label.setVisible(visible and bool(text))

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        pen = QPen(
            QColor("#1e88e5") if self.isSelected() else QColor("#607d8b"),
            2.6 if self.isSelected() else 1.8,
        )
        detailed = option.levelOfDetailFromTransform(painter.worldTransform()) >= 0.3
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, detailed)
        painter.setPen(pen)
        painter.setBrush(NO_BRUSH)
        painter.drawPath(self.path())
        if detailed and self._arrow is not None:
            painter.setBrush(pen.color())
            painter.drawPath(self._arrow)
