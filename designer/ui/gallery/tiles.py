"""The start page's tiles: a zoo network, the blank network and a bundled sample project,
each a small card with a schematic, a title and a few lines; click or Enter opens it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from designer import zoo
from designer.app.gallery import Sample
from designer.ui.gallery.diagram import Schematic, SchematicView, schematic
from designer.ui.gallery.dialogs import weights_status
from designer.zoo.entry import ZooEntry

BLANK = "__blank__"
TILE_W, TILE_H = 236, 178


def human_count(count: int) -> str:
    """1234567 -> '1.2 M', 61706 -> '61.7 k'."""
    if count >= 1e6:
        return f"{count / 1e6:.1f} M"
    return f"{count / 1e3:.1f} k" if count >= 1e3 else str(count)


def _shape_text(shape: tuple[int | None, ...]) -> str:
    return "x".join("?" if d is None else str(d) for d in shape)


class Tile(QFrame):
    """One network (or sample project) of the gallery; click (or Enter) opens it."""

    activated = Signal(str)  # entry name, BLANK, or a sample's name

    def __init__(
        self,
        name: str,
        title: str,
        year: str,
        lines: list[str],
        sketch: Schematic,
        tooltip: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.setObjectName("tile")
        self.setFixedSize(TILE_W, TILE_H)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(tooltip)
        self.setStyleSheet(
            "#tile { background: white; border: 1px solid #cfd8dc; border-radius: 6px }"
            "#tile:hover, #tile:focus { border: 2px solid #1e88e5 }"
            "QLabel { background: transparent; color: #455a64; font-size: 9pt }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.setSpacing(1)
        layout.addWidget(SchematicView(sketch))
        head = QHBoxLayout()
        self.title = QLabel()
        self.title.setStyleSheet("color: #111; font-weight: bold; font-size: 10pt")
        year_label = QLabel(year)
        head.addWidget(self.title, 1)
        head.addWidget(year_label)
        layout.addLayout(head)
        room = TILE_W - 20 - year_label.sizeHint().width()
        self.title.setText(
            self.title.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, room)
        )
        self.title.setToolTip(title)
        self.lines: list[QLabel] = []
        for text in lines:
            label = QLabel()
            label.setText(
                label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, TILE_W - 18)
            )
            layout.addWidget(label)
            self.lines.append(label)
        self.lines[-1].setStyleSheet("color: #263238")
        layout.addStretch(1)
        for child in self.findChildren(QLabel):
            child.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """A left click opens the network."""
        inside = self.rect().contains(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and inside:
            self.activated.emit(self.name)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter or Space opens the network."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.name)
            return
        super().keyPressEvent(event)


def entry_tile(entry: ZooEntry) -> Tile:
    """The tile of a zoo entry: schematic, name, year and figures from zoo.entry_stats."""
    stats = zoo.entry_stats(entry.name)
    size = f"{_shape_text(stats.input_shape)} input"
    quality = (
        f"top-1 {entry.imagenet_top1:.1f} %" if entry.imagenet_top1 else entry.task.capitalize()
    )
    source = "Bundled weights" if entry.bundled_weights else "ImageNet weights"
    weights = (
        f"{source} ({weights_status(entry)})" if entry.has_pretrained else "No pretrained weights"
    )
    tooltip = f"{entry.description}\n\n{entry.citation}" + (
        f"\n\n{entry.notes}" if entry.notes else ""
    )
    lines = [
        f"{human_count(stats.params)} parameters \u00b7 depth {stats.weighted_layers}",
        f"{size} \u00b7 {quality}",
        weights,
        entry.description,
    ]
    return Tile(
        entry.name,
        entry.display_name,
        str(entry.year),
        lines,
        schematic(entry.family, entry.task, stats.weighted_layers),
        tooltip,
    )


def blank_tile() -> Tile:
    """The tile that opens an empty network with one image input."""
    from designer.core import catalog
    from designer.ui.gallery.diagram import Block

    return Tile(
        BLANK,
        "Blank network",
        "",
        [
            "Start from an empty canvas",
            "One image input (28x28x1)",
            "Add layers from the Layer Library",
            "",
        ],
        Schematic((Block(catalog.INPUT, 0.6),)),
        "An empty project with one Image input",
    )


def sample_tile(sample: Sample) -> Tile:
    """The tile of a bundled sample project."""
    return Tile(
        sample.name,
        sample.title,
        "Sample",
        list(sample.lines),
        schematic(sample.family, sample.task, sample.depth),
        f"{sample.title}: the network with its data and training options "
        f"(designer/resources/samples/{sample.name}.json); opens at once, ready to train",
    )
