"""The Training Progress window: runs a project's training in a worker, with live curves,
an information panel, Stop and Pause/Resume, exports, and a Results tab afterwards."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer.app.project_run import TrainingOutcome, evaluate_run, prepare_run, training_outcome
from designer.app.settings import RunResults
from designer.core.progress import CancelToken, ProgressReporter
from designer.training.events import IterationPoint, RunInfo, StatusEvent
from designer.training.history import TrainingResult
from designer.ui.training.info_panel import TrainingInfoPanel
from designer.ui.training.plots import TrainingPlots
from designer.ui.training.qt_sink import QtTrainingSink
from designer.ui.training.results_panel import ResultsPanel

if TYPE_CHECKING:  # the trainer (and Keras) is imported when a run starts
    from designer.training.trainer import Trainer

REDRAW_MS = 200  # at most five redraws a second: each repaint holds the GIL ~4 ms

EDITED_NOTICE = (
    "The network was edited after training started. This run goes on training the network "
    "as it was when it started, so its trained weights will not be stored in the project "
    "(undo the edits before the run ends to keep them)."
)

MakeTrainer = Callable[[Any, Any, Any], Any]  # (PreparedRun, sink, cancel token) -> trainer
# (run, result, evaluation) -> what to store in the project
Outcome = Callable[[Any, TrainingResult, Any], TrainingOutcome]


def _paused(trainer: Any) -> bool:
    """Whether ``trainer`` (a Trainer, or an object with a ``paused`` attribute) is paused."""
    paused = getattr(trainer, "paused", None)
    return bool(paused) if paused is not None else bool(trainer.control.paused)


class _AnyToken:
    """Cancelled when any of its tokens is (ours, and the worker's that the main window
    cancels when it closes)."""

    def __init__(self) -> None:
        self.tokens: list[Any] = [CancelToken()]

    def cancel(self) -> None:
        self.tokens[0].cancel()

    @property
    def cancelled(self) -> bool:
        return any(t.cancelled for t in self.tokens)


class TrainingProgressWindow(QWidget):
    """Trains the document's project; ``finished(result)`` when the run (or its failure) ends."""

    finished = Signal(object)  # TrainingResult, or None when the run could not start

    def __init__(self, document: Any, tasks: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Training Progress")
        self.resize(1100, 680)
        self.document, self.tasks = document, tasks
        self.trainer: Trainer | None = None
        self.sink: QtTrainingSink | None = None
        self.result: TrainingResult | None = None
        self.running = False
        self.failure_box: QMessageBox | None = None
        self._token = _AnyToken()
        self._drawn_version = -1
        self._close_when_done = False
        self._runs_started = 0
        self._outcome: Outcome | None = None
        self._project: Any = None  # the project whose run (or stored results) is shown
        self._graph_before = ""

        self.plots = TrainingPlots()
        self.info = TrainingInfoPanel()
        self.stop_button = QPushButton("Stop")
        self.pause_button = QPushButton("Pause")
        self.export_plot_button = QPushButton("Export Plot...")
        self.export_csv_button = QPushButton("Export History...")
        self.stop_button.clicked.connect(self.stop)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.export_plot_button.clicked.connect(self._ask_export_plot)
        self.export_csv_button.clicked.connect(self._ask_export_history)
        buttons = QHBoxLayout()
        for b in (
            self.stop_button,
            self.pause_button,
            self.export_plot_button,
            self.export_csv_button,
        ):
            buttons.addWidget(b)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addLayout(buttons)
        side_layout.addWidget(self.info, 1)
        splitter = QSplitter()
        splitter.addWidget(self.plots)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.results = ResultsPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "Training Progress")
        self.tabs.addTab(self.results, "Results")
        self.tabs.setTabEnabled(1, False)
        self.edit_notice = QLabel(EDITED_NOTICE)
        self.edit_notice.setWordWrap(True)
        self.edit_notice.setStyleSheet(
            "background: #fff4c2; border: 1px solid #d9b300; padding: 6px; color: #3d3000;"
        )
        self.edit_notice.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.edit_notice)
        layout.addWidget(self.tabs)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self._set_buttons(running=False)

    # -- run --------------------------------------------------------------------------
    def start(
        self,
        epochs: int | None = None,
        make_trainer: MakeTrainer | None = None,
        title: str = "",
        outcome: Outcome | None = None,
    ) -> None:
        """Train the document's project (``epochs`` overrides its max_epochs).

        ``make_trainer(run, sink, token)`` (called on the worker thread) gives the object
        that trains, with run()/stop()/pause()/resume() and run() returning a TrainingResult
        (default: a Trainer); ``title`` names the run in the window title; ``outcome(run,
        result, evaluation)`` says what goes into the project (default: training_outcome),
        which stores it as one undo step."""
        if self.running:
            return
        project = self.document.project
        self.setWindowTitle(f"Training Progress - {title}" if title else "Training Progress")
        self._outcome = outcome or (
            lambda run, result, evaluation: training_outcome(project, run, result, evaluation)
        )
        self._runs_started = 0
        self._project, self._graph_before = project, _graph_key(project)
        self.sink = sink = QtTrainingSink(self)
        sink.signals.started.connect(self._on_started)
        sink.signals.statusChanged.connect(self._on_status)
        self._token = token = _AnyToken()
        self.trainer, self.result = None, None
        self._drawn_version = -1
        validation = project.settings.training.validation_frequency
        self.info.reset(
            f"every {validation} iterations" if validation != "epoch" else "every epoch"
        )
        self.tabs.setTabEnabled(1, False)
        self.tabs.setCurrentIndex(0)
        self.plots.start([])
        self.edit_notice.hide()

        def work(reporter: ProgressReporter) -> Any:
            run = prepare_run(project, epochs, reporter)
            if make_trainer is not None:
                self.trainer = make_trainer(run, sink, token)
            else:
                from designer.training.trainer import Trainer

                self.trainer = Trainer(
                    run.model, run.data.train, run.data.validation, run.options, sink, cancel=token
                )
            result = self.trainer.run()
            evaluation = evaluate_run(run) if result.status != "failed" else None
            return run, result, evaluation

        self.running = True
        self._set_buttons(running=True)
        worker = self.tasks.start(work, self._on_done, self._on_error)
        token.tokens.append(worker.token)
        self.timer.start()

    def stop(self) -> None:
        """Stop after the current iteration (keeps the network as trained so far)."""
        self._token.cancel()
        if self.trainer is not None:
            self.trainer.stop()
        self.info.end("Stopping...")
        self.stop_button.setEnabled(False)
        self.pause_button.setEnabled(False)

    def note_edit(self) -> bool:
        """After an edit of the network during a run: show the notice that the run trains the
        network as it was when it started (hidden again when undoing brings it back); True
        when the notice has just appeared."""
        edited = (
            self.running
            and self.document.project is self._project
            and _graph_key(self._project) != self._graph_before
        )
        appeared = edited and self.edit_notice.isHidden()
        self.edit_notice.setVisible(edited)
        return appeared

    def show_stored(self, project: Any) -> None:
        """Show what ``project`` keeps of its last run (a reopened project): the final and
        best values, the confusion matrix and, when the project keeps them (files written
        before it do not), the per-epoch curves."""
        if self.running:
            return
        results = project.settings.results
        self._project, self.result, self.sink, self.trainer = project, None, None, None
        self.setWindowTitle("Training Progress")
        self.plots.start([*results.history, *results.final])
        self.plots.show_history(results.history)
        self.info.show_stored(results)
        if results.history:
            self.info.note.setText(stored_curves_note(results))
        self.results.show_stored(results)
        self.tabs.setTabEnabled(1, not results.empty)
        self.tabs.setCurrentIndex(0)
        self.edit_notice.hide()
        self._set_buttons(running=False)

    @property
    def shown_project(self) -> Any:
        """The project whose run or stored results the window shows (None at first)."""
        return self._project

    def toggle_pause(self) -> None:
        """Pause a running run, or resume a paused one."""
        if self.trainer is None or not getattr(self.trainer, "can_pause", True):
            return
        if _paused(self.trainer):
            self.trainer.resume()
            self.pause_button.setText("Pause")
        else:
            self.trainer.pause()
            self.pause_button.setText("Resume")

    # -- updates ----------------------------------------------------------------------
    def redraw(self) -> None:
        """Redraw curves and counters if new points arrived (called by the timer)."""
        sink = self.sink
        if sink is None or sink.version == self._drawn_version:
            return
        self._drawn_version = sink.version
        self.plots.update_from(sink.snapshot())
        self.plots.mark_epochs([e.iteration for e in list(sink.epochs)])
        self.plots.mark_phases([p.first_iteration for p in list(sink.phases) if p.index > 0])
        point: IterationPoint | None = sink.last_point
        if point is not None:
            self.info.set_point(point)

    def _on_started(self, info: RunInfo) -> None:
        self._runs_started += 1
        if self._runs_started == 1:  # a later phase of the same run keeps the curves
            self.plots.start(info.metrics)
        self.info.set_info(info)

    def _on_status(self, event: StatusEvent) -> None:
        self.info.set_status(event)
        if event.status.value in ("paused", "running") and self.running:
            self.pause_button.setText("Resume" if event.status.value == "paused" else "Pause")

    def _on_done(self, payload: tuple[Any, TrainingResult, Any]) -> None:
        run, result, evaluation = payload
        self._finish(result)
        if self.document.project is self._project and result.status != "failed":
            if _graph_key(self._project) == self._graph_before:
                self.document.store_training(self._outcome(run, result, evaluation))
                note = "The trained weights are now in the project."
            else:
                self.document.change_settings("Discard training results", results=RunResults())
                note = (
                    "The network was edited during training, so the trained weights were "
                    "not stored in the project."
                )
            self.info.note.setText(note)
        elif result.status == "failed":
            if self.document.project is self._project:
                self.document.store_training(self._outcome(run, result, None))
            self._show_failure(result.message)
        self.results.show_results(result, evaluation, run)
        if evaluation is not None or result.final:
            self.tabs.setTabEnabled(1, True)
        self.finished.emit(result)

    def _on_error(self, message: str, details: str) -> None:
        self._finish(None)
        self.info.labels["status"].setText("Could not train")
        self._show_failure(message, details)
        self.finished.emit(None)

    def _finish(self, result: TrainingResult | None) -> None:
        self.running = False
        self.result = result
        self.timer.stop()
        self._drawn_version = -1
        self.redraw()
        self.info.end()
        self._set_buttons(running=False)
        if result is not None and self.sink is not None:
            self.plots.show_final(self.sink.snapshot())
            self.info.set_final(result.final)
        if self._close_when_done:
            QTimer.singleShot(0, self.close)

    def _show_failure(self, message: str, details: str = "") -> None:
        self.info.show_message(message)
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Training failed",
            message,
            QMessageBox.StandardButton.Ok,
            self,
        )
        if details:
            box.setDetailedText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.failure_box = box
        box.open()

    def _set_buttons(self, running: bool) -> None:
        self.stop_button.setEnabled(running)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Pause")
        self.export_csv_button.setEnabled(not running and self.result is not None)
        self.export_plot_button.setEnabled(True)

    # -- exports ----------------------------------------------------------------------
    def export_plot(self, path: str) -> None:
        """Save the curves as PNG or SVG (by suffix)."""
        self.plots.export(path)

    def export_history(self, path: str) -> None:
        """Write every iteration (and validation values where measured) as CSV."""
        if self.result is None:
            raise ValueError("Expected a finished training run to export, received none")
        write_history_csv(self.result, path)

    def _ask_export_plot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export Plot", "training.png", "PNG image (*.png);;SVG drawing (*.svg)"
        )
        if path:
            self.export_plot(path)

    def _ask_export_history(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export History", "history.csv", "CSV (*.csv)")
        if path:
            self.export_history(path)

    # -- closing ----------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        """While training: ask, then stop and close once the run has ended."""
        if not self.running:
            event.accept()
            return
        event.ignore()
        if self._close_when_done:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Stop training?",
            "Training is still running. Stop it and close the window?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.close_box = box

        def answered(button: int) -> None:
            if button == QMessageBox.StandardButton.Yes and self.running:
                self._close_when_done = True
                self.stop()

        box.finished.connect(answered)
        box.open()


def stored_curves_note(results: RunResults) -> str:
    """The note over a stored run whose per-epoch curves the project keeps."""
    when = results.trained_at.replace("T", " ") or "unknown date"
    return (
        f"Results and per-epoch curves of the run of {when}, as stored in the project "
        "(train again to see every iteration)."
    )


def write_history_csv(result: TrainingResult, path: str) -> None:
    """One row per iteration: its values, then ``val_*`` columns where validation ran."""
    cols = result.iterations
    keys = list(cols)
    val_keys: list[str] = []
    by_iteration: dict[int, dict[str, Any]] = {}
    for row in result.validations:
        for k in row:
            if k not in ("iteration", "epoch", "elapsed") and f"val_{k}" not in val_keys:
                val_keys.append(f"val_{k}")
        by_iteration[int(row["iteration"])] = row
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(keys + val_keys)
        for i in range(len(cols.get("iteration", []))):
            values = [_cell(cols[k][i]) for k in keys]
            val = by_iteration.get(int(cols["iteration"][i]), {})
            values += [_cell(val.get(k[4:], "")) for k in val_keys]
            writer.writerow(values)


def _cell(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and not math.isinf(v):
        return int(v) if abs(v) < 1e15 else v
    return v


def _graph_key(project: Any) -> str:
    """The network's structure (types, names, parameters, links), positions left out."""
    graph = project.graph
    nodes = [(n.id, n.type, n.name, n.params_key()) for n in graph.nodes]
    links = [(lk.src, lk.dst, lk.port, lk.src_port) for lk in graph.links()]
    return json.dumps([nodes, links], default=str)
