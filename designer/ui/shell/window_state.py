"""The window's geometry and dock layout, kept between sessions (QSettings)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
STATE_VERSION = 1  # raise when the set of docks changes in a way old layouts would spoil


def default_layout(
    window: QMainWindow, right: list[QDockWidget], left: QDockWidget, bottom: QDockWidget
) -> None:
    """Sizes that show every panel's widgets at once: the right column split so that the
    Properties form is tall enough, the side columns wide enough for their forms."""
    window.resizeDocks([bottom], [210], Qt.Orientation.Vertical)
    window.resizeDocks([left, right[0]], [230, 340], Qt.Orientation.Horizontal)
    if len(right) > 1:
        window.resizeDocks(right, [460, 300], Qt.Orientation.Vertical)


def restore_window(window: QMainWindow, settings: QSettings) -> bool:
    """Put back the last session's geometry and docks; False when there is none (or it was
    saved by an older layout), leaving the defaults."""
    geometry, state = settings.value(GEOMETRY_KEY), settings.value(STATE_KEY)
    if not isinstance(geometry, QByteArray) or not isinstance(state, QByteArray):
        return False
    if not window.restoreGeometry(geometry):
        return False
    return window.restoreState(state, STATE_VERSION)


def save_window(window: QMainWindow, settings: QSettings) -> None:
    """Remember the geometry and the docks for the next session."""
    settings.setValue(GEOMETRY_KEY, window.saveGeometry())
    settings.setValue(STATE_KEY, window.saveState(STATE_VERSION))
