"""File actions: new, open (projects and Keras models), save, recent files, autosave, recovery.

Files with code or an outside graph (a Lambda, a SavedModel named by a project) open only after
the user says so. Recovery copies are kept per running window, in a folder of its own that a
lock file (:class:`QLockFile`, with the process id) holds while it runs: a window offers only
the copies of windows whose process is gone, never those of another one still running.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QSettings, QStandardPaths, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from designer.app.custom_code import CustomCodeConsentError
from designer.app.files import (
    UnknownClassesError,
    UnsafeModelError,
    default_folder,
    open_path,
)
from designer.app.project import (
    EXTENSION,
    UNTITLED,
    Project,
    ProjectError,
    load_project,
    save_project,
    save_refusal,
)
from designer.core.graph import LayerGraph
from designer.resources import RESOURCES_DIR
from designer.ui.common.worker import show_error
from designer.ui.shell.custom_code import CustomCodeController, ask_to_run

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


class RecoveryStore:
    """The recovery copies of one running window: ``recovery_dir()/<pid>-<token>/``, locked by
    ``lock`` while the window runs (taken at the first copy, given back when none is left)."""

    def __init__(self) -> None:
        self.name = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._lock: QLockFile | None = None

    @property
    def folder(self) -> Path:
        """This window's folder of copies."""
        return recovery_dir() / self.name

    def copy_path(self, key: str) -> Path | None:
        """Where the copy of the project known as ``key`` goes (None: the folder cannot be
        locked, so no copy is kept)."""
        if self._lock is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = QLockFile(str(self.folder / "lock"))
            lock.setStaleLockTime(0)  # stale only when its process is gone, never by age
            if not lock.tryLock(0):
                return None
            self._lock = lock
        digest = hashlib.sha1(key.encode()).hexdigest()[:12]
        return self.folder / f"{digest}{EXTENSION}"

    def discard(self) -> None:
        """Remove this window's copies and give the lock back."""
        for copy in self.folder.glob(f"*{EXTENSION}"):
            copy.unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None
            _remove_folder(self.folder)

    def claim_dead(self) -> tuple[list[Path], Callable[[], None]]:
        """The copies of windows whose process is gone (newest last; copies of older versions,
        which kept no lock, too), and a function that deletes them. Their folders stay locked
        by this window until then, so that no other window offers them as well."""
        root = recovery_dir()
        copies = list(root.glob(f"*{EXTENSION}")) if root.is_dir() else []
        claimed: list[tuple[Path, QLockFile]] = []
        for folder in sorted(root.iterdir()) if root.is_dir() else []:
            if not folder.is_dir() or folder.name == self.name:
                continue
            lock = QLockFile(str(folder / "lock"))
            lock.setStaleLockTime(0)
            if lock.tryLock(0):  # no lock, or the lock of a process that is gone
                claimed.append((folder, lock))
                copies += folder.glob(f"*{EXTENSION}")
        copies.sort(key=_mtime)

        def forget() -> None:
            for copy in copies:
                copy.unlink(missing_ok=True)
            for folder, lock in claimed:
                lock.unlock()
                _remove_folder(folder)

        return copies, forget


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _remove_folder(folder: Path) -> None:
    """Remove a recovery folder with what a killed save may have left in it."""
    for leftover in folder.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something else in it: leave it
        folder.rmdir()


class FileController:
    """Opening and saving for the main window, with the questions a user expects."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.settings = QSettings("NetworkDesigner", "NetworkDesigner")
        self.autosave_timer = QTimer(window)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self.recovery = RecoveryStore()
        self.custom_code = CustomCodeController(window)  # File > Load Custom Layer Code...

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
        self.window.set_project(Project(graph=graph, name=UNTITLED), modified=False)
        return True

    def open_dialog(self) -> bool:
        """Ask for a file and open it."""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open", self._last_dir(), OPEN_FILTER)
        return bool(path) and self.open(path)

    def open(self, path: str | Path, ask: bool = True, interactive: bool = True) -> bool:
        """Open a project or import a Keras model file; errors become a dialog (without
        ``interactive``, as for a screenshot, they are raised as ProjectError instead and
        files with code are refused)."""
        if ask and not self.maybe_save():
            return False
        path = Path(path)
        try:
            project = self._with_consent(
                lambda unsafe, code: open_path(path, unsafe, code, read_only_ok=True),
                interactive,
            )
        except ProjectError as exc:
            if not interactive:
                raise
            if isinstance(exc, UnknownClassesError):  # File > Load Custom Layer Code offers
                self.custom_code.failed_open = path  # to open it again
            show_error(self.window, "Cannot open", str(exc))
            return False
        if project is None:
            return False
        imported = project.path is None
        self.window.set_project(project, modified=imported and not project.read_only)
        self.add_recent(path)
        if project.read_only:
            self.custom_code.failed_open = path  # loading its code offers to open it again
            self.window.statusBar().showMessage(f"Opened {path.name} read-only", 8000)
        elif imported:
            self.window.statusBar().showMessage(
                f"Imported {path.name}: {len(project.graph)} layers; save it as a project", 8000
            )
        if project.import_notes and interactive:
            self.show_import_report(path, project.import_notes)
        return True

    def _with_consent(
        self, load: Callable[[bool, bool | None], Project], interactive: bool = True
    ) -> Project | None:
        """``load(unsafe, trust_code)``, first with neither; if the file holds code or an outside
        graph, or lists custom layer code, ask, then load again with the answer (None when the
        user declines the file's code)."""
        unsafe, code = False, None
        while True:
            try:
                return load(unsafe, code)
            except UnsafeModelError as exc:
                if not interactive or unsafe:
                    raise
                if not self._allow_unsafe(exc):
                    return None
                unsafe = True
            except CustomCodeConsentError as exc:
                if not interactive or code is not None:
                    raise
                code = ask_to_run(self.window, exc.files)

    def _allow_unsafe(self, exc: UnsafeModelError) -> bool:
        """Ask whether to open a file with code or an outside graph."""
        answer = QMessageBox.warning(
            self.window,
            "File contains code",
            f"{exc}.\n\nOpen it anyway?",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Open

    def show_import_report(self, path: Path, notes: list[str]) -> QMessageBox:
        """A non-blocking report of what the import could not show as ordinary layers."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Import report",
            f"{path.name} was opened. Some parts are shown specially or were left out:",
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
        """Ask for a file name and save (a read-only network: say why not)."""
        refusal = save_refusal(self.document.project)
        if refusal:
            advice = "Export it (File > Export), or load its code and open the model file again."
            show_error(self.window, "Cannot save", f"{refusal}. {advice}")
            return False
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
        project = self.document.project
        if project.path is None and project.name == UNTITLED:
            project.name = path.stem  # the title names the file it now lives in
        project.path = path
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
        """The folder last saved to or opened from, unless it is the application's own
        (a bundled sample's): then the project's folder, ~/Documents or ~."""
        last = self.settings.value("last_dir", "")
        if last and not Path(str(last)).resolve().is_relative_to(RESOURCES_DIR):
            return str(last)
        return str(default_folder(None))

    # ------------------------------------------------------------------ autosave and recovery
    def recovery_path(self) -> Path | None:
        """The recovery file of the open project (None when none can be kept)."""
        return self.recovery.copy_path(str(self.document.project.path or UNTITLED))

    def autosave(self) -> Path | None:
        """Write a recovery copy while there are unsaved changes."""
        if not self.document.modified:
            return None
        try:
            path = self.recovery_path()
            if path is None:
                return None
            save_project(self.document.project, path)
        except (ProjectError, OSError):
            return None
        return path

    def discard_recovery(self) -> None:
        """Forget this window's recovery copies (after a save or a clean close)."""
        self.recovery.discard()

    def offer_recovery(self) -> bool:
        """After a crash: offer to open the newest recovery copy of a window that is gone (the
        copies of windows still running are theirs); True if one was opened."""
        copies, forget = self.recovery.claim_dead()
        if not copies:
            forget()
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
                project = self._with_consent(
                    lambda unsafe, code: load_project(newest, unsafe, code)
                )
                if project is not None:
                    project.path = None
                    self.window.set_project(project, modified=True)
                    recovered = True
            except ProjectError as exc:
                show_error(self.window, "Cannot recover", str(exc))
        forget()
        return recovered
