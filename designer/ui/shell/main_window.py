"""The main window: Layer Library, canvas, Properties, Analysis, History; menus and shortcuts."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QUndoView,
    QWidget,
)
from shiboken6 import isValid

from designer.app.project import Project
from designer.ui.canvas.scene import GraphScene
from designer.ui.canvas.view import GraphView
from designer.ui.common.worker import TaskRunner
from designer.ui.data.panel import DataActions
from designer.ui.document.document import Document
from designer.ui.export.dialog import ExportActions
from designer.ui.gallery.start_page import GalleryActions
from designer.ui.panels.analysis import AnalysisPanel
from designer.ui.panels.library import LibraryPanel
from designer.ui.panels.properties import PropertiesPanel
from designer.ui.panels.quickadd import QuickAddPopup
from designer.ui.shell.edit_actions import EditController
from designer.ui.shell.file_actions import FileController
from designer.ui.training.actions import TrainingActions
from designer.ui.transfer.actions import TransferActions

APP_NAME = "Network Designer"
# The window's features, installed in this order (see MainWindow.install_features).
FEATURES = ("gallery", "data", "training", "transfer", "export")
MENUS = ("&File", "&Edit", "&View", "&Network", "&Data", "&Training", "E&xport", "&Help")


class MainWindow(QMainWindow):
    """The designer window (docs/architecture.md): the canvas and the panels, and the features
    it installs (gallery, data, training, transfer, export), which it reaches as attributes."""

    def __init__(self, project: Project | None = None, features: Iterable[str] = FEATURES) -> None:
        super().__init__()
        self.document = Document(self)
        self.tasks = TaskRunner(self)
        self.scene = GraphScene(self.document)
        self.view = GraphView(self.scene)
        self.setCentralWidget(self.view)
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
        self.tabifyDockWidget(self.docks["properties"], self.docks["history"])
        self.docks["properties"].raise_()
        self.resizeDocks([self.docks["analysis"]], [210], Qt.Orientation.Vertical)
        self.resizeDocks(
            [self.docks["library"], self.docks["properties"]], [230, 300], Qt.Orientation.Horizontal
        )
        self.quick_add = QuickAddPopup(self)
        self._build_actions()
        self._connect()
        self.setAcceptDrops(True)
        self.resize(1400, 880)
        self.statusBar().showMessage("Ready")
        self.gallery: GalleryActions | None = None
        self.data: DataActions | None = None
        self.training: TrainingActions | None = None
        self.transfer: TransferActions | None = None
        self.export: ExportActions | None = None
        self.install_features(*features)
        self.set_project(project or Project(name="untitled"), modified=False)

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
            elif name == "transfer":
                self.install_features("training")
                assert self.training is not None
                self.transfer = TransferActions(self, self.training)
            else:
                self.export = ExportActions(self)
                self.actions_by_name["export"] = self.export.action

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

    def open_project(self, project: Project, modified: bool = True) -> bool:
        """Replace the open project (asking about unsaved changes first)."""
        if not self.files.maybe_save():
            return False
        self.set_project(project, modified)
        return True

    # ------------------------------------------------------------------ project
    def set_project(self, project: Project, modified: bool = False) -> None:
        """Show ``project`` (no questions asked)."""
        self.document.set_project(project, modified)
        self.update_title()
        self.view.fit_all()

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

    # ------------------------------------------------------------------ actions and menus
    def _action(
        self,
        name: str,
        text: str,
        slot: Any,
        shortcut: Any = None,
        menu: str | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
        action.setStatusTip(tip or text.replace("&", "").replace("...", ""))
        action.triggered.connect(lambda _checked=False: slot())
        if menu:
            self.menu(menu).addAction(action)
        self.actions_by_name[name] = action
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        for title in MENUS:
            self.menu(title)
        f, e, v, n, h = "&File", "&Edit", "&View", "&Network", "&Help"
        std = QKeySequence.StandardKey
        self._action("new", "&New", self.files.new, std.New, f)
        self._action("open", "&Open...", self.files.open_dialog, std.Open, f)
        self.recent_menu = self.menu(f).addMenu("Open &Recent")
        self._action("save", "&Save", self.files.save, std.Save, f)
        self._action("save_as", "Save &As...", self.files.save_as, "Ctrl+Shift+S", f)
        self.menu(f).addSeparator()
        self._action("quit", "&Quit", self.close, std.Quit, f)
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcuts([QKeySequence("Ctrl+Z")])
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for name, action in (("undo", undo), ("redo", redo)):
            self.menu(e).addAction(action)
            self.addAction(action)
            self.actions_by_name[name] = action
        self.menu(e).addSeparator()
        self._action("cut", "Cu&t", self.edits.cut, "Ctrl+X", e)
        self._action("copy", "&Copy", self.edits.copy, "Ctrl+C", e)
        self._action("paste", "&Paste", self.edits.paste, "Ctrl+V", e)
        self._action("duplicate", "&Duplicate", self.edits.duplicate, "Ctrl+D", e)
        self._action("delete", "De&lete", self.edits.delete_selection, ["Del", "Backspace"], e)
        self._action("select_all", "Select &All", self._select_all, "Ctrl+A", e)
        self._action(
            "zoom_in", "Zoom &In", lambda: self.view.zoom_by(1.25), ["Ctrl++", "Ctrl+="], v
        )
        self._action("zoom_out", "Zoom &Out", lambda: self.view.zoom_by(0.8), "Ctrl+-", v)
        self._action("fit", "&Fit to Window", self.view.fit_all, "Ctrl+0", v)
        shapes = self._action("shapes", "Show &Shapes on Links", lambda: None, None, v)
        shapes.setCheckable(True)
        shapes.setChecked(True)
        shapes.toggled.connect(self.scene.set_show_shapes)
        self.menu(v).addSeparator()
        self._action("add_layer", "&Add Layer...", self._quick_add_at_center, None, n)
        self._action("arrange", "Auto-&arrange", self.edits.auto_arrange, "Ctrl+L", n)
        self._action(
            "arrange_lr",
            "Auto-arrange &Left to Right",
            lambda: self.edits.auto_arrange("LR"),
            None,
            n,
        )
        self._action("analyze", "Anal&yze", self.document.analyse_now, "Ctrl+R", n)
        self.menu(n).addSeparator()
        self._action("replace", "&Replace Layer...", self.edits.replace_selected, None, n)
        self._action("freeze", "&Freeze Selected", lambda: self.edits.set_frozen(True), None, n)
        self._action(
            "unfreeze", "&Unfreeze Selected", lambda: self.edits.set_frozen(False), None, n
        )
        self._action("expand", "&Expand Group", self.edits.expand_selected, None, n)
        self._action("collapse", "&Collapse Group", self.edits.collapse_selected, None, n)
        self._action("shortcuts", "&Keyboard Shortcuts", self.show_shortcuts, "F1", h)
        self._action("about", "&About", self.show_about, None, h)
        for dock in self.docks.values():
            self.menu(v).addAction(dock.toggleViewAction())
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        for name in ("new", "open", "save", "undo", "redo", "arrange", "fit", "analyze"):
            toolbar.addAction(self.actions_by_name[name])
        self.toolbar = toolbar
        self._feature_buttons: list[QAction] = []
        self.refresh_recent_menu()

    def refresh_recent_menu(self) -> None:
        """Rebuild File > Open Recent."""
        if not hasattr(self, "recent_menu"):
            return
        self.recent_menu.clear()
        for path in self.files.recent():
            action = self.recent_menu.addAction(Path(path).name)
            action.setToolTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.files.open(p))
        self.recent_menu.setEnabled(bool(self.recent_menu.actions()))

    def _connect(self) -> None:
        self.document.modifiedChanged.connect(lambda _m: self.update_title())
        self.document.projectChanged.connect(self.update_title)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
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

    def _select_all(self) -> None:
        for item in self.scene.nodes.values():
            item.setSelected(True)

    def _quick_add_at(self, scene_pos: QPointF) -> None:
        self._quick_add_pos = scene_pos
        global_pos = self.view.mapToGlobal(self.view.mapFromScene(scene_pos))
        self.quick_add.popup_at(global_pos)

    def _quick_add_at_center(self) -> None:
        self._quick_add_at(self.view.view_center())

    def _quick_add_chosen(self, entry: Any) -> None:
        self.edits.add_layer(entry.type_name, entry.preset, self._quick_add_pos)

    def show_shortcuts(self) -> None:
        """Help > Keyboard Shortcuts."""
        QMessageBox.information(self, "Keyboard shortcuts", SHORTCUTS_HTML)

    def show_about(self) -> None:
        """Help > About, with the versions of Keras, TensorFlow and Qt."""
        QMessageBox.about(self, f"About {APP_NAME}", about_text())

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
        self.tasks.stop_all()
        event.accept()


SHORTCUTS_HTML = """<table>
<tr><td><b>Tab</b> / right-click</td><td>add a layer at the cursor (search as you type)</td></tr>
<tr><td><b>Drag</b> output port → input port</td><td>connect two layers</td></tr>
<tr><td><b>Del</b></td><td>delete the selection</td></tr>
<tr><td><b>Ctrl+X / C / V / D</b></td><td>cut, copy, paste, duplicate</td></tr>
<tr><td><b>Ctrl+Z</b>, <b>Ctrl+Shift+Z</b> / <b>Ctrl+Y</b></td><td>undo, redo</td></tr>
<tr><td><b>Ctrl+wheel</b>, <b>Ctrl + / -</b></td><td>zoom</td></tr>
<tr><td><b>F</b>, <b>Ctrl+0</b></td><td>fit the network in the window</td></tr>
<tr><td><b>Middle-drag</b>, <b>Space+drag</b>, arrows</td><td>pan</td></tr>
<tr><td><b>Ctrl+L</b></td><td>auto-arrange</td></tr>
<tr><td><b>Ctrl+R</b></td><td>analyse now</td></tr>
<tr><td><b>Ctrl+S</b>, <b>Ctrl+O</b>, <b>Ctrl+N</b></td><td>save, open, new</td></tr>
</table>"""


def about_text() -> str:
    """Versions of the parts that matter."""
    import keras
    import PySide6
    from PySide6.QtCore import qVersion

    try:
        import tensorflow as tf

        tf_version = tf.__version__
    except ImportError:
        tf_version = "not installed"
    from designer import __version__
    from designer.app.logs import log_file

    return (
        f"<b>{APP_NAME}</b> {__version__}<br>Build, analyse, train and export Keras "
        f"networks by point and click.<br><br>Keras {keras.__version__} "
        f"(backend {keras.backend.backend()})<br>TensorFlow {tf_version}<br>"
        f"Qt {qVersion()}, PySide6 {PySide6.__version__}<br><br>"
        f"Log file: {log_file()}"
    )
