"""The colour-map editor of the import dialog: one colour swatch per segmentation class."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.data.segmentation import default_colormap

RGB = tuple[int, int, int]
COLUMNS = 3  # classes per row


class ColormapEditor(QWidget):
    """A colour per class name (swatch buttons) and whether the masks are colour images.

    ``changed`` fires when the user picks a colour or toggles the colour-mask choice;
    ``set_names`` (filling the rows) does not fire it.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.colour_masks = QCheckBox("masks are colour images (a pixel's colour gives its class)")
        layout.addWidget(self.colour_masks)
        self.hint = QLabel("Type the class names (or Scan) to choose a colour per class.")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(2 * COLUMNS, 1)  # rows stay packed to the left
        layout.addLayout(self.grid)
        self.names: list[str] = []
        self._colours: list[RGB] = []
        self.swatches: list[QPushButton] = []
        self._labels: list[QLabel] = []
        self._edited: set[int] = set()  # rows whose colour the user chose
        self.colour_masks.toggled.connect(self.changed)

    def set_names(self, names: Sequence[str]) -> None:
        """One row per class name; chosen colours stay with their row, new rows get defaults."""
        names = list(names)
        if names == self.names:
            return
        defaults = default_colormap(len(names))
        self._colours = [
            self._colours[k] if k in self._edited else defaults[k] for k in range(len(names))
        ]
        self._edited = {k for k in self._edited if k < len(names)}
        self.names = names
        for widget in self.swatches + self._labels:
            self.grid.removeWidget(widget)
            widget.deleteLater()
        self.swatches, self._labels = [], []
        for k, name in enumerate(names):
            label = QLabel(f"{k}: {name}")
            label.setContentsMargins(12 if k % COLUMNS else 0, 0, 0, 0)
            swatch = QPushButton()
            swatch.setFixedSize(44, 20)
            swatch.setToolTip(
                f"Colour of class '{name}' in the masks and previews; click to change"
            )
            swatch.clicked.connect(lambda _=False, k=k: self.choose(k))
            row, col = divmod(k, COLUMNS)
            self.grid.addWidget(label, row, 2 * col)
            self.grid.addWidget(swatch, row, 2 * col + 1)
            self._labels.append(label)
            self.swatches.append(swatch)
            self._paint(k)
        self.hint.setVisible(not names)

    def set_colormap(self, colours: Sequence[Sequence[int]] | None) -> None:
        """Take the colours of a stored colour map (rows must be set first; extra ones ignored)."""
        for k, colour in enumerate(list(colours or [])[: len(self.names)]):
            self._colours[k] = _rgb(colour)
            self._edited.add(k)
            self._paint(k)

    def colours(self) -> list[RGB]:
        """The colour of every row, in class order."""
        return list(self._colours)

    def set_colour(self, index: int, colour: Sequence[int]) -> None:
        """Give class ``index`` a colour (what picking it in the colour dialog does)."""
        if not 0 <= index < len(self.names):
            raise IndexError(
                f"expected a class index in 0..{len(self.names) - 1}, received {index}"
            )
        rgb = _rgb(colour)
        self._edited.add(index)
        if rgb == self._colours[index]:
            return
        self._colours[index] = rgb
        self._paint(index)
        self.changed.emit()

    def choose(self, index: int) -> None:
        """Open the colour dialog for class ``index``."""
        chosen = QColorDialog.getColor(
            QColor(*self._colours[index]), self, f"Colour of class '{self.names[index]}'"
        )
        if chosen.isValid():
            self.set_colour(index, (chosen.red(), chosen.green(), chosen.blue()))

    def _paint(self, index: int) -> None:
        r, g, b = self._colours[index]
        self.swatches[index].setStyleSheet(
            f"background-color: rgb({r}, {g}, {b}); border: 1px solid #666;"
        )


def _rgb(colour: Sequence[int]) -> RGB:
    values = [int(v) for v in colour]
    if len(values) != 3 or not all(0 <= v <= 255 for v in values):
        raise ValueError(f"expected an RGB colour of three values 0..255, received {tuple(colour)}")
    return values[0], values[1], values[2]
