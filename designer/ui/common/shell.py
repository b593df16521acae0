"""What a feature of the main window (data, training, transfer, export, gallery) may use.

Features receive a :class:`Shell` (the main window implements it) and their other
dependencies as constructor arguments; they add their menus, docks, toolbar buttons and layer
actions through it and never set attributes on the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu, QWidget

if TYPE_CHECKING:
    from designer.app.project import Project
    from designer.ui.canvas.scene import GraphScene
    from designer.ui.canvas.view import GraphView
    from designer.ui.common.worker import TaskRunner
    from designer.ui.document.document import Document


class Shell(Protocol):
    """The main window as its features see it."""

    document: Document
    tasks: TaskRunner
    scene: GraphScene
    view: GraphView

    def widget(self) -> QWidget:
        """The window itself, as the parent of the features' dialogs."""
        ...

    def menu(self, title: str) -> QMenu:
        """The menu with this title ("&Data", "&Training", ...), made if missing."""
        ...

    def add_dock(
        self,
        widget: QWidget,
        title: str,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
    ) -> QDockWidget:
        """A dock holding ``widget``, with a toggle in the View menu."""
        ...

    def add_toolbar_action(self, action: QAction, text: str | None = None) -> None:
        """A button on the main toolbar (``text``: a short label for it)."""
        ...

    def add_layer_actions(self, actions: list[QAction]) -> None:
        """Actions shown at the end of a layer's right-click menu (on the selection)."""
        ...

    def show_status(self, text: str, msecs: int = 5000) -> None:
        """A message in the status bar."""
        ...

    def select_nodes(self, node_ids: list[str], center: bool = False) -> None:
        """Select layers on the canvas (and centre the first)."""
        ...

    def ask_to_save(self) -> bool:
        """Ask about the open project's unsaved changes; False when the user cancels."""
        ...

    def open_project(self, project: Project, modified: bool = True, ask: bool = True) -> bool:
        """Open ``project`` after asking about unsaved changes (unless ``ask`` is False: the
        caller asked already); False when the user keeps the current one."""
        ...
