"""Group frames: the natural grouping of a big network (an expanded nested model's layers, or
Keras' block names such as ``conv2_block1_``), drawn as a translucent named frame behind its
members when the view is zoomed out far enough that the blocks' own text is gone."""

from __future__ import annotations

import re
from collections.abc import Iterable

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from designer.core.graph import Node
from designer.core.layout import BLOCK_H, BLOCK_W
from designer.ui.canvas.style import LABEL_LOD, NO_PEN

# "conv2_block1_1_conv" -> "conv2_block1", "block_3_expand" -> "block_3", "block2a_se" -> ...
_BLOCK_PREFIX = re.compile(r"^(.*?block_?\d+[a-z]?)_.")
MARGIN = 16.0  # scene units of frame around the members
NAME_PX = 13.0  # on-screen pixel size of a group's name
_FILL, _NAME = QColor(30, 136, 229, 28), QColor("#0d47a1")
_EDGE_PEN = QPen(QColor(30, 136, 229, 150), 0)  # cosmetic: one pixel at any zoom
_LABEL_FILL = QColor(255, 255, 255, 215)


def group_name(node: Node) -> str | None:
    """The group a node belongs to: its ``group`` (an expanded nested model) or the block
    prefix of its name (``conv2_block1`` for ``conv2_block1_1_conv``), else None."""
    if node.group:
        return node.group
    match = _BLOCK_PREFIX.match(node.name)
    return match.group(1) if match else None


def find_groups(nodes: Iterable[Node]) -> dict[str, list[str]]:
    """Node ids by group name, for groups of two or more nodes."""
    groups: dict[str, list[str]] = {}
    for node in nodes:
        name = group_name(node)
        if name is not None:
            groups.setdefault(name, []).append(node.id)
    return {name: ids for name, ids in groups.items() if len(ids) > 1}


def frame_rect(corners: Iterable[tuple[float, float]]) -> QRectF:
    """The frame around blocks whose top-left corners are ``corners``."""
    xs, ys = zip(*corners, strict=True)
    return QRectF(
        min(xs) - MARGIN,
        min(ys) - MARGIN,
        max(xs) - min(xs) + BLOCK_W + 2 * MARGIN,
        max(ys) - min(ys) + BLOCK_H + 2 * MARGIN,
    )


class GroupLabel(QGraphicsItem):
    """A group's name beside its frame, the same size on screen at any zoom; a click on it
    asks the scene to collapse the group into one block (``collapseRequested``)."""

    def __init__(self, parent: GroupFrame, name: str) -> None:
        super().__init__(parent)
        self.name = name
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"{name}: click to collapse these layers into one block (Expand undoes)")
        font = QFont()
        font.setPixelSize(int(NAME_PX))
        font.setBold(True)
        self._font = font
        self._rect = QRectF(QFontMetricsF(font).boundingRect(name)).adjusted(-4, -2, 4, 2)
        self._rect.moveTo(0, 0)

    def boundingRect(self) -> QRectF:
        return self._rect

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        signal = getattr(scene, "collapseRequested", None)
        if signal is not None:
            signal.emit(self.name)
        event.accept()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(NO_PEN)
        painter.setBrush(_LABEL_FILL)
        painter.drawRoundedRect(self._rect, 3, 3)
        painter.setPen(_NAME)
        painter.setFont(self._font)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self.name)


class GroupFrame(QGraphicsItem):
    """A translucent frame behind a group's members, with its name beside it; the scene
    shows frames only while the view is zoomed out (:data:`LABEL_LOD`)."""

    def __init__(self, name: str, members: list[str], rect: QRectF) -> None:
        super().__init__()
        self.name, self.members = name, members
        self._rect = QRectF()
        self.setZValue(-2)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.label = GroupLabel(self, name)
        self.set_rect(rect)

    def set_rect(self, rect: QRectF) -> None:
        """Move or resize the frame (and its name)."""
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = QRectF(rect)
            self.label.setPos(rect.right() + MARGIN / 2, rect.top())

    def fit_label(self, zoom: float) -> None:
        """Show the name only where the frame is at least as tall as it on screen."""
        self.label.setVisible(self._rect.height() * zoom >= self.label.boundingRect().height())

    def rect(self) -> QRectF:
        """The frame in scene coordinates."""
        return QRectF(self._rect)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if option.levelOfDetailFromTransform(painter.worldTransform()) >= LABEL_LOD:
            return  # close up the blocks' own names say enough
        painter.setPen(_EDGE_PEN)
        painter.setBrush(_FILL)
        painter.drawRect(self._rect)
