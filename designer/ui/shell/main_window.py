"""The main window: Layer Library, canvas, Properties, Analysis, History; menus and shortcuts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QUndoView,
    QWidget,
)
from shiboken6 import isValid

from designer.app.project import UNTITLED, Project
from designer.ui.canvas.scene import GraphScene
from designer.ui.canvas.view import GraphView
from designer.ui.common import keras_warmup
from designer.ui.common.keras_warmup import KerasWarmup
from designer.ui.common.wheel_guard import WheelGuard
from designer.ui.common.worker import TaskRunner
from designer.ui.data.panel import DataActions
from designer.ui.document.document import Document
from designer.ui.experiments.actions import ExperimentActions
from designer.ui.export.dialog import ExportActions
from designer.ui.gallery.start_page import GalleryActions
from designer.ui.insight.actions import InsightActions
from designer.ui.panels.analysis import AnalysisPanel
from designer.ui.panels.find_bar import FindBar
from designer.ui.panels.library import LibraryPanel
from designer.ui.panels.overview import OverviewPanel
from designer.ui.panels.properties import PropertiesPanel
from designer.ui.panels.quickadd import QuickAddPopup
from designer.ui.shell.edit_actions import EditController
from designer.ui.shell.file_actions import FileController
from designer.ui.shell.menus import APP_NAME, MENUS, build_menus, fill_recent_menu
from designer.ui.shell.read_only_banner import ReadOnlyBanner, with_banner
from designer.ui.shell.window_state import default_layout, restore_window, save_window
from designer.ui.training.actions import TrainingActions
from designer.ui.transfer.actions import TransferActions

# The window's features, installed in this order (see MainWindow.install_features).
FEATURES = ("gallery", "data", "training", "experiments", "transfer", "export", "insight")


class MainWindow(QMainWindow):
    """The designer window (docs/architecture.md): the canvas and the panels, and the features
    it installs (gallery, data, training, experiments, transfer, export, insight), which it reaches as
    attributes."""

    def __init__(self, project: Project | None = None, features: Iterable[str] = FEATURES) -> None:
        super().__init__()
        self.document = Document(self)
        self.tasks = TaskRunner(self)
        self.scene = GraphScene(self.document)
        self.view = GraphView(self.scene)
        self.read_only_banner = ReadOnlyBanner()
        self.setCentralWidget(with_banner(self.read_only_banner, self.view))
        self.edits = EditController(self)
        self.files = FileController(self)
        self.menus: dict[str, QMenu] = {}
        self.actions_by_name: dict[str, QAction] = {}
        self.library = LibraryPanel()
        self.properties = PropertiesPanel(self.document)
        self.analysis = AnalysisPanel(self.document)
        self.history = QUndoView(self.document.undo_stack)
        self.history.setEmptyLabel("<opened>")
        self.docks = {
            "library": self.add_dock(
                self.library, "Layer Library", Qt.DockWidgetArea.LeftDockWidgetArea
            ),
            "properties": self.add_dock(
                self.properties, "Properties", Qt.DockWidgetArea.RightDockWidgetArea
            ),
            "history": self.add_dock(
                self.history, "History", Qt.DockWidgetArea.RightDockWidgetArea
            ),
            "analysis": self.add_dock(
                self.analysis, "Analysis", Qt.DockWidgetArea.BottomDockWidgetArea
            ),
        }
        self.overview = OverviewPanel(self.view)
        self.docks["overview"] = self.add_dock(
            self.overview, "Overview", Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.zoom_label = QLabel()
        self.zoom_label.setToolTip("Zoom (Ctrl+wheel or +/-; Ctrl+0 fits the network)")
        self.statusBar().addPermanentWidget(self.zoom_label)
        self.view.zoomChanged.connect(self._show_zoom)
        self.tabifyDockWidget(self.docks["properties"], self.docks["history"])
        self.docks["properties"].raise_()
        self.quick_add = QuickAddPopup(self)
        self.find_bar = FindBar(self.view, self.select_nodes)  # Edit > Find... (Ctrl+F)
        self.toolbar, self.recent_menu = build_menus(self)
        self._feature_buttons: list[QAction] = []
        self._connect()
        self.setAcceptDrops(True)
        self.resize(1400, 880)
        self.statusBar().showMessage("Ready")
        self.gallery: GalleryActions | None = None
        self.data: DataActions | None = None
        self.training: TrainingActions | None = None
        self.experiments: ExperimentActions | None = None
        self.transfer: TransferActions | None = None
        self.export: ExportActions | None = None
        self.insight: InsightActions | None = None
        self.install_features(*features)
        right = [self.docks["properties"], *([self.data.dock] if self.data else [])]
        default_layout(self, right, self.docks["library"], self.docks["analysis"])
        self.resizeDocks(
            [self.docks["library"], self.docks["overview"]], [520, 170], Qt.Orientation.Vertical
        )
        restore_window(self, self.files.settings)
        WheelGuard.install(QApplication.instance())
        self.set_project(project or Project(name=UNTITLED), modified=False)

    def install_features(self, *names: str) -> None:
        """Install features by name (each once), with what they need: transfer learning
        trains in the training feature's window, so training is installed first."""
        for name in names:
            if name not in FEATURES:
                raise ValueError(f"unknown feature {name!r}; expected some of {FEATURES}")
            if getattr(self, name) is not None:
                continue
            if name == "gallery":
                self.gallery = GalleryActions(self)
            elif name == "data":
                self.data = DataActions(self)
            elif name == "training":
                self.training = TrainingActions(self)
            elif name == "experiments":
                self.install_features("training")  # its entry follows Train's in the menu
                self.experiments = ExperimentActions(self, self.properties)
            elif name == "transfer":
                self.install_features("training")
                assert self.training is not None
                self.transfer = TransferActions(self, self.training)
            elif name == "export":
                self.export = ExportActions(self)
                self.actions_by_name["export"] = self.export.action
            else:
                self.insight = InsightActions(self)

    def wait_for_keras(self, warm: KerasWarmup) -> None:
        """Say that shapes and parameters follow while Keras is imported; analyse when it is
        in, or explain why it cannot be."""
        if not keras_warmup.waiting():
            return
        dock = self.docks["analysis"]
        dock.setWindowTitle("Analysis (analysing… Keras is starting)")
        self.statusBar().showMessage("Starting Keras: shapes and parameters follow…")

        def ready(seconds: float) -> None:
            dock.setWindowTitle("Analysis")
            self.statusBar().showMessage(f"Ready (Keras started in {seconds:.1f} s)", 5000)
            self.document.analyse_now()

        def failed(message: str) -> None:
            dock.setWindowTitle("Analysis (Keras unavailable)")
            QMessageBox.critical(
                self,
                APP_NAME,
                "Keras could not be imported, so networks cannot be analysed, trained or "
                f"exported. Reinstall the application (make install).\n\n{message}",
            )

        warm.ready.connect(ready)
        warm.failed.connect(failed)

    # ------------------------------------------------------------------ the Shell of the features
    def widget(self) -> QWidget:
        """The window, as the parent of the features' dialogs."""
        return self

    def menu(self, title: str) -> QMenu:
        """The menu with this title, created (in the standard order) if missing."""
        if title not in self.menus:
            menu = QMenu(title, self)
            later = (
                [self.menus[t] for t in MENUS[MENUS.index(title) + 1 :] if t in self.menus]
                if title in MENUS
                else []
            )
            if later:
                self.menuBar().insertMenu(later[0].menuAction(), menu)
            else:
                self.menuBar().addMenu(menu)
            self.menus[title] = menu
        return self.menus[title]

    def add_dock(
        self,
        widget: QWidget,
        title: str,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
    ) -> QDockWidget:
        """Add a dock with ``widget``; View menu gets a toggle for it."""
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_"))
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        if "&View" in self.menus:
            self.menus["&View"].addAction(dock.toggleViewAction())
        return dock

    def add_toolbar_action(self, action: QAction, text: str | None = None) -> None:
        """A button on the main toolbar, after a separator from the edit buttons."""
        if text:
            action.setIconText(text)
        if not self._feature_buttons:
            self.toolbar.addSeparator()
        self._feature_buttons.append(action)
        self.toolbar.addAction(action)

    def add_layer_actions(self, actions: list[QAction]) -> None:
        """Actions at the end of a layer's right-click menu."""
        self.edits.layer_actions.extend(actions)

    def show_status(self, text: str, msecs: int = 5000) -> None:
        """A message in the status bar (``msecs`` 0: until the next one)."""
        self.statusBar().showMessage(text, msecs)

    def ask_to_save(self) -> bool:
        """Ask about unsaved changes (save, discard or cancel); False when the user cancels."""
        return self.files.maybe_save()

    def open_project(self, project: Project, modified: bool = True, ask: bool = True) -> bool:
        """Replace the open project, asking about unsaved changes first (unless ``ask`` is
        False: the caller asked already)."""
        if ask and not self.ask_to_save():
            return False
        self.set_project(project, modified)
        return True

    # ------------------------------------------------------------------ project
    def set_project(self, project: Project, modified: bool = False) -> None:
        """Show ``project`` (no questions asked)."""
        self.document.set_project(project, modified)
        self.read_only_banner.show_reason(project.read_only)
        self.library.setEnabled(not project.read_only)  # a read-only network is not edited
        self.update_title()
        self.view.fit_readable()  # the input end at a zoom where block text can be read
        self._show_zoom(self.view.zoom)

    def _show_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"Zoom {zoom * 100:.0f} %")

    def update_title(self) -> None:
        """'name[*] - Network Designer' with the modified marker."""
        self.setWindowTitle(f"{self.document.project.name}[*] — {APP_NAME}")
        self.setWindowModified(self.document.modified)

    def select_nodes(self, node_ids: list[str], center: bool = False) -> None:
        """Select blocks on the canvas (and show them in Properties)."""
        self.scene.clearSelection()
        for nid in node_ids:
            item = self.scene.nodes.get(nid)
            if item is not None:
                item.setSelected(True)
        if center and node_ids:
            self.view.center_on_node(node_ids[0])

    def _connect(self) -> None:
        self.document.modifiedChanged.connect(lambda _m: self.update_title())
        self.document.projectChanged.connect(self.update_title)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.document.refused.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.scene.collapseRequested.connect(self.edits.collapse)
        self.view.addRequested.connect(lambda t, p, pos: self.edits.add_layer(t, p, pos))
        self.view.quickAddRequested.connect(self._quick_add_at)
        self.view.contextRequested.connect(self.edits.context_menu)
        self.library.activated.connect(self.edits.add_entry_at_center)
        self.analysis.nodeActivated.connect(lambda nid: self.select_nodes([nid], center=True))
        self.quick_add.chosen.connect(self._quick_add_chosen)
        self._quick_add_pos = QPointF()

    # ------------------------------------------------------------------ slots
    def _selection_changed(self) -> None:
        if not isValid(self.scene) or not isValid(self.properties):
            return  # the window is being destroyed
        if self.scene.items():  # the scene may be clearing
            self.properties.show_selection(self.scene.selected_node_ids())

    def select_all(self) -> None:
        """Select every block."""
        for item in self.scene.nodes.values():
            item.setSelected(True)

    def refresh_recent_menu(self) -> None:
        """Rebuild File > Open Recent."""
        fill_recent_menu(self.recent_menu, self.files.recent(), self.files.open)

    def _quick_add_at(self, scene_pos: QPointF) -> None:
        self._quick_add_pos = scene_pos
        global_pos = self.view.mapToGlobal(self.view.mapFromScene(scene_pos))
        self.quick_add.popup_at(global_pos)

    def quick_add_at_center(self) -> None:
        """Network > Add Layer...: the search popup at the middle of the view."""
        self._quick_add_at(self.view.view_center())

    def _quick_add_chosen(self, entry: Any) -> None:
        self.edits.add_layer(entry.type_name, entry.preset, self._quick_add_pos)

    # ------------------------------------------------------------------ window events
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.files.open(urls[0])
            event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.maybe_save():
            event.ignore()
            return
        self.files.discard_recovery()
        save_window(self, self.files.settings)
        self.tasks.stop_all()
        event.accept()
