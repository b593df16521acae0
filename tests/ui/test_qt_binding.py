"""The pinned Qt binding must not leak references to None.

PySide6 6.12.0 drops one reference to None on every call of a method that returns nothing
(QPainter.setPen, drawPath, ...). On Python 3.11, where None is not immortal, a canvas that
repaints for a while then aborts with "deallocating None". pyproject.toml pins 6.11.3 for this.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen


def test_void_qt_calls_keep_none_alive(qapp) -> None:
    image = QImage(64, 64, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    path = QPainterPath(QPointF(0, 0))
    path.lineTo(QPointF(10, 10))
    pen = QPen(QColor("#123456"), 2)
    before = sys.getrefcount(None)
    for _ in range(2000):
        painter.setPen(pen)
        painter.drawPath(path)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.end()
    assert sys.getrefcount(None) >= before - 50
