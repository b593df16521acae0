"""The main window's menus, actions, toolbar and help texts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QToolBar

if TYPE_CHECKING:
    from designer.ui.shell.main_window import MainWindow

APP_NAME = "Network Designer"
MENUS = (
    "&File",
    "&Edit",
    "&View",
    "&Network",
    "&Data",
    "&Training",
    "E&xport",
    "&Insight",
    "&Help",
)
TOOLBAR = ("new", "open", "save", "undo", "redo", "arrange", "fit", "analyze")


def add_action(
    window: MainWindow,
    name: str,
    text: str,
    slot: Any,
    shortcut: Any = None,
    menu: str | None = None,
    tip: str = "",
) -> QAction:
    """An action of the window, in ``menu``, reachable as ``window.actions_by_name[name]``."""
    action = QAction(text, window)
    if shortcut is not None:
        keys = shortcut if isinstance(shortcut, list) else [shortcut]
        action.setShortcuts([QKeySequence(k) for k in keys])
    action.setStatusTip(tip or text.replace("&", "").replace("...", ""))
    action.triggered.connect(lambda _checked=False: slot())
    if menu:
        window.menu(menu).addAction(action)
    window.actions_by_name[name] = action
    window.addAction(action)
    return action


def build_menus(window: MainWindow) -> tuple[QToolBar, QMenu]:
    """Every menu and action of the window; returns the main toolbar and File > Open Recent."""
    for title in MENUS:
        window.menu(title)
    f, e, v, n, h = "&File", "&Edit", "&View", "&Network", "&Help"
    std = QKeySequence.StandardKey
    files, edits, view = window.files, window.edits, window.view
    add_action(window, "new", "&New", files.new, std.New, f)
    add_action(window, "open", "&Open...", files.open_dialog, std.Open, f)
    recent = window.menu(f).addMenu("Open &Recent")
    add_action(window, "save", "&Save", files.save, std.Save, f)
    add_action(window, "save_as", "Save &As...", files.save_as, "Ctrl+Shift+S", f)
    window.menu(f).addSeparator()
    add_action(
        window,
        "load_custom_code",
        "Load Custom &Layer Code...",
        files.custom_code.load_dialog,
        None,
        f,
        "Run a Python file that defines custom Keras classes (asks first: it runs code)",
    )
    window.menu(f).addSeparator()
    add_action(window, "quit", "&Quit", window.close, std.Quit, f)
    _undo_actions(window, e)
    window.menu(e).addSeparator()
    add_action(window, "cut", "Cu&t", edits.cut, "Ctrl+X", e)
    add_action(window, "copy", "&Copy", edits.copy, "Ctrl+C", e)
    add_action(window, "paste", "&Paste", edits.paste, "Ctrl+V", e)
    add_action(window, "duplicate", "&Duplicate", edits.duplicate, "Ctrl+D", e)
    add_action(window, "delete", "De&lete", edits.delete_selection, ["Del", "Backspace"], e)
    add_action(window, "select_all", "Select &All", window.select_all, "Ctrl+A", e)
    window.menu(e).addSeparator()
    add_action(window, "find", "&Find...", window.find_bar.open, std.Find, e)
    add_action(window, "zoom_in", "Zoom &In", lambda: view.zoom_by(1.25), ["Ctrl++", "Ctrl+="], v)
    add_action(window, "zoom_out", "Zoom &Out", lambda: view.zoom_by(0.8), "Ctrl+-", v)
    add_action(window, "fit", "&Fit to Window", view.fit_all, "Ctrl+0", v)
    shapes = add_action(window, "shapes", "Show &Shapes on Links", lambda: None, None, v)
    shapes.setCheckable(True)
    shapes.setChecked(True)
    shapes.toggled.connect(window.scene.set_show_shapes)
    window.menu(v).addSeparator()
    add_action(window, "add_layer", "&Add Layer...", window.quick_add_at_center, None, n)
    add_action(window, "arrange", "Auto-&arrange", edits.auto_arrange, "Ctrl+L", n)
    add_action(
        window,
        "arrange_lr",
        "Auto-arrange &Left to Right",
        lambda: edits.auto_arrange("LR"),
        None,
        n,
    )
    add_action(window, "analyze", "Anal&yze", window.document.analyse_now, "Ctrl+R", n)
    window.menu(n).addSeparator()
    add_action(window, "replace", "&Replace Layer...", edits.replace_selected, None, n)
    add_action(window, "freeze", "&Freeze Selected", lambda: edits.set_frozen(True), None, n)
    add_action(window, "unfreeze", "&Unfreeze Selected", lambda: edits.set_frozen(False), None, n)
    add_action(window, "expand", "&Expand Group", edits.expand_selected, None, n)
    add_action(window, "collapse", "&Collapse Group", edits.collapse_selected, None, n)
    add_action(window, "shortcuts", "&Keyboard Shortcuts", lambda: show_shortcuts(window), "F1", h)
    add_action(window, "about", "&About", lambda: show_about(window), None, h)
    for dock in window.docks.values():
        window.menu(v).addAction(dock.toggleViewAction())
    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("main_toolbar")
    for name in TOOLBAR:
        toolbar.addAction(window.actions_by_name[name])
    fill_recent_menu(recent, files.recent(), files.open)
    return toolbar, recent


def _undo_actions(window: MainWindow, menu: str) -> None:
    """Undo and Redo; their menu text names the step, their toolbar label stays put."""
    stack = window.document.undo_stack
    undo = stack.createUndoAction(window, "&Undo")
    undo.setShortcuts([QKeySequence("Ctrl+Z")])
    redo = stack.createRedoAction(window, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    for name, action, label in (("undo", undo, "Undo"), ("redo", redo, "Redo")):
        action.setIconText(label)  # fixed: the toolbar does not move as the texts change
        window.menu(menu).addAction(action)
        window.addAction(action)
        window.actions_by_name[name] = action


def fill_recent_menu(menu: QMenu, paths: list[str], open_path: Callable[[str], Any]) -> None:
    """File > Open Recent: one entry per file, named by its file name and, where two files
    share a name, by the folder too; the full path in the tooltip and status tip."""
    menu.clear()
    names = [Path(p).name for p in paths]
    for path, name in zip(paths, names, strict=True):
        label = name if names.count(name) == 1 else f"{name} — {Path(path).parent}"
        action = menu.addAction(label)
        action.setToolTip(path)
        action.setStatusTip(path)
        action.triggered.connect(lambda _c=False, p=path: open_path(p))
    menu.setToolTipsVisible(True)
    menu.setEnabled(bool(paths))


def show_shortcuts(window: MainWindow) -> None:
    """Help > Keyboard Shortcuts."""
    QMessageBox.information(window, "Keyboard shortcuts", SHORTCUTS_HTML)


def show_about(window: MainWindow) -> None:
    """Help > About, with the versions of Keras, TensorFlow and Qt, and the log file."""
    QMessageBox.about(window, f"About {APP_NAME}", about_text())


SHORTCUTS_HTML = """<table>
<tr><td><b>Tab</b> / right-click</td><td>add a layer at the cursor (search as you type)</td></tr>
<tr><td><b>Drag</b> output port → input port</td><td>connect two layers</td></tr>
<tr><td><b>Del</b></td><td>delete the selection</td></tr>
<tr><td><b>Ctrl+X / C / V / D</b></td><td>cut, copy, paste, duplicate</td></tr>
<tr><td><b>Ctrl+Z</b>, <b>Ctrl+Shift+Z</b> / <b>Ctrl+Y</b></td><td>undo, redo</td></tr>
<tr><td><b>Ctrl+wheel</b>, <b>Ctrl + / -</b></td><td>zoom</td></tr>
<tr><td><b>F</b>, <b>Ctrl+0</b></td><td>fit the network in the window</td></tr>
<tr><td><b>Middle-drag</b>, <b>Space+drag</b>, arrows</td><td>pan</td></tr>
<tr><td><b>Ctrl+F</b></td><td>find a layer by name or type (Enter: next, Shift+Enter: previous,
Esc: close)</td></tr>
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
