"""The start page: a searchable gallery of zoo networks (like MATLAB's Deep Network Designer).

:class:`GalleryActions` adds File > New from Gallery... Opening a tile asks for options
(dialogs.OptionsDialog), builds the network in a worker with progress and Cancel
(designer.app.gallery.build_project), and hands the project to the shell's ``open_project``.
Missing pretrained weights offer random weights or a file. Above the networks, the bundled
sample projects (designer.app.gallery.SAMPLES: a network with its data and training options)
open at once; File > Open Sample lists them too.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
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
    SAMPLES,
    BuildRequest,
    WeightsMissing,
    blank_project,
    build_project,
    open_sample,
)
from designer.core.errors import ProjectError
from designer.ui.common.shell import Shell
from designer.ui.common.worker import run_with_progress, show_error
from designer.ui.gallery.dialogs import (
    MirrorSettingsDialog,
    OptionsDialog,
    WeightsMissingBox,
    apply_settings,
)
from designer.ui.gallery.tiles import (
    BLANK,
    TILE_W,
    Tile,
    blank_tile,
    entry_tile,
    sample_tile,
)
from designer.zoo.entry import TASKS


def open_sample_in(shell: Shell, name: str) -> bool:
    """Open the bundled sample ``name`` in ``shell`` after asking about unsaved changes;
    False when the user keeps the open project or the file cannot be read."""
    if not shell.ask_to_save():
        return False
    try:
        project = open_sample(name)
    except ProjectError as exc:
        show_error(shell.widget(), "Cannot open the sample", str(exc))
        return False
    shell.open_project(project, modified=False, ask=False)
    shell.show_status(f"Opened the sample {project.name}", 5000)
    return True


def _section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("color: #37474f; font-weight: bold; font-size: 10pt")
    return label


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
        self.samples: dict[str, Tile] = {s.name: sample_tile(s) for s in SAMPLES}
        for tile in self.samples.values():
            tile.activated.connect(self.open_sample)
        self.grid_host = QWidget()
        self.grid_host.setObjectName("gallery")
        self.grid_host.setStyleSheet("#gallery { background: #eceff1 }")
        self.grid = QGridLayout()
        self.grid.setSpacing(12)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._lay_out_sections()
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

    def _lay_out_sections(self) -> None:
        """Sample projects on top, then the grid of networks."""
        column = QVBoxLayout(self.grid_host)
        self.samples_title = _section_title(
            "Sample projects: a network with its data and training options, ready to train"
        )
        row = QHBoxLayout()
        row.setSpacing(12)
        for tile in self.samples.values():
            row.addWidget(tile)
        row.addStretch(1)
        self.networks_title = _section_title("Networks")
        for part in (self.samples_title, row, self.networks_title, self.grid):
            if isinstance(part, QLabel):
                column.addWidget(part)
            else:
                column.addLayout(part)
        column.addStretch(1)

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
        self._refilter_samples()

    def visible_samples(self) -> list[str]:
        """Names of the sample projects that match the search and task filter."""
        text, task = self.search.text().strip(), self.task.currentData()
        return [s.name for s in SAMPLES if s.matches(text, task)]

    def _refilter_samples(self) -> None:
        names = self.visible_samples()
        for name, tile in self.samples.items():
            tile.setVisible(name in names)
        self.samples_title.setVisible(bool(names))

    def _fit_columns(self) -> int:
        width = self.scroll.viewport().width() - 24
        return max(1, width // (TILE_W + self.grid.spacing()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Reflow the tiles when the number of columns changes (checked once the layout has
        given the scroll area its new width: on the first show it has not yet)."""
        super().resizeEvent(event)
        QTimer.singleShot(0, self._reflow)

    def _reflow(self) -> None:
        if self._fit_columns() != self._columns:
            self.refilter()

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

    def open_sample(self, name: str) -> None:
        """Open a bundled sample project at once (after asking about unsaved changes)."""
        if open_sample_in(self.shell, name):
            self.opened.emit(self.shell.document.project)
            self.accept()

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
        self.samples_menu = shell.menu("&File").addMenu("Open &Sample")
        for sample in SAMPLES:
            action = self.samples_menu.addAction(sample.title)
            action.setStatusTip(f"Open the sample project {sample.title} (network, data, options)")
            action.triggered.connect(
                lambda _checked=False, name=sample.name: open_sample_in(self.shell, name)
            )

    def show_start_page(self) -> StartPage:
        """Open the gallery (non-blocking)."""
        page = StartPage(self.shell)
        page.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        page.open()
        return page
