"""Small pictures of data: uint8 arrays as QImages, a captioned thumbnail grid, class-count bars."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from designer.data.summary import DataError


def array_to_qimage(array: np.ndarray) -> QImage:
    """A uint8 (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array as a QImage (a copy)."""
    arr = np.asarray(array)
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        fmt, channels = QImage.Format.Format_Grayscale8, 1
    elif arr.ndim == 3 and arr.shape[-1] in (3, 4):
        channels = arr.shape[-1]
        fmt = QImage.Format.Format_RGB888 if channels == 3 else QImage.Format.Format_RGBA8888
    else:
        raise DataError(
            f"expected an image array (H, W) or (H, W, 1/3/4), received shape {arr.shape}"
        )
    arr = np.ascontiguousarray(arr)
    h, w = arr.shape[:2]
    return QImage(arr.data, w, h, w * channels, fmt).copy()


def thumbnail(array: np.ndarray, size: int) -> QPixmap:
    """The image scaled to fit ``size`` pixels, keeping its aspect (pixelated when enlarged)."""
    image = array_to_qimage(array)
    mode = (
        Qt.TransformationMode.FastTransformation
        if max(image.width(), image.height()) < size
        else Qt.TransformationMode.SmoothTransformation
    )
    return QPixmap.fromImage(image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, mode))


class ThumbnailGrid(QWidget):
    """Images with a caption under each, ``columns`` per row."""

    def __init__(
        self,
        columns: int = 4,
        size: int = 72,
        parent: QWidget | None = None,
        adaptive: bool = False,
    ) -> None:
        super().__init__(parent)
        self.columns, self.thumb_size, self.adaptive = columns, size, adaptive
        self._cells: list[QWidget] = []
        if adaptive:  # let the parent make it narrower than the current columns need
            self.setMinimumWidth(size + 8)
            self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._grid = QGridLayout(self)
        self._grid.setSpacing(4)
        self._grid.setContentsMargins(2, 2, 2, 2)
        self.captions: list[str] = []
        self.images: list[np.ndarray] = []

    def clear(self) -> None:
        """Remove every thumbnail."""
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.captions = []
        self.images = []
        self._cells = []

    def resizeEvent(self, event: object) -> None:
        """With ``adaptive``, as many columns as the width holds."""
        super().resizeEvent(event)
        if not self.adaptive:
            return
        columns = max(1, (self.width() - 4) // (self.thumb_size + self._grid.spacing()))
        if columns != self.columns:
            self.columns = columns
            for i, cell in enumerate(self._cells):
                self._grid.addWidget(cell, i // columns, i % columns)

    def set_images(
        self, images: Sequence[np.ndarray], captions: Sequence[str] | None = None
    ) -> None:
        """Show ``images`` (uint8 arrays) with ``captions`` (one per image, or none)."""
        self.clear()
        captions = list(captions) if captions is not None else [""] * len(images)
        for i, (img, text) in enumerate(zip(images, captions, strict=True)):
            cell = QWidget()
            box = QVBoxLayout(cell)
            box.setContentsMargins(0, 0, 0, 0)
            box.setSpacing(1)
            picture = QLabel()
            picture.setPixmap(thumbnail(img, self.thumb_size))
            picture.setFixedSize(self.thumb_size, self.thumb_size)
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            picture.setStyleSheet("background: #202020;")
            box.addWidget(picture)
            if text:
                label = QLabel(text)
                label.setAlignment(Qt.AlignmentFlag.AlignCenter)
                label.setMaximumWidth(self.thumb_size)
                label.setToolTip(text)
                box.addWidget(label)
            self._grid.addWidget(cell, i // self.columns, i % self.columns)
            self._cells.append(cell)
        self.captions = captions
        self.images = [np.asarray(img) for img in images]


class ClassBars(QWidget):
    """A horizontal bar per class with its name and count (the largest bar fills the width)."""

    ROW = 16

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts: dict[str, int] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_counts(self, counts: dict[str, int]) -> None:
        """Show ``counts`` (class name -> samples)."""
        self.counts = dict(counts)
        self.setFixedHeight(max(1, len(self.counts)) * self.ROW + 4)
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        """Room for every class."""
        return QSize(240, max(1, len(self.counts)) * self.ROW + 4)

    def paintEvent(self, event: object) -> None:
        """Draw the bars."""
        if not self.counts:
            return
        painter = QPainter(self)
        metrics = painter.fontMetrics()
        name_w = min(120, max(metrics.horizontalAdvance(n) for n in self.counts) + 6)
        count_w = metrics.horizontalAdvance(str(max(self.counts.values()))) + 8
        bar_w = max(10, self.width() - name_w - count_w - 4)
        top = max(self.counts.values()) or 1
        small = min(self.counts.values())
        for row, (name, n) in enumerate(self.counts.items()):
            y = 2 + row * self.ROW
            painter.setPen(self.palette().text().color())
            painter.drawText(
                QRectF(0, y, name_w - 4, self.ROW),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                metrics.elidedText(name, Qt.TextElideMode.ElideRight, name_w - 6),
            )
            colour = (
                QColor("#d9822b") if n == small and top >= 3 * max(small, 1) else QColor("#3b7dd8")
            )
            painter.fillRect(QRectF(name_w, y + 2, bar_w * n / top, self.ROW - 4), colour)
            painter.drawText(
                QRectF(name_w + bar_w * n / top + 3, y, count_w, self.ROW),
                Qt.AlignmentFlag.AlignVCenter,
                str(n),
            )
        painter.end()
