"""The block of a layer on the canvas: one graphics item that draws its text, ports, issue
badge and lock itself (no child items), with less detail when zoomed out."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.core.diagnostics import format_shape
from designer.core.layout import BLOCK_H, BLOCK_W
from designer.ui.canvas.links import LinkItem
from designer.ui.canvas.style import (
    BADGE_CENTER,
    BADGE_R,
    CATEGORY_COLORS,
    ERROR_COLOR,
    LABEL_LOD,
    NO_BRUSH,
    NO_PEN,
    PORT_HIT,
    PORT_R,
    SELECTED_COLOR,
    WARNING_COLOR,
    category_color,
    issue_mark,
    small_font,
    title_font,
)

if TYPE_CHECKING:
    from designer.core.analysis import NodeInfo
    from designer.core.graph import Node

__all__ = ["CATEGORY_COLORS", "LinkItem", "NodeItem", "Port", "category_color", "summary_line"]

_WHITE, _FROZEN_FILL, _TEXT = QColor("#ffffff"), QColor("#eceff1"), QColor("#111")
_SHAPE_TEXT, _PORT_EDGE = QColor("#444"), QColor("#333")
_PORT_IN, _PORT_OUT, _PORT_HOVER = QColor("#ffffff"), QColor("#555"), QColor("#ffd54f")
_BADGE_MARK_ON_ERROR = QColor("#ffffff")
_BOUNDS = QRectF(-4, -PORT_HIT - 1, BLOCK_W + 8, BLOCK_H + 2 * PORT_HIT + 2)


@cache
def _category_color(category: str) -> QColor:
    """A shared colour per category (never changed in place)."""
    return category_color(category)


# Parameters whose bare value would not say what it is on a block: written "max 6", "no bias".
# At their default they are left out, like every default that means "off".
_NAMED = {
    "max_value": "max",
    "negative_slope": "slope",
    "threshold": "threshold",
    "axis": "axis",
    "l1": "l1",
    "l2": "l2",
    "use_bias": "bias",
    "keepdims": "keep dims",
    "return_sequences": "sequences",
    "mask_zero": "mask zero",
}
_SILENT = (None, "", "linear", "valid")  # never written, set or not


def _is_off(value: Any) -> bool:
    """True for a value that means "nothing" (no limit, a zero slope, no padding, False)."""
    if isinstance(value, (list, tuple)):
        return all(_is_off(v) for v in value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value == 0
    return value in _SILENT


def _format(value: Any) -> str:
    """A parameter value in a few characters: [5, 5] -> '5×5', 0.5 -> '0.5'."""
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        parts = []
        for v in value:
            if isinstance(v, (list, tuple)) and v and all(x == v[0] for x in v):
                v = v[0]  # ((1, 1), (2, 2)): each side's symmetric padding once
            parts.append(
                ",".join(_format(x) for x in v) if isinstance(v, (list, tuple)) else _format(v)
            )
        return "×".join(parts)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return str(value.get("class_name", "…"))
    return str(value)


def summary_line(node: Node) -> str:
    """Key parameters in a few characters: '6 · 5×5 · relu', 'max 6', 'no bias'; the first
    two primary parameters always, the others and the named ones where they differ from the
    default, and no default that means "off" (a ReLU shows nothing, not '0')."""
    parts = []
    spec = node.spec
    defaults = spec.defaults()
    for i, key in enumerate(spec.primary):
        value = node.params.get(key)
        if value == defaults.get(key) and (i >= 2 or key in _NAMED or _is_off(value)):
            continue
        if isinstance(value, bool):
            label = _NAMED.get(key, key.replace("_", " "))
            parts.append(label if value else f"no {label}")
        elif not isinstance(value, (list, tuple, dict)) and value in _SILENT:
            continue
        else:
            text = _format(value)
            parts.append(f"{_NAMED[key]} {text}" if key in _NAMED else text)
    return " · ".join(parts[:4])


class Port:
    """An input (top edge) or output (bottom edge) connector of a block; drawn by the block,
    found by :meth:`NodeItem.port_at` (no graphics item of its own)."""

    __slots__ = ("index", "is_input", "label", "node_item", "x", "y")

    def __init__(self, node_item: NodeItem, is_input: bool, index: int, label: str) -> None:
        self.node_item, self.is_input, self.index, self.label = node_item, is_input, index, label
        self.x, self.y = 0.0, 0.0

    def scene_center(self) -> QPointF:
        """The port's centre in scene coordinates."""
        pos = self.node_item.pos()
        return QPointF(pos.x() + self.x, pos.y() + self.y)


class NodeItem(QGraphicsItem):
    """A layer block: name, type, key parameters, output shape, ports, issue badge, lock."""

    def __init__(
        self, node: Node, info: NodeInfo | None = None, n_inputs: int | None = None
    ) -> None:
        super().__init__()
        self.node_id = node.id
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
        )  # no geometry notifications: the scene re-routes links where it moves blocks
        # Panning blits each block's cached picture instead of painting it again.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.inputs: list[Port] = []
        self.outputs: list[Port] = []
        self._title = self._type = self._params = self._shape = self._tip = ""
        self._color = QColor("#999")
        self._severity: str | None = None
        self._frozen = False
        self._hover: Port | None = None
        self.setPos(*node.pos)
        self.update_from(node, info, n_inputs)

    # ------------------------------------------------------------------ content
    def update_from(self, node: Node, info: NodeInfo | None, n_inputs: int | None = None) -> None:
        """Refresh text, colour, ports and badge from the node and its analysis."""
        spec = node.spec
        self._title, self._type = node.name, node.label
        self._params = summary_line(node)
        self._color = _category_color(spec.category)
        self._frozen = not node.trainable
        if info is not None:
            label = info.labels[0] if info.labels else ""
            self._shape = format_shape(info.shape, label) if info.shapes else "shape unknown"
            errors = [i for i in info.issues if i.severity == "error"]
            self._severity = "error" if errors else ("warning" if info.issues else None)
            tips = [f"{issue_mark(i.severity)} {i.message}" for i in info.issues]
            params = f"{info.params:,} parameters" + (" (frozen)" if self._frozen else "")
            tip = "\n".join([f"{node.name} ({node.label})", params, *tips])
            if tip != self._tip:
                self._tip = tip
                self.setToolTip(tip)
        n_out = max(1, len(info.shapes)) if info is not None and info.shapes else 1
        self._set_ports(node, n_inputs if n_inputs is not None else 1, n_out)
        self.update()

    def _set_ports(self, node: Node, connected: int, n_out: int) -> None:
        lo, hi = node.input_range  # a structured call (initial_state=[h, c]) fixes its own
        n_in = max(lo, connected + 1) if hi is None else hi
        labels = [node.input_label(i) for i in range(n_in)]
        if [port.label for port in self.inputs] != labels:
            self.inputs = [Port(self, True, i, label) for i, label in enumerate(labels)]
        if len(self.outputs) != n_out:
            self.outputs = [Port(self, False, i, f"output {i + 1}") for i in range(n_out)]
        for ports, y in ((self.inputs, 0.0), (self.outputs, BLOCK_H)):
            for i, port in enumerate(ports):
                port.x, port.y = BLOCK_W * (i + 1) / (len(ports) + 1), y
        self._hover = None

    def port_pos(self, is_input: bool, index: int) -> QPointF:
        """Scene position of a port (the block's edge centre if the port is not drawn)."""
        ports = self.inputs if is_input else self.outputs
        if 0 <= index < len(ports):
            return ports[index].scene_center()
        pos = self.pos()
        return QPointF(pos.x() + BLOCK_W / 2, pos.y() + (0.0 if is_input else BLOCK_H))

    def port_at(self, scene_pos: QPointF) -> Port | None:
        """The port whose circle holds ``scene_pos``, or None."""
        x, y = scene_pos.x() - self.pos().x(), scene_pos.y() - self.pos().y()
        for port in (*self.inputs, *self.outputs):
            if (port.x - x) ** 2 + (port.y - y) ** 2 <= PORT_HIT**2:
                return port
        return None

    # ------------------------------------------------------------------ hover: ports light up
    def hoverMoveEvent(self, event: Any) -> None:
        port = self.port_at(event.scenePos())
        if port is not self._hover:
            self._hover = port
            self.setToolTip(port.label if port is not None else self._tip)
            if port is not None:
                self.setCursor(Qt.CursorShape.CrossCursor)
            else:
                self.unsetCursor()
            self.update()

    def hoverLeaveEvent(self, event: Any) -> None:
        if self._hover is not None:
            self._hover = None
            self.setToolTip(self._tip)
            self.unsetCursor()
            self.update()

    # ------------------------------------------------------------------ painting
    def boundingRect(self) -> QRectF:
        return _BOUNDS

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        rect = QRectF(0, 0, BLOCK_W, BLOCK_H)
        selected = self.isSelected()
        if lod < LABEL_LOD:  # zoomed out: a coloured box, outlined when selected
            painter.fillRect(rect, SELECTED_COLOR if selected else self._color)
            if self._severity:
                painter.fillRect(QRectF(BLOCK_W - 30, 0, 30, 30), self._badge_color())
            return
        border = QPen(
            SELECTED_COLOR if selected else self._color.darker(130), 3 if selected else 1.4
        )
        if self._frozen:
            border.setStyle(Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(border)
        painter.setBrush(_FROZEN_FILL if self._frozen else _WHITE)
        painter.drawRoundedRect(rect, 7, 7)
        painter.setPen(NO_PEN)
        painter.setBrush(self._color)
        painter.drawRoundedRect(QRectF(0, 0, 8, BLOCK_H), 4, 4)
        painter.setPen(_TEXT)
        painter.setFont(title_font())
        painter.drawText(QRectF(14, 4, BLOCK_W - 44, 18), Qt.AlignmentFlag.AlignLeft, self._title)
        painter.setFont(small_font())
        painter.setPen(self._color.darker(150))
        painter.drawText(
            QRectF(14, 21, BLOCK_W - 20, 16),
            Qt.AlignmentFlag.AlignLeft,
            f"{self._type}   {self._params}",
        )
        painter.setPen(_SHAPE_TEXT)
        painter.drawText(
            QRectF(14, 40, BLOCK_W - 20, 16), Qt.AlignmentFlag.AlignLeft, f"→ {self._shape}"
        )
        if self._frozen:
            self._paint_lock(painter)
        if self._severity:
            self._paint_badge(painter)
        self._paint_ports(painter)

    def _paint_badge(self, painter: QPainter) -> None:
        """A round badge with an exclamation mark drawn as a bar and a dot, not as a character:
        no font can lack it and show a box instead."""
        x, y = BADGE_CENTER
        painter.setPen(NO_PEN)
        painter.setBrush(self._badge_color())
        painter.drawEllipse(QPointF(x, y), BADGE_R, BADGE_R)
        painter.setBrush(_BADGE_MARK_ON_ERROR if self._severity == "error" else _TEXT)
        painter.drawRoundedRect(QRectF(x - 1.3, y - 5.5, 2.6, 7.0), 1.3, 1.3)
        painter.drawEllipse(QPointF(x, y + 4.3), 1.5, 1.5)

    def _paint_ports(self, painter: QPainter) -> None:
        painter.setPen(QPen(_PORT_EDGE, 1.2))
        for port in (*self.inputs, *self.outputs):
            if port is self._hover:
                painter.setBrush(_PORT_HOVER)
            else:
                painter.setBrush(_PORT_IN if port.is_input else _PORT_OUT)
            painter.drawEllipse(QPointF(port.x, port.y), PORT_R, PORT_R)

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
    def color(self) -> QColor:
        """The block's category colour (what the overview draws)."""
        return self._color

    @property
    def severity(self) -> str | None:
        """ "error", "warning" or None: what the badge shows."""
        return self._severity

    @property
    def frozen(self) -> bool:
        """True when the block is drawn as frozen (locked)."""
        return self._frozen
