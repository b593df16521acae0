"""File actions: new, open (projects and Keras models), save, recent files, autosave, recovery."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QStandardPaths, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from designer.app.files import UnsafeModelError, open_path
from designer.app.project import EXTENSION, Project, ProjectError, load_project, save_project
from designer.core.graph import LayerGraph
from designer.ui.common.worker import show_error

if TYPE_CHECKING:
    from designer.ui.shell.main_window import MainWindow

OPEN_FILTER = (
    f"Projects and models (*{EXTENSION} *.json *.keras *.h5 *.hdf5);;"
    f"Projects (*{EXTENSION} *.json);;Keras models (*.keras *.h5 *.hdf5);;All files (*)"
)
MAX_RECENT = 10
AUTOSAVE_MS = 30_000


def recovery_dir() -> Path:
    """Where recovery copies of unsaved work are kept."""
    base = os.environ.get("ND_RECOVERY_DIR") or QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.AppDataLocation
    )
    return Path(base or Path.home() / ".network-designer") / "recovery"


class FileController:
    """Opening and saving for the main window, with the questions a user expects."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.settings = QSettings("NetworkDesigner", "NetworkDesigner")
        self.autosave_timer = QTimer(window)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

    @property
    def document(self):
        """The window's document."""
        return self.window.document

    # ------------------------------------------------------------------ questions
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False when the user cancels."""
        if not self.document.modified:
            return True
        answer = QMessageBox.question(
            self.window,
            "Unsaved changes",
            f"Save the changes to '{self.document.project.name}'?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Cancel:
            return False
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return True

    # ------------------------------------------------------------------ new / open
    def new(self) -> bool:
        """An empty network with one image input."""
        if not self.maybe_save():
            return False
        graph = LayerGraph()
        graph.add("Input", shape=[28, 28, 1])
        self.window.set_project(Project(graph=graph, name="untitled"), modified=False)
        return True

    def open_dialog(self) -> bool:
        """Ask for a file and open it."""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open", self._last_dir(), OPEN_FILTER)
        return bool(path) and self.open(path)

    def open(self, path: str | Path, ask: bool = True) -> bool:
        """Open a project or import a Keras model file; errors become a dialog."""
        if ask and not self.maybe_save():
            return False
        path = Path(path)
        try:
            try:
                project = open_path(path)
            except UnsafeModelError as exc:
                answer = QMessageBox.warning(
                    self.window,
                    "Model contains code",
                    f"{exc}.\n\nOpen it anyway?",
                    QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
                    QMessageBox.StandardButton.Cancel,
                )
                if answer != QMessageBox.StandardButton.Open:
                    return False
                project = open_path(path, allow_unsafe=True)
        except ProjectError as exc:
            show_error(self.window, "Cannot open", str(exc))
            return False
        imported = project.path is None
        self.window.set_project(project, modified=imported)
        self.add_recent(path)
        if imported:
            self.window.statusBar().showMessage(
                f"Imported {path.name}: {len(project.graph)} layers; save it as a project", 8000
            )
            if project.import_notes:
                self.show_import_report(path, project.import_notes)
        return True

    def show_import_report(self, path: Path, notes: list[str]) -> QMessageBox:
        """A non-blocking report of what the import could not show as ordinary layers."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Import report",
            f"{path.name} was imported. Some parts are shown specially:",
            QMessageBox.StandardButton.Ok,
            self.window,
        )
        box.setDetailedText("\n".join(f"- {note}" for note in notes))
        box.setInformativeText("\n".join(notes[:6]) + ("\n..." if len(notes) > 6 else ""))
        box.setModal(False)
        box.show()
        self.import_report = box
        return box

    # ------------------------------------------------------------------ save
    def save(self) -> bool:
        """Save to the project's file, or ask for one."""
        path = self.document.project.path
        if path is None or Path(path).suffix.lower() not in (EXTENSION, ".json"):
            return self.save_as()
        return self._write(Path(path))

    def save_as(self) -> bool:
        """Ask for a file name and save."""
        suggested = str(Path(self._last_dir()) / f"{self.document.project.name}{EXTENSION}")
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save project", suggested, f"Project (*{EXTENSION});;JSON project (*.json)"
        )
        if not path:
            return False
        if not Path(path).suffix:
            path += EXTENSION
        return self._write(Path(path))

    def _write(self, path: Path) -> bool:
        try:
            save_project(self.document.project, path)
        except ProjectError as exc:
            show_error(self.window, "Cannot save", str(exc))
            return False
        self.document.project.path = path
        self.document.mark_saved()
        self.add_recent(path)
        self.discard_recovery()
        self.window.update_title()
        self.window.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    # ------------------------------------------------------------------ recent files
    def recent(self) -> list[str]:
        """Recently used files, newest first, that still exist."""
        items = self.settings.value("recent", []) or []
        items = [items] if isinstance(items, str) else list(items)
        return [p for p in items if Path(p).exists()]

    def add_recent(self, path: str | Path) -> None:
        """Remember a file in the recent list."""
        path = str(Path(path).resolve())
        items = [p for p in self.recent() if p != path]
        self.settings.setValue("recent", [path, *items][:MAX_RECENT])
        self.settings.setValue("last_dir", str(Path(path).parent))
        self.window.refresh_recent_menu()

    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())))

    # ------------------------------------------------------------------ autosave and recovery
    def recovery_path(self) -> Path:
        """The recovery file of the open project."""
        key = str(self.document.project.path or f"untitled-{os.getpid()}")
        digest = hashlib.sha1(key.encode()).hexdigest()[:12]
        return recovery_dir() / f"{digest}{EXTENSION}"

    def autosave(self) -> Path | None:
        """Write a recovery copy while there are unsaved changes."""
        if not self.document.modified:
            return None
        path = self.recovery_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            save_project(self.document.project, path)
        except (ProjectError, OSError):
            return None
        return path

    def discard_recovery(self) -> None:
        """Forget the recovery copy (after a save or a clean close)."""
        self.recovery_path().unlink(missing_ok=True)

    def offer_recovery(self) -> bool:
        """After a crash: offer to open the newest recovery copy; True if one was opened."""
        folder = recovery_dir()
        copies = (
            sorted(folder.glob(f"*{EXTENSION}"), key=lambda p: p.stat().st_mtime)
            if folder.is_dir()
            else []
        )
        if not copies:
            return False
        newest = copies[-1]
        answer = QMessageBox.question(
            self.window,
            "Recover unsaved work",
            f"Network Designer was closed without saving. Recover the work from "
            f"{newest.stat().st_size // 1024} kB recovery copy?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        recovered = False
        if answer == QMessageBox.StandardButton.Yes:
            try:
                project = load_project(newest)
                project.path = None
                self.window.set_project(project, modified=True)
                recovered = True
            except ProjectError as exc:
                show_error(self.window, "Cannot recover", str(exc))
        for copy in copies:
            copy.unlink(missing_ok=True)
        return recovered
