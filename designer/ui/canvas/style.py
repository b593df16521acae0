"""What the canvas draws with: category colours, the block fonts, and the level-of-detail
thresholds that decide what a zoomed-out view leaves out.

A level of detail (``QStyleOptionGraphicsItem.levelOfDetailFromTransform``) is the number of
screen pixels per scene unit. Below :data:`LABEL_LOD` the block text would be under about four
pixels high: blocks are drawn as coloured boxes, ports, badges' marks and link labels are left
out, links are straight lines, and the group frames show instead. Below :data:`SKETCH_LOD` a
block is a few pixels: one sketch of the whole network is drawn instead of the items.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QGuiApplication, QPen

from designer.core import catalog
from designer.core.layout import BLOCK_W

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
LABEL_LOD = 0.4  # below this zoom blocks are coloured boxes and links plain lines
SKETCH_LOD = 0.1  # below this one sketch of the network is drawn instead of the items
READABLE_PX = 9.0  # the smallest block text is at least this high at the readable zoom
PORT_R = 6.0  # radius of a port circle
PORT_HIT = PORT_R + 3  # how close the mouse must be to a port's centre to take it
ERROR_COLOR, WARNING_COLOR = QColor("#d62728"), QColor("#f2b705")
BADGE_CENTER, BADGE_R = (BLOCK_W - 12.0, 12.0), 8.0  # a block's issue badge, in its coordinates
# The mark before an issue's sentence (tooltips, lists): a symbol the usual fonts have (an emoji
# such as U+26D4 shows as an empty box without an emoji font), else a plain character.
ISSUE_MARKS = {"error": ("\u2716", "x"), "warning": ("\u26a0", "!")}
LINK_COLOR, SELECTED_COLOR = QColor("#607d8b"), QColor("#1e88e5")
# Reused objects: PySide6 6.12 mis-counts references when painter.setBrush/setPen receive the
# enum overloads (Qt.BrushStyle.NoBrush) thousands of times ("deallocating None" crash).
NO_BRUSH = QBrush()
NO_PEN = QPen(Qt.PenStyle.NoPen)


def category_color(category: str) -> QColor:
    """The colour of a layer category."""
    return QColor(CATEGORY_COLORS.get(category, "#95a5a6"))


@cache
def title_font() -> QFont:
    """The bold font of a block's name."""
    font = QFont()
    font.setBold(True)
    font.setPointSizeF(9.5)
    return font


@cache
def small_font() -> QFont:
    """The font of a block's type, parameters and shape lines (the smallest block text)."""
    font = QFont()
    font.setPointSizeF(8)
    return font


@cache
def link_font() -> QFont:
    """The font of the tensor shape written on a link."""
    font = QFont()
    font.setPointSizeF(7.5)
    return font


def block_text_px() -> float:
    """Pixel height (em size) of the smallest block text at zoom 1 on this screen."""
    screen = QGuiApplication.primaryScreen()
    dpi = screen.logicalDotsPerInchY() if screen is not None else 96.0
    return small_font().pointSizeF() * dpi / 72.0


def readable_zoom() -> float:
    """The zoom at which the smallest block text is :data:`READABLE_PX` high on screen."""
    return READABLE_PX / max(1.0, block_text_px())


@cache
def issue_mark(severity: str) -> str:
    """The mark of an ``"error"`` or ``"warning"`` line: the first of :data:`ISSUE_MARKS` that
    the application's font draws (a font without it would show an empty box)."""
    metrics = QFontMetrics(QGuiApplication.font())
    candidates = ISSUE_MARKS.get(severity, ISSUE_MARKS["warning"])
    return next((m for m in candidates if metrics.inFontUcs4(ord(m))), candidates[-1])
