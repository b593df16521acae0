"""The Activations dock: the feature maps of a layer for one input, as a grid of channels.

The layer follows the block selected on the canvas (like Properties) or is chosen in the
list; the input is any sample of the project's data (number, "Next sample") or an image file.
Clicking a channel shows it enlarged with its range of values. Building the network, opening
the data and running the layer happen in a worker (``designer/ui/common/worker.py``).

Installed by the main window with ``ActivationsActions(shell)`` (or :func:`install`): a dock
"Activations" (hidden until Insight > Activations, with a toggle in the View menu).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QMouseEvent, QPixmap, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from designer.app.insight_runs import ActivationInput, ActivationSession
from designer.core.node import EventKind, GraphEvent
from designer.ui.common.shell import Shell
from designer.ui.common.worker import TaskRunner, Worker
from designer.ui.data.thumbs import array_to_qimage
from designer.ui.document.document import Document

RED = "#c62828"
#: Layer types the dock starts on when nothing is selected (the first one found).
PREFERRED = ("Conv2D", "Conv1D", "DepthwiseConv2D", "SeparableConv2D", "Conv3D")


class MapGrid(QLabel):
    """The grid picture, scaled up by a whole factor; a click names the channel under it."""

    channelClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setObjectName("activation_grid")
        self.layout_info: Any = None  # designer.insight.activations.GridLayout
        self.factor = 1
        self.picture: np.ndarray | None = None

    def show_grid(self, picture: np.ndarray, layout: Any, width: int) -> None:
        """Show ``picture`` as large as ``width`` allows (1 to 16 screen pixels a pixel)."""
        self.picture, self.layout_info = picture, layout
        self.factor = int(max(1, min(16, width // max(1, picture.shape[1]))))
        self._render()

    def rescale(self, width: int) -> None:
        """Fit the picture to a new width."""
        if self.picture is not None:
            self.show_grid(self.picture, self.layout_info, width)

    def _render(self) -> None:
        assert self.picture is not None
        h, w = self.picture.shape[:2]
        image = array_to_qimage(self.picture)
        self.setPixmap(QPixmap.fromImage(image.scaled(w * self.factor, h * self.factor)))
        self.resize(w * self.factor, h * self.factor)

    def channel_at(self, x: float, y: float) -> int | None:
        """The channel under widget pixel (x, y), or None."""
        if self.layout_info is None:
            return None
        return self.layout_info.tile_at(x / self.factor, y / self.factor)

    def tile_center(self, channel: int) -> tuple[int, int]:
        """Widget pixel at the middle of ``channel``'s tile (for tests and tooltips)."""
        y, x = self.layout_info.tile_origin(channel)
        f = self.factor
        return (
            int((x + self.layout_info.tile_width / 2) * f),
            int((y + self.layout_info.tile_height / 2) * f),
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        channel = self.channel_at(event.position().x(), event.position().y())
        if channel is not None and event.button() == Qt.MouseButton.LeftButton:
            self.channelClicked.emit(channel)
        super().mousePressEvent(event)


class ActivationsPanel(QWidget):
    """Layer and input choices, the grid of feature maps, and one channel enlarged."""

    shown = Signal(str)  # the layer whose maps are now on show
    failed = Signal(str)

    def __init__(
        self,
        document: Document,
        tasks: TaskRunner,
        scene: Any = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document, self.tasks, self.scene = document, tasks, scene
        self.session: ActivationSession | None = None
        self._stale = "all"  # "all", "model" (graph edited), "settings" or "" (up to date)
        self.worker: Worker | None = None
        self._pending = False
        self.maps: np.ndarray | None = None
        self.current: ActivationInput | None = None
        self.layer = ""
        self.channel: int | None = None
        self.image_path = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        self._make_widgets()
        self._layout()
        self._connect()
        self._fill_layers()

    # ------------------------------------------------------------------ widgets
    def _make_widgets(self) -> None:
        self.layer_box = QComboBox()
        self.layer_box.setObjectName("activation_layer")
        self.follow_check = QCheckBox("Follow the canvas selection")
        self.follow_check.setChecked(True)
        self.source_box = QComboBox()
        self.source_box.addItem("Sample of the project's data", "data")
        self.source_box.addItem("Image file", "file")
        self.sample_spin = QSpinBox()
        self.sample_spin.setRange(0, 0)
        self.next_button = QPushButton("Next sample")
        self.file_button = QPushButton("Open Image…")
        self.input_picture = QLabel()
        self.input_picture.setFixedSize(QSize(72, 72))
        self.input_picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.input_caption = QLabel("")
        self.input_caption.setWordWrap(True)
        self.status = QLabel("Choose a layer.")
        self.status.setObjectName("activation_status")
        self.status.setWordWrap(True)
        self.grid = MapGrid()
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.grid)
        self.scroll.setWidgetResizable(False)
        self.scroll.setMinimumHeight(160)
        self.scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.enlarged = QLabel()
        self.enlarged.setObjectName("activation_channel")
        self.enlarged.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.enlarged.setMinimumSize(QSize(160, 120))
        self.range_label = QLabel("Click a channel to enlarge it.")
        self.range_label.setObjectName("activation_range")
        self.range_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Layer:", self.layer_box)
        form.addRow("", self.follow_check)
        form.addRow("Input:", self.source_box)
        row = QHBoxLayout()
        row.addWidget(self.sample_spin, 1)
        row.addWidget(self.next_button)
        row.addWidget(self.file_button)
        form.addRow("Sample:", row)
        inp = QHBoxLayout()
        inp.addWidget(self.input_picture)
        inp.addWidget(self.input_caption, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(inp)
        layout.addWidget(self.status)
        layout.addWidget(self.scroll, 3)
        layout.addWidget(self.enlarged, 2)
        layout.addWidget(self.range_label)
        self._source_changed()

    def _connect(self) -> None:
        self.layer_box.activated.connect(lambda _i: self.request())
        self.source_box.currentIndexChanged.connect(self._source_changed)
        self.sample_spin.valueChanged.connect(lambda _v: self.request())
        self.next_button.clicked.connect(self.next_sample)
        self.file_button.clicked.connect(self.choose_image)
        self.grid.channelClicked.connect(self.show_channel)
        self.document.graphChanged.connect(self._graph_changed)
        self.document.settingsChanged.connect(lambda _s: self._mark_stale("settings"))
        self.document.projectChanged.connect(self._project_changed)
        if self.scene is not None:
            self.scene.selectionChanged.connect(self.follow_selection)

    # ------------------------------------------------------------------ document changes
    def _graph_changed(self, event: GraphEvent) -> None:
        if event.kind == EventKind.MOVED:
            return
        self._fill_layers()
        self._mark_stale("model")

    def _project_changed(self) -> None:
        self._fill_layers()
        self._mark_stale("all")

    def _mark_stale(self, what: str) -> None:
        rank = {"": 0, "settings": 1, "model": 2, "all": 3}
        if rank[what] > rank[self._stale]:
            self._stale = what
        self.request()

    def _session(self) -> ActivationSession:
        """The session for the current project (made anew when something changed)."""
        project = self.document.project
        if self.session is None or self._stale == "all":
            self.session = ActivationSession(project)
        elif self._stale:
            self.session = ActivationSession(
                project, reuse=self.session, keep_model=self._stale == "settings"
            )
        self._stale = ""
        return self.session

    def _fill_layers(self) -> None:
        graph = self.document.graph
        nodes = [graph.node(nid) for nid in graph.topological_order()]
        current = self.layer_box.currentText()
        self.layer_box.blockSignals(True)
        self.layer_box.clear()
        for node in nodes:
            self.layer_box.addItem(f"{node.name} ({node.type})", node.name)
        index = self.layer_box.findData(current.split(" (")[0]) if current else -1
        if index < 0:
            preferred = [i for i, n in enumerate(nodes) if n.type in PREFERRED]
            others = [i for i, n in enumerate(nodes) if n.type != "Input"]
            index = (preferred or others or [0])[0] if nodes else -1
        self.layer_box.setCurrentIndex(index)
        self.layer_box.blockSignals(False)

    def follow_selection(self) -> None:
        """Show the maps of the block selected on the canvas (when exactly one is)."""
        if self.scene is None or not self.follow_check.isChecked() or not isValid(self.scene):
            return
        if not self.scene.items():  # the scene is being cleared
            return
        ids = self.scene.selected_node_ids()
        if len(ids) != 1 or ids[0] not in self.document.graph:
            return
        self.select_layer(self.document.graph.node(ids[0]).name)

    def select_layer(self, name: str) -> None:
        """Show the maps of layer ``name`` (a node name of the graph)."""
        index = self.layer_box.findData(name)
        if index >= 0 and index != self.layer_box.currentIndex():
            self.layer_box.setCurrentIndex(index)
            self.request()

    # ------------------------------------------------------------------ inputs
    def _source_changed(self) -> None:
        data = self.source_box.currentData() == "data"
        self.sample_spin.setEnabled(data)
        self.next_button.setEnabled(data)
        self.file_button.setEnabled(not data)
        self.request()

    def next_sample(self) -> None:
        """The next sample of the project's data (back to 0 after the last)."""
        spin = self.sample_spin
        spin.setValue(spin.value() + 1 if spin.value() < spin.maximum() else 0)

    def choose_image(self) -> None:
        """Pick an image file as the input."""
        chosen = QFileDialog.getOpenFileName(
            self, "Image for the activations", self.image_path, "Images (*.png *.jpg *.jpeg *.bmp)"
        )[0]
        if chosen:
            self.set_image(chosen)

    def set_image(self, path: str) -> None:
        """Use the image file ``path`` as the input."""
        self.image_path = path
        self.source_box.setCurrentIndex(self.source_box.findData("file"))
        self.request()

    # ------------------------------------------------------------------ work
    def request(self) -> None:
        """Recompute soon (changes in a burst are computed once; nothing while hidden)."""
        self._timer.start()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.request()

    def refresh(self) -> None:
        """Compute the chosen layer's maps for the chosen input in a worker."""
        if not self.isVisible():
            return
        if self.worker is not None:
            self._pending = True
            return
        layer = str(self.layer_box.currentData() or "")
        if not layer:
            self._say("The network has no layers yet.")
            return
        source, index, path = str(self.source_box.currentData()), self.sample_spin.value(), ""
        if source == "file":
            path = self.image_path
            if not path:
                self._say("Open an image file for the input.")
                return
        session = self._session()
        self._say("Building the network…" if not session.built else "Computing…", busy=True)

        def work(reporter: Any) -> tuple[str, ActivationInput, np.ndarray, int]:
            reporter(0, 0, "opening the data", force=True)
            sample = session.image_file(path) if path else session.sample(index, reporter)
            count = session.sample_count() if not path else 0
            return layer, sample, session.maps(layer, sample), count

        self.worker = self.tasks.start(work, on_done=self._done, on_error=self._failed)

    def _finish(self) -> None:
        self.worker = None
        if self._pending:
            self._pending = False
            self.refresh()

    def _done(self, result: tuple[str, ActivationInput, np.ndarray, int]) -> None:
        if not isValid(self):
            return
        layer, sample, maps, count = result
        self.worker = None
        if count:
            self.sample_spin.blockSignals(True)
            self.sample_spin.setMaximum(count - 1)
            self.sample_spin.blockSignals(False)
        self.show_maps(layer, sample, maps)
        self._finish()

    def _failed(self, message: str, details: str) -> None:
        if not isValid(self):
            return
        self.worker = None
        self.maps = None
        self.grid.clear()
        self.grid.picture = None
        self.enlarged.clear()
        self._say(message, error=True)
        self.failed.emit(message)
        self._finish()

    def show_maps(self, layer: str, sample: ActivationInput, maps: np.ndarray) -> None:
        """Show the grid of ``maps`` (the output of ``layer`` for ``sample``)."""
        from designer.insight.activations import describe, grid_image, grid_layout

        self.layer, self.current, self.maps = layer, sample, maps
        picture, layout = grid_image(maps), grid_layout(maps)
        self.grid.show_grid(picture, layout, self.scroll.viewport().width() - 4)
        if sample.picture is not None:
            thumb = QPixmap.fromImage(array_to_qimage(sample.picture))
            self.input_picture.setPixmap(
                thumb.scaled(self.input_picture.size(), Qt.AspectRatioMode.KeepAspectRatio)
            )
        else:
            self.input_picture.clear()
        self.input_caption.setText(sample.caption)
        self._say(f"{layer}: {describe(maps)}")
        self.show_channel(
            self.channel if self.channel is not None and self.channel < layout.channels else 0
        )
        self.shown.emit(layer)

    def show_channel(self, channel: int) -> None:
        """Show channel ``channel`` of the maps enlarged, with its range of values."""
        from designer.insight.activations import as_channels, channel_image, channel_range

        if self.maps is None:
            return
        self.channel = channel
        picture = channel_image(self.maps, channel)
        h, w = picture.shape[:2]
        room = self.enlarged.size()
        factor = max(1, min(room.width() // max(1, w), room.height() // max(1, h), 32))
        image = array_to_qimage(picture).scaled(w * factor, h * factor)
        self.enlarged.setPixmap(QPixmap.fromImage(image))
        lo, hi = channel_range(self.maps, channel)
        if as_channels(self.maps).ndim == 1:
            self.range_label.setText(f"unit {channel}: {lo:.4g}")
        else:
            self.range_label.setText(f"channel {channel}: min {lo:.4g}, max {hi:.4g}")

    def _say(self, text: str, busy: bool = False, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {RED};" if error else "color: gray;" if busy else "")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.grid.rescale(self.scroll.viewport().width() - 4)

    def cancel(self) -> None:
        """Forget a computation under way (the window closes)."""
        if self.worker is not None:
            self.worker.detach()
            self.worker = None


class ActivationsActions(QObject):
    """Insight > Activations: the Activations dock of a main window (hidden at first)."""

    def __init__(self, shell: Shell) -> None:
        super().__init__(shell.widget())
        self.shell = shell
        self.panel = ActivationsPanel(shell.document, shell.tasks, shell.scene)
        self.dock: QDockWidget = shell.add_dock(
            self.panel, "Activations", Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.dock.hide()
        self.action = QAction("&Activations", self)
        self.action.setStatusTip("Feature maps of a layer for a sample of the data or an image")
        self.action.triggered.connect(self.show_dock)
        shell.menu("&Insight").addAction(self.action)

    def show_dock(self) -> ActivationsPanel:
        """Show the dock (its maps follow the selected block)."""
        self.panel.follow_selection()
        self.dock.show()
        self.dock.raise_()
        return self.panel


def install(shell: Shell) -> ActivationsActions:
    """Add the Activations dock and Insight > Activations to the main window ``shell``."""
    return ActivationsActions(shell)
