"""Qt test set-up: isolated settings and recovery folder, a main window without features."""

from __future__ import annotations

import os
import tempfile

_CONFIG = tempfile.mkdtemp(prefix="nd-test-config-")
os.environ["XDG_CONFIG_HOME"] = _CONFIG  # QSettings (recent files) never touch the user's
os.environ["ND_RECOVERY_DIR"] = os.path.join(_CONFIG, "recovery")

import pytest  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_window_layout():
    """Every test starts from empty settings: default layout, no recent files, no folders."""
    from PySide6.QtCore import QSettings

    QSettings("NetworkDesigner", "NetworkDesigner").clear()
    yield


@pytest.fixture
def window(qtbot):
    """An empty MainWindow (no features installed), shown offscreen."""
    from designer.app.project import Project
    from designer.ui.shell.main_window import MainWindow

    win = MainWindow(Project(name="test"), features=())
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.document.mark_saved()  # no prompt while tearing down
    win.close()
    win.deleteLater()


def answer_next_message_box(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """Click ``button`` on the next modal message box and record its text."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.button(button).click()
        else:
            QTimer.singleShot(50, click)

    QTimer.singleShot(50, click)


def answer_next_file_dialog(path, seen: list[str]) -> None:
    """Choose ``path`` in the next modal file dialog and record the folder it opened in."""
    from PySide6.QtWidgets import QFileDialog, QLineEdit

    def choose() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QFileDialog):
            seen.append(dialog.directory().absolutePath())
            dialog.setDirectory(str(path.parent))
            dialog.findChild(QLineEdit, "fileNameEdit").setText(path.name)  # typed, as a user
            dialog.accept()
        else:
            QTimer.singleShot(50, choose)

    QTimer.singleShot(50, choose)
