"""Training > Experiment Manager…: define a sweep, run its trials in worker processes, watch
them arrive, compare them, and apply the best one to the project.

The definition is kept in the project (an undo step per change). Start runs
:class:`designer.app.experiment_run.ExperimentRun` on a worker thread (each trial in its own
process, several at once); Stop ends the workers and keeps their trials for a resume, which
Start does when the same storage and study are chosen again. The table and the plots re-read
the study's storage every second while the window is open, so trials of a worker started
elsewhere (``experiment-worker``) appear too.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer.app.experiment_apply import applied_trial
from designer.app.experiment_params import parameter_choices, project_with
from designer.app.experiment_run import ExperimentPlan, ExperimentRun, default_plan
from designer.app.experiment_table import parallel_axes, write_trials_csv
from designer.app.experiment_trial import budget_of
from designer.core.layers import untrusted_layers
from designer.training.experiment_spec import ExperimentError, ExperimentSpec
from designer.training.study import (
    StudyError,
    TrialRecord,
    best_record,
    finished_count,
    importances,
    read_study,
    trial_records,
)
from designer.ui.common.worker import TaskRunner, Worker, show_error
from designer.ui.document.document import Document
from designer.ui.experiments.definition_box import DefinitionBox
from designer.ui.experiments.plots import CurvesPlot, ImportancePlot, ParallelPlot
from designer.ui.experiments.trials_model import TrialsFilter, TrialsModel

REFRESH_MS = 1000
STATES = ("", "COMPLETE", "RUNNING", "PRUNED", "FAIL", "WAITING")


class ExperimentManagerWindow(QWidget):
    """The Experiment Manager of one document (a top-level window)."""

    finished = Signal(object)  # the study, when a run of this window ends
    refreshed = Signal()  # the table was re-read from the storage
    applied = Signal(int)  # the number of the trial applied to the project

    def __init__(self, document: Document, tasks: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Experiment Manager")
        self.document, self.tasks = document, tasks
        self.run: ExperimentRun | None = None
        self.worker: Worker | None = None
        self.running = False
        self.study: Any = None
        self.records: list[TrialRecord] = []
        self._key: tuple[Any, ...] | None = None
        self._importance_count = -1
        self.definition = DefinitionBox(lambda: parameter_choices(self.document.project))
        self.definition.changed.connect(self._definition_changed)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c62828")
        self.problem.setWordWrap(True)
        self.storage_edit, self.study_edit = QLineEdit(), QLineEdit()
        self.storage_edit.setToolTip(
            "Where the trials are kept: sqlite:///file.db (default, beside the project), any "
            "SQLAlchemy URL (postgresql://…) or journal:///file.log; workers on other machines "
            "join with: main.py experiment-worker --storage URL --study NAME"
        )
        self.parallel_spin = QSpinBox()
        self.parallel_spin.setRange(1, 256)
        self.parallel_spin.setToolTip("Trials run at once, each in its own process")
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Run the experiment (resumes the study if it exists)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End the workers; their trials are kept for a resume")
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m trials")
        self.status = QLabel()
        self.status.setWordWrap(True)
        run_form = QFormLayout()
        run_form.addRow("Storage", self.storage_edit)
        run_form.addRow("Study", self.study_edit)
        run_form.addRow("Trials at once", self.parallel_spin)
        run_buttons = QHBoxLayout()
        run_buttons.addWidget(self.start_button)
        run_buttons.addWidget(self.stop_button)
        run_buttons.addStretch(1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        definition_group = QGroupBox("Experiment")
        QVBoxLayout(definition_group).addWidget(self.definition)
        run_group = QGroupBox("Run")
        run_layout = QVBoxLayout(run_group)
        run_layout.addLayout(run_form)
        run_layout.addLayout(run_buttons)
        run_layout.addWidget(self.progress)
        run_layout.addWidget(self.status)
        left_layout.addWidget(definition_group, 1)
        left_layout.addWidget(self.problem)
        left_layout.addWidget(run_group)

        self.model = TrialsModel()
        self.proxy = TrialsFilter(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._draw_curves())
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter trials (any column)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.state_box = QComboBox()
        for state in STATES:
            self.state_box.addItem(state.capitalize() if state else "All states", state)
        self.state_box.currentIndexChanged.connect(
            lambda: self.proxy.set_state(self.state_box.currentData())
        )
        self.curves = CurvesPlot()
        self.parallel = ParallelPlot()
        self.importance = ImportancePlot()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.curves, "Curves")
        self.tabs.addTab(self.parallel, "Parallel coordinates")
        self.tabs.addTab(self.importance, "Importance")
        self.apply_button = QPushButton("Apply to Project")
        self.apply_button.setToolTip(
            "Copy the selected trial's values (the best one when none is selected) into the "
            "project as one undo step"
        )
        self.weights_box = QCheckBox("with its trained weights")
        self.export_button = QPushButton("Export CSV…")
        self.apply_button.clicked.connect(self.apply_selected)
        self.export_button.clicked.connect(self._ask_export)
        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.state_box)
        actions = QHBoxLayout()
        actions.addWidget(self.apply_button)
        actions.addWidget(self.weights_box)
        actions.addStretch(1)
        actions.addWidget(self.export_button)
        table_part = QWidget()
        table_layout = QVBoxLayout(table_part)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addLayout(filters)
        table_layout.addWidget(self.table)
        table_layout.addLayout(actions)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(table_part)
        right.addWidget(self.tabs)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([380, 820])
        QVBoxLayout(self).addWidget(splitter)
        self.resize(1200, 760)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        document.projectChanged.connect(self.load_project)
        document.settingsChanged.connect(self._settings_changed)
        self.load_project()

    # -- the definition ----------------------------------------------------------------
    def load_project(self) -> None:
        """Show the open project's experiment and its default storage and study."""
        project = self.document.project
        spec = project.settings.experiment
        self.definition.set_spec(spec)
        plan = default_plan(project, spec)
        self.storage_edit.setText(plan.storage)
        self.study_edit.setText(plan.study)
        self.parallel_spin.setValue(plan.parallel)
        self._key = None
        self._set_buttons()
        self.refresh()

    def _settings_changed(self, settings: Any) -> None:
        if settings.experiment != self.definition.spec():  # an undo, or another view
            self.definition.set_spec(settings.experiment)
            self._set_buttons()

    def _definition_changed(self) -> None:
        spec = self.definition.spec()
        problems = spec.validate()
        self.problem.setText("; ".join(problems))
        if not problems:
            self.document.change_settings("Experiment definition", merge=True, experiment=spec)
        self._set_buttons()

    def vary(self, target: str) -> None:
        """Ask how ``target`` (``layer.<name>.<param>``, ...) varies and add it."""
        self.definition.ask_parameter(target)

    def plan(self, spec: ExperimentSpec | None = None) -> ExperimentPlan:
        """Where and how the experiment runs, from the fields."""
        return default_plan(
            self.document.project,
            spec or self.definition.spec(),
            storage=self.storage_edit.text().strip() or None,
            study=self.study_edit.text().strip() or None,
            parallel=self.parallel_spin.value(),
        )

    # -- running -----------------------------------------------------------------------
    def start(self) -> None:
        """Run (or resume) the experiment in worker processes."""
        if self.running:
            return
        spec = self.definition.spec()
        problems = spec.validate() or (
            []
            if spec.parameters
            else ["add a parameter to vary (Add…, or right-click a layer parameter in Properties)"]
        )
        project = self.document.project
        if not problems and project.path is None:
            problems = ["save the project first: the trials are kept beside its file"]
        if problems:
            self.problem.setText("Cannot start: " + "; ".join(problems))
            return
        self.problem.setText("")
        self.document.change_settings("Experiment definition", experiment=spec)
        plan = self.plan(spec)
        try:
            snapshot = project_with(project, {})  # edits during the run do not reach it
        except ExperimentError as exc:
            self.problem.setText(str(exc))
            return
        consented = not untrusted_layers(project.graph)  # code layers the user allowed here
        run = ExperimentRun(snapshot, spec, plan, allow_unsafe=consented)
        self.run = run
        self.running = True
        self._key = None
        self.worker = self.tasks.start(lambda _reporter: run.run(), self._done, self._failed)
        run.cancel = self.worker.token  # Stop, and closing the main window, end the workers
        self.status.setText(f"Running {plan.parallel} trial(s) at once…")
        self._set_buttons()
        self.timer.start()

    def stop(self) -> None:
        """End the workers; the trials they were running are kept for a resume."""
        if self.running and self.worker is not None:
            self.worker.token.cancel()
            self.status.setText("Stopping: ending the workers (their trials are kept)…")
            self.stop_button.setEnabled(False)

    def _done(self, study: Any) -> None:
        stopped = self.run is not None and self.run.stopped
        self._end()
        self.refresh()
        done = finished_count(study)
        best = best_record(study)
        text = f"{'Stopped' if stopped else 'Finished'}: {done} trial(s) done"
        if best is not None and best.value is not None:
            text += f"; best {best.value:.4g} (trial {best.number})"
        if stopped:
            text += ". Start resumes the study."
        self.status.setText(text)
        self.finished.emit(study)

    def _failed(self, message: str, details: str) -> None:
        self._end()
        self.status.setText(f"The experiment failed: {message}")
        show_error(self, "Experiment Manager", message, details)
        self.finished.emit(None)

    def _end(self) -> None:
        self.running = False
        self.worker = None
        self._set_buttons()

    def _set_buttons(self) -> None:
        self.start_button.setEnabled(not self.running)
        self.stop_button.setEnabled(self.running)
        for widget in (self.definition, self.storage_edit, self.study_edit, self.parallel_spin):
            widget.setEnabled(not self.running)

    # -- the trials --------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the study's trials from its storage (the table and plots change only
        when the trials did)."""
        plan = self.plan()
        try:
            self.study = read_study(plan.storage, plan.study)
        except (StudyError, OSError) as exc:
            self.status.setText(str(exc))
            return
        records = trial_records(self.study) if self.study is not None else []
        key = tuple((r.number, r.state, r.value, r.epochs, r.seconds) for r in records)
        if key != self._key:
            self._key = key
            self._show_records(records)
        self.refreshed.emit()

    def _show_records(self, records: list[TrialRecord]) -> None:
        chosen = {r.number for r in self.selected_records()}
        self.records = records
        self.model.set_records(records)
        selection = self.table.selectionModel()
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if self.model.record(self.proxy.mapToSource(index).row()).number in chosen:
                selection.select(
                    index,
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )
        self.table.resizeColumnsToContents()
        budget = budget_of(self.definition.spec())
        done = finished_count(self.study) if self.study is not None else 0  # not interrupted
        self.progress.setRange(0, max(budget, done, 1))
        self.progress.setValue(min(done, self.progress.maximum()))
        if not self.running:
            self.status.setText(_summary(records, self.study))
        self._draw_curves()
        spec = self.definition.spec()
        self.parallel.show_axes(
            parallel_axes(records, spec.objective), spec.resolved_direction == "maximize"
        )
        completed = sum(r.state == "COMPLETE" for r in records)
        if completed != self._importance_count and self.study is not None:
            self._importance_count = completed
            self.importance.show_importances(importances(self.study))

    def selected_records(self) -> list[TrialRecord]:
        """The trials selected in the table, in table order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [
            self.model.record(self.proxy.mapToSource(self.proxy.index(r, 0)).row()) for r in rows
        ]

    def _draw_curves(self) -> None:
        chosen = self.selected_records() or [r for r in self.records if r.history][:8]
        self.curves.show_trials(chosen, self.definition.spec().objective)

    # -- apply and export --------------------------------------------------------------
    def apply_selected(self) -> None:
        """Copy the selected trial (else the best) into the project as one undo step,
        with its trained weights when the box is ticked."""
        chosen = self.selected_records()
        record = chosen[0] if chosen else (best_record(self.study) if self.study else None)
        if record is None:
            self.status.setText("No trial to apply yet: select one in the table")
            return
        project, with_weights = self.document.project, self.weights_box.isChecked()

        def work(_reporter: Any) -> Any:
            project_with(project, record.params)  # refuses values the network cannot take
            return applied_trial(project, record, with_weights)

        def done(applied: Any) -> None:
            if self.document.project is not project:
                return  # another project was opened meanwhile
            self.document.apply_trial(applied, f"Apply trial {record.number}")
            weights = " and its trained weights" if with_weights else ""
            self.status.setText(f"Applied trial {record.number}'s values{weights} (Undo undoes it)")
            self.applied.emit(record.number)

        def failed(message: str, _details: str) -> None:
            self.status.setText(f"Cannot apply trial {record.number}: {message}")

        self.tasks.start(work, done, failed)

    def export_csv(self, path: str) -> None:
        """Write the trials shown (filtered, in table order) to ``path`` as CSV."""
        write_trials_csv(self.proxy.visible_records(), path)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export Trials", "trials.csv", "CSV (*.csv)")
        if path:
            try:
                self.export_csv(path)
            except OSError as exc:
                show_error(self, "Export Trials", f"Cannot write {path}: {exc}")

    # -- window ------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        self.refresh()
        self.timer.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        if not self.running:
            self.timer.stop()
        super().hideEvent(event)


def _summary(records: list[TrialRecord], study: Any) -> str:
    """ "6 trials in the study; best 0.8 (trial 3)", or how to begin."""
    if not records:
        return "No trials yet: define what varies and press Start"
    text = f"{len(records)} trial(s) in the study"
    best = best_record(study) if study is not None else None
    if best is not None and best.value is not None:
        text += f"; best {best.value:.4g} (trial {best.number})"
    return text
