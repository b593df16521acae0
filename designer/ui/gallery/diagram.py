"""Tiny schematic of a zoo network for a gallery tile: stacked layer blocks, coloured by kind.

The schematic is derived cheaply from the entry's family, task and depth (no model is built):
blocks shrink as the spatial size shrinks, residual families get skip arcs, inception-like
families get parallel branches, segmentation nets get a U shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from designer.core import catalog
from designer.ui.canvas.items import CATEGORY_COLORS

RESIDUAL = {"ResNet", "ConvNeXt", "DenseNet", "MobileNet", "EfficientNet", "EfficientNetV2"}
BRANCHED = {"Inception", "NASNet", "SqueezeNet"}
NORMALISED = RESIDUAL | BRANCHED | {"Regression CNN", "Temporal CNN", "SegNet"}


@dataclass(frozen=True)
class Block:
    """One drawn block: a layer category, a relative height in (0, 1] and parallel branches."""

    category: str
    height: float
    branches: int = 1


@dataclass(frozen=True)
class Schematic:
    """Blocks from input to output and skip arcs between block indices."""

    blocks: tuple[Block, ...]
    arcs: tuple[tuple[int, int], ...] = ()


def _stages(depth: int, low: int = 2, high: int = 5) -> int:
    return max(low, min(high, round(math.log2(max(depth, 2)))))


def schematic(family: str, task: str, depth: int) -> Schematic:
    """The schematic of a network of this family/task with ``depth`` weighted layers."""
    inp = Block(catalog.INPUT, 1.0)
    out = Block(catalog.ACT, 0.22)
    if family == "Recurrent" or (task == "sequence" and family != "Temporal CNN"):
        rnn = [Block(catalog.RNN, 0.7) for _ in range(max(1, min(3, depth - 1)))]
        return Schematic((Block(catalog.INPUT, 0.7), *rnn, Block(catalog.CONV, 0.3), out))
    if task == "segmentation":
        n = _stages(depth, 3, 4)
        down = [Block(catalog.CONV, 0.95 - 0.17 * i) for i in range(n)]
        up = [Block(catalog.CONV, 0.95 - 0.17 * i) for i in reversed(range(n))]
        blocks = (inp, *down, Block(catalog.CONV, 0.95 - 0.17 * n), *up, Block(catalog.ACT, 1.0))
        arcs = tuple((1 + i, len(blocks) - 2 - i) for i in range(n)) if family == "U-Net" else ()
        return Schematic(blocks, arcs)
    if family == "Temporal CNN":
        convs = [Block(catalog.CONV, 0.55) for _ in range(3)]
        return Schematic((Block(catalog.INPUT, 0.55), *convs, Block(catalog.POOL, 0.3), out))
    blocks: list[Block] = [inp]
    arcs: list[tuple[int, int]] = []
    for s in range(_stages(depth)):
        h = 0.9 * 0.8**s
        if family in BRANCHED:
            blocks += [Block(catalog.CONV, h, 3), Block(catalog.MERGE, h)]
        elif family in RESIDUAL:
            start = len(blocks) - 1
            blocks += [Block(catalog.CONV, h), Block(catalog.NORM, h), Block(catalog.CONV, h)]
            arcs.append((start, len(blocks) - 1))
        else:
            blocks.append(Block(catalog.CONV, h))
            if family in NORMALISED:
                blocks.append(Block(catalog.NORM, h))
            blocks.append(Block(catalog.POOL, h * 0.8))
    dense = 1 if family in RESIDUAL | BRANCHED else 2
    blocks += [Block(catalog.CONV, 0.45 - 0.1 * i) for i in range(dense)]
    blocks.append(out if task != "regression" else Block(catalog.OTHER, 0.15))
    return Schematic(tuple(blocks), tuple(arcs))


def paint_schematic(painter: QPainter, rect: QRectF, sketch: Schematic) -> None:
    """Draw ``sketch`` into ``rect``: blocks left to right, arcs above them."""
    n = len(sketch.blocks)
    if n == 0:
        return
    arc_room = rect.height() * 0.22 if sketch.arcs else 0.0
    body = QRectF(rect.left(), rect.top() + arc_room, rect.width(), rect.height() - arc_room)
    step = body.width() / n
    width = max(2.0, min(14.0, step * 0.7))
    centre_y = body.center().y()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    tops: list[QPointF] = []
    for i, block in enumerate(sketch.blocks):
        colour = QColor(CATEGORY_COLORS.get(block.category, "#95a5a6"))
        x = body.left() + step * i + (step - width) / 2
        height = body.height() * block.height
        painter.setPen(QPen(colour.darker(140), 0.8))
        painter.setBrush(colour)
        if block.branches > 1:
            gap = 1.5
            part = (height - gap * (block.branches - 1)) / block.branches
            for b in range(block.branches):
                y = centre_y - height / 2 + b * (part + gap)
                painter.drawRoundedRect(QRectF(x, y, width, part), 1.5, 1.5)
        else:
            painter.drawRoundedRect(QRectF(x, centre_y - height / 2, width, height), 2, 2)
        tops.append(QPointF(x + width / 2, centre_y - height / 2))
    painter.setBrush(QBrush())
    painter.setPen(QPen(QColor("#607d8b"), 1.1))
    for a, b in sketch.arcs:
        start, end = tops[a], tops[b]
        peak = rect.top() + 1
        path = QPainterPath(start)
        path.cubicTo(QPointF(start.x(), peak), QPointF(end.x(), peak), end)
        painter.drawPath(path)


class SchematicView(QWidget):
    """A small widget that paints one schematic (the picture of a gallery tile)."""

    def __init__(self, sketch: Schematic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sketch = sketch
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(62)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def sizeHint(self) -> QSize:
        """Room for a dozen blocks."""
        return QSize(200, 62)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the schematic on a light background."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#f5f7f9"))
        paint_schematic(painter, QRectF(self.rect()).adjusted(6, 4, -6, -4), self.sketch)
        painter.end()
