"""The start page: a searchable gallery of zoo networks (like MATLAB's Deep Network Designer).

:class:`GalleryActions` adds File > New from Gallery... Opening a tile asks for options
(dialogs.OptionsDialog), builds the network in a worker with progress and Cancel
(designer.app.gallery.build_project), and hands the project to the shell's ``open_project``.
Missing pretrained weights offer random weights or a file.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from designer import zoo
from designer.app.gallery import (
    BuildRequest,
    WeightsMissing,
    blank_project,
    build_project,
)
from designer.ui.common.shell import Shell
from designer.ui.common.worker import run_with_progress
from designer.ui.gallery.diagram import Schematic, SchematicView, schematic
from designer.ui.gallery.dialogs import (
    MirrorSettingsDialog,
    OptionsDialog,
    WeightsMissingBox,
    apply_settings,
    weights_status,
)
from designer.zoo.entry import TASKS, ZooEntry

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
    """One network of the gallery; click (or Enter) opens it."""

    activated = Signal(str)  # entry name, or BLANK

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


class StartPage(QDialog):
    """The gallery dialog: search, task filter, tiles, weights settings; opens into the shell."""

    opened = Signal(object)  # the Project handed to shell.open_project

    def __init__(
        self, shell: Shell, settings: QSettings | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent if parent is not None else shell.widget())
        self.shell = shell
        self.settings = settings if settings is not None else app_settings()
        apply_settings(self.settings)
        self.setWindowTitle("Network Designer: Start Page")
        self.resize(1060, 720)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search networks (name, family, year, paper...)")
        self.search.setClearButtonEnabled(True)
        self.task = QComboBox()
        self.task.addItem("All tasks", None)
        for task in TASKS:
            self.task.addItem(task.capitalize(), task)
        self.count = QLabel()
        settings_button = QPushButton("Settings...")
        settings_button.setToolTip("Where pretrained weights come from (mirror, offline)")
        settings_button.clicked.connect(self.show_settings)
        self.settings_button = settings_button
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.task)
        bar.addWidget(self.count)
        bar.addWidget(settings_button)
        self.tiles: dict[str, Tile] = {BLANK: blank_tile()}
        for entry in zoo.list_entries():
            self.tiles[entry.name] = entry_tile(entry)
        for tile in self.tiles.values():
            tile.activated.connect(self.open_tile)
        self.grid_host = QWidget()
        self.grid_host.setObjectName("gallery")
        self.grid_host.setStyleSheet("#gallery { background: #eceff1 }")
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(12)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.grid_host)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        self._columns = 0
        self.search.textChanged.connect(self.refilter)
        self.task.currentIndexChanged.connect(self.refilter)
        self.options_dialog: OptionsDialog | None = None
        self.weights_box: WeightsMissingBox | None = None
        self.file_dialog: QFileDialog | None = None
        self._worker: Any = None
        self.refilter()

    # ------------------------------------------------------------------ the grid
    def visible_names(self) -> list[str]:
        """Names of the tiles that match the search and task filter, in gallery order."""
        text = self.search.text().strip()
        matches = [
            e.name for e in zoo.list_entries(task=self.task.currentData(), search=text or None)
        ]
        words = text.lower().split()
        if all(w in "blank empty new network" for w in words):
            matches.insert(0, BLANK)
        return matches

    def refilter(self) -> None:
        """Show only the matching tiles, reflowed into the grid."""
        names = self.visible_names()
        while self.grid.count():
            self.grid.takeAt(0)
        columns = self._fit_columns()
        for tile in self.tiles.values():
            tile.setVisible(False)
        for i, name in enumerate(names):
            tile = self.tiles[name]
            self.grid.addWidget(tile, i // columns, i % columns)
            tile.setVisible(True)
        self._columns = columns
        shown = len([n for n in names if n != BLANK])
        self.count.setText(f"{shown} of {len(self.tiles) - 1} networks")

    def _fit_columns(self) -> int:
        width = self.scroll.viewport().width() - 24
        return max(1, width // (TILE_W + self.grid.spacing()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Reflow the tiles when the number of columns changes."""
        super().resizeEvent(event)
        if self._fit_columns() != self._columns:
            QTimer.singleShot(0, self.refilter)

    # ------------------------------------------------------------------ opening
    def open_tile(self, name: str) -> None:
        """The options step for a zoo entry, or the blank project at once."""
        if name == BLANK:
            if self.shell.ask_to_save():
                self._hand_over(blank_project())
            return
        dialog = OptionsDialog(zoo.get_entry(name), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.build(dialog.request()))
        self.options_dialog = dialog
        dialog.open()

    def build(self, request: BuildRequest) -> None:
        """Build ``request`` in a worker with a progress dialog; then open it or ask about weights.
        Unsaved changes of the open project are asked about first, before anything is built."""
        if not self.shell.ask_to_save():
            return  # the user keeps the current project; stay on the gallery
        title = f"Opening {zoo.get_entry(request.entry).display_name}"
        self.scroll.setEnabled(False)  # one network at a time
        worker = run_with_progress(
            self,
            title,
            lambda reporter: build_project(request, reporter),
            self.shell.tasks,
            self._built,
        )
        for signal in (worker.finished, worker.failed, worker.cancelled):
            signal.connect(self._build_ended)
        self._worker = worker

    @Slot()
    def _build_ended(self) -> None:
        self.scroll.setEnabled(True)

    def _built(self, result: Any) -> None:
        if self._worker is not None and self._worker.token.cancelled:
            return  # Cancel was pressed after the work had ended: drop the result
        if isinstance(result, WeightsMissing):
            self._ask_for_weights(result)
        else:
            self._hand_over(result)

    def _hand_over(self, project: Any) -> None:
        # Asked before the build; a network fresh from the gallery has nothing to save yet.
        self.shell.open_project(project, modified=False, ask=False)
        self.opened.emit(project)
        self.shell.show_status(f"Opened {project.name}", 5000)
        self.accept()

    def _ask_for_weights(self, missing: WeightsMissing) -> None:
        name = zoo.get_entry(missing.request.entry).display_name
        box = WeightsMissingBox(name, missing.message, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.weights_box = box

        def chosen() -> None:
            clicked = box.clickedButton()
            if clicked is box.random_button:
                self.build(missing.request.with_weights(None))
            elif clicked is box.file_button:
                self._choose_weights_file(missing.request)

        box.finished.connect(chosen)
        box.open()

    def _choose_weights_file(self, request: BuildRequest) -> None:
        dialog = QFileDialog(
            self,
            "Load weights from file",
            "",
            "Keras weights (*.weights.h5 *.h5 *.hdf5 *.keras);;All files (*)",
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self.build(request.with_weights(path)))
        self.file_dialog = dialog
        dialog.open()

    def show_settings(self) -> MirrorSettingsDialog:
        """The weights mirror / offline settings; tiles show the new weights status after OK."""
        dialog = MirrorSettingsDialog(self.settings, self)
        dialog.accepted.connect(self._refresh_tiles)
        dialog.open()
        return dialog

    def _refresh_tiles(self) -> None:
        for entry in zoo.list_entries():
            old = self.tiles[entry.name]
            tile = entry_tile(entry)
            tile.activated.connect(self.open_tile)
            self.tiles[entry.name] = tile
            old.deleteLater()
        self.refilter()


def app_settings() -> QSettings:
    """The application's settings (the same store as the recent-files list)."""
    return QSettings("NetworkDesigner", "NetworkDesigner")


class GalleryActions(QObject):
    """File > New from Gallery... (Ctrl+Shift+N) of a main window."""

    def __init__(self, shell: Shell) -> None:
        super().__init__(shell.widget())
        self.shell = shell
        apply_settings(app_settings())
        self.action = QAction("New from &Gallery...", self)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.action.setStatusTip(
            "Start from a network of the gallery (LeNet-5, ResNet, U-Net, ...)"
        )
        self.action.triggered.connect(self.show_start_page)
        shell.menu("&File").addAction(self.action)

    def show_start_page(self) -> StartPage:
        """Open the gallery (non-blocking)."""
        page = StartPage(self.shell)
        page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        page.open()
        return page
