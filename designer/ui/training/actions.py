"""Training in the main window: "Training > Options...", "Training > Train" (and a toolbar
button), "Training > Show Training Progress"."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence

from designer.app.project_run import training_options
from designer.core.graph import EventKind, GraphEvent
from designer.training.events import status_sentence
from designer.training.options import OptionsError
from designer.ui.common.shell import Shell
from designer.ui.common.worker import show_error
from designer.ui.training.options_dialog import TrainingOptionsDialog
from designer.ui.training.progress_window import TrainingProgressWindow


class TrainingActions(QObject):
    """The training actions of one main window and its Training Progress window."""

    def __init__(self, shell: Shell) -> None:
        super().__init__(shell.widget())
        self.shell = shell
        self.progress: TrainingProgressWindow | None = None
        self.options_dialog: TrainingOptionsDialog | None = None
        menu = shell.menu("&Training")
        self.options_action = QAction("&Options...", self)
        self.options_action.setStatusTip("Solver, learning rate, epochs, validation, stopping...")
        self.options_action.triggered.connect(self.edit_options)
        self.train_action = QAction("&Train", self)
        self.train_action.setShortcut(QKeySequence("Ctrl+T"))
        self.train_action.setStatusTip("Train the network on the project's data")
        self.train_action.triggered.connect(self.train)
        self.show_action = QAction("Show Training &Progress", self)
        self.show_action.triggered.connect(self.show_progress)
        for action in (self.options_action, self.train_action, self.show_action):
            menu.addAction(action)
        shell.add_toolbar_action(self.train_action)
        shell.document.graphChanged.connect(self._graph_changed)
        shell.document.projectChanged.connect(self._show_project_results)

    def edit_options(self) -> None:
        """Open the options dialog; accepted options go into the project."""
        document = self.shell.document
        try:
            current = training_options(document.project)
        except ValueError as exc:
            show_error(
                self.shell.widget(),
                "Training Options",
                f"The project's training options are invalid; showing the defaults.\n{exc}",
            )
            current = None
        dialog = TrainingOptionsDialog(current, self.shell.widget())
        self.options_dialog = dialog

        def accepted() -> None:
            options = dialog.result_options
            if options is None:
                return
            if document.change_settings("Training options", training=options):
                self.shell.show_status("Training options changed", 3000)

        dialog.accepted.connect(accepted)
        dialog.open()

    def train(self) -> None:
        """Open the Training Progress window and start training (or show the running one)."""
        if self.progress is not None and self.progress.running:
            self.show_progress()
            return
        try:
            training_options(self.shell.document.project)
        except (OptionsError, ValueError) as exc:
            show_error(self.shell.widget(), "Train", str(exc))
            return
        progress = self.progress_window()
        _raise(progress)
        workers = self.shell.document.project.settings.training.workers
        if workers > 1:  # N local processes, the chief's curves shown here
            from designer.app.multi_worker_run import snapshot_trainer

            maker = snapshot_trainer(self.shell.document.project, workers)
            progress.start(make_trainer=maker, title=f"{workers} workers")
            progress.pause_button.setEnabled(False)  # workers cannot wait in step
            progress.pause_button.setToolTip("A multi-worker run cannot pause; Stop ends it")
        else:
            progress.start()

    def progress_window(self) -> TrainingProgressWindow:
        """The Training Progress window, made on first use (not shown)."""
        if self.progress is None:
            self.progress = TrainingProgressWindow(
                self.shell.document, self.shell.tasks, self.shell.widget()
            )
            self.progress.finished.connect(self._finished)
        return self.progress

    def show_progress(self) -> None:
        """Raise the Training Progress window: the run going on or last made here, else the
        results the open project keeps (or a message that it has none)."""
        self.progress_window()
        self._show_project_results()
        _raise(self.progress)

    def _show_project_results(self) -> None:
        """Show the open project's stored results unless the window shows a run of it."""
        progress, project = self.progress, self.shell.document.project
        if progress is not None and not progress.running and progress.shown_project is not project:
            progress.show_stored(project)

    def _graph_changed(self, event: GraphEvent) -> None:
        """Warn once, at the first edit of the network during a run."""
        progress = self.progress
        if event.kind in (EventKind.MOVED, EventKind.WEIGHTS) or progress is None:
            return
        if progress.note_edit():
            self.shell.show_status(
                "The network was edited during training: the run goes on with the network as "
                "it was when it started (see the Training Progress window)",
                10000,
            )

    def _finished(self, result: Any) -> None:
        if result is not None:
            self.shell.show_status(status_sentence(result.status, result.message), 8000)


def _raise(window: Any) -> None:
    window.show()
    window.raise_()
    window.activateWindow()
