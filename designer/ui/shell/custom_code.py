"""File > Load Custom Layer Code...: run a user's Python file that defines custom Keras classes.

Running such a file runs code with the user's permissions, so it happens only after the trust
prompt (:func:`ask_to_run`), every time; the same prompt guards the code a project lists when it
is opened. A loaded file is added to the open project's settings (one undo step); when the last
open attempt failed for want of custom classes, the window offers to open that file again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from designer.app.custom_code import CustomCode, load_custom_code
from designer.core.errors import ProjectError
from designer.ui.common.worker import show_error

if TYPE_CHECKING:
    from designer.ui.shell.main_window import MainWindow

CODE_FILTER = "Python files (*.py);;All files (*)"
RISK = "Running it executes Python code with your permissions. Run it?"


def ask_to_run(parent: QWidget, files: Sequence[Path], lead: str | None = None) -> bool:
    """The trust prompt, before any of ``files`` runs: True for Run, False for Don't run."""
    names = ", ".join(str(f) for f in files)
    text = f"{lead or 'This project uses custom layer code from'} {names}. {RISK}"
    yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
    box = QMessageBox(QMessageBox.Icon.Warning, "Run custom layer code?", text, yes | no, parent)
    box.button(yes).setText("Run")
    box.button(no).setText("Don't run")
    box.setDefaultButton(no)
    box.exec()
    return box.clickedButton() is box.button(yes)


def registered_text(code: CustomCode) -> str:
    """'Loaded layers.py: registered pkg>A, pkg>B' for the status bar."""
    names = ", ".join(code.names)
    what = f"registered {names}" if names else "it defines no Keras classes"
    return f"Loaded {code.path.name}: {what}"


class CustomCodeController:
    """Loading custom layer code into the window's process and its project."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.failed_open: Path | None = None  # the last file refused for unknown classes

    def load_dialog(self) -> bool:
        """Ask for a Python file, then for consent; load it."""
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Load Custom Layer Code", self._folder(), CODE_FILTER
        )
        return bool(path) and self.load(Path(path))

    def load(self, path: Path) -> bool:
        """After the trust prompt, run ``path``, add it to the project and say what it
        registered; errors in the file become a dialog. False when nothing was loaded."""
        lead = "Load custom layer code from"
        if not ask_to_run(self.window, [path], lead):
            return False
        try:
            code = load_custom_code(path)
        except ProjectError as exc:  # CustomCodeError: the file, the line and the error
            show_error(self.window, "Cannot load custom layer code", str(exc))
            return False
        self._retry_open()
        self.remember(code.path)
        self.window.show_status(registered_text(code), 10_000)
        return True

    def remember(self, path: Path) -> bool:
        """List ``path`` in the open project's custom code (one undo step)."""
        document = self.window.document
        section = document.settings.custom_code.with_file(str(path))
        return document.change_settings("Load custom layer code", custom_code=section)

    def _retry_open(self) -> bool:
        """Offer to open again the file that failed for want of custom classes; True when it
        opened (the code is then added to that file's project)."""
        failed, self.failed_open = self.failed_open, None
        if failed is None:
            return False
        answer = QMessageBox.question(
            self.window,
            "Open again",
            f"{failed.name} could not be opened in full because custom classes were missing. Open it "
            f"again now?",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Open,
        )
        return answer == QMessageBox.StandardButton.Open and self.window.files.open(failed)

    def _folder(self) -> str:
        path = self.window.document.project.path
        return str(Path(path).parent) if path else ""
