"""The open document: project, undo stack and live analysis, shared by every panel."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from designer.app.project import Project
from designer.app.settings import ProjectSettings
from designer.core.edits import SetWeights
from designer.core.graph import EventKind, GraphEvent, LayerGraph
from designer.core.live_analysis import LiveAnalysis
from designer.core.report import Report
from designer.ui.common import keras_warmup
from designer.ui.document.commands import GraphCommand, MoveNodes, SetSettings, Steps

if TYPE_CHECKING:
    from designer.app.experiment_apply import AppliedTrial
    from designer.app.project_run import TrainingOutcome

# Events that cannot change the analysis (positions, weights).
_NO_ANALYSIS = frozenset({EventKind.MOVED, EventKind.WEIGHTS})


class Document(QObject):
    """Holds the project; re-analyses after each graph change (coalesced) and tells the views.

    Every change, of the graph or of the settings, is an undo command, so the modified marker
    is the undo stack's clean state: saving marks it clean, undoing back to it is unmodified.
    """

    projectChanged = Signal()  # a different project (or a different graph) is open
    analysed = Signal(object)  # Report
    graphChanged = Signal(object)  # GraphEvent
    settingsChanged = Signal(object)  # the new ProjectSettings
    modifiedChanged = Signal(bool)
    refused = Signal(str)  # an edit of a read-only network was refused: why

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.project = Project()
        self.report: Report | None = None
        self.last_analysis_ms = 0.0
        self.live = LiveAnalysis(self.project.graph)  # told every event: updates, not redoes
        self._unsubscribe = self.project.graph.observe(self._on_graph_event)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.analyse_now)

    def _on_clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    @property
    def graph(self) -> LayerGraph:
        """The network being edited."""
        return self.project.graph

    @property
    def modified(self) -> bool:
        """True when there are unsaved changes."""
        return not self.undo_stack.isClean()

    def set_project(self, project: Project, modified: bool = False) -> None:
        """Open ``project`` (clears the undo history); ``modified`` for one not saved yet
        (an imported model, a recovered copy): no state of its history is clean then."""
        self._unsubscribe()
        self.project = project
        self.live = LiveAnalysis(project.graph)
        self._unsubscribe = project.graph.observe(self._on_graph_event)
        self.undo_stack.clear()
        if modified:
            self.undo_stack.resetClean()
        else:
            self.undo_stack.setClean()
        # views rebuilt on projectChanged read it; empty while Keras is still being imported
        self.report = Report({}, [], [], []) if keras_warmup.waiting() else self.live.refresh()
        self.projectChanged.emit()
        self.analyse_now()
        self.modifiedChanged.emit(self.modified)

    def mark_saved(self) -> None:
        """The project was written to disk: this state of the history is the clean one."""
        self.undo_stack.setClean()
        self.modifiedChanged.emit(False)

    @property
    def settings(self) -> ProjectSettings:
        """The open project's settings."""
        return self.project.settings

    def change_settings(self, text: str, merge: bool = False, **sections: Any) -> bool:
        """Replace some settings sections as one undo step named ``text``; False when
        nothing changes. With ``merge``, successive changes of the same fields are one step."""
        old = self.project.settings
        new = old.replace(**sections)
        if new == old:
            return False
        key = (text, _changed_fields(old, new)) if merge else None
        self.push(SetSettings(self.apply_settings, old, new, text, merge_key=key))
        return True

    def store_training(self, outcome: TrainingOutcome) -> None:
        """Put a run's trained weights and results into the project as one undo step."""
        results = SetSettings(
            self.apply_settings,
            self.project.settings,
            self.project.settings.replace(results=outcome.results),
            "Results",
        )
        weights = GraphCommand(self.graph, [SetWeights(outcome.weights)], "Trained weights")
        self.push(Steps("Store training results", [weights, results]))

    def apply_trial(self, applied: AppliedTrial, text: str) -> None:
        """Put an experiment trial's values (and weights, when it carries them) into the
        project as one undo step named ``text``."""
        steps: list[QUndoCommand] = []
        if applied.edits:
            steps.append(GraphCommand(self.graph, applied.edits, "Trial values"))
        if applied.changes.settings != self.project.settings:
            steps.append(
                SetSettings(
                    self.apply_settings, self.project.settings, applied.changes.settings, text
                )
            )
        if steps:
            self.push(Steps(text, steps))

    def apply_settings(self, settings: ProjectSettings) -> None:
        """Install ``settings`` and tell the views (undo commands call this; edits go through
        :meth:`change_settings`)."""
        self.project.settings = settings
        self.settingsChanged.emit(settings)

    @property
    def read_only(self) -> str | None:
        """Why the open network cannot be edited (:mod:`designer.app.read_only`), or None."""
        return self.project.read_only

    def push(self, command: QUndoCommand) -> bool:
        """Run an undoable edit; False (and ``refused`` says why) when the network is
        read-only and the edit is more than moving blocks."""
        if self.read_only and not isinstance(command, MoveNodes):
            self.refused.emit(f"Not changed: the network was {self.read_only}")
            return False
        self.undo_stack.push(command)
        return True

    def _on_graph_event(self, event: GraphEvent) -> None:
        self.live.note(event)  # first: a view may ask for the analysis while it reacts
        self.graphChanged.emit(event)
        if event.kind not in _NO_ANALYSIS:
            self._timer.start()

    def current_report(self) -> Report | None:
        """The report of the graph as it is now: analysed at once when an edit is still
        waiting for the coalesced analysis (a view reacting to the settings half of a
        combined graph + settings step must not read the report of the graph before it)."""
        if self._timer.isActive() and not keras_warmup.waiting():
            return self.analyse_now()
        return self.report

    def analyse_now(self, *, full: bool = False) -> Report:
        """Analyse the graph immediately and emit ``analysed`` (after the Keras warm-up, which
        calls this when it ends, while one runs). Only what the edits since the last analysis
        can have changed is analysed again (the report is the same); ``full`` redoes it all."""
        self._timer.stop()
        if keras_warmup.waiting():
            return self.report
        start = time.perf_counter()
        self.report = self.live.refresh() if full else self.live.update()
        self.last_analysis_ms = (time.perf_counter() - start) * 1000
        self.analysed.emit(self.report)
        return self.report


def _changed_fields(old: ProjectSettings, new: ProjectSettings) -> frozenset[str]:
    """Names ("augmentation.rotation", ...) of the fields that differ between two settings."""
    changed = set()
    for section in dataclasses.fields(old):
        a, b = getattr(old, section.name), getattr(new, section.name)
        if a != b:
            names = [f.name for f in dataclasses.fields(a)] if dataclasses.is_dataclass(a) else []
            changed |= {f"{section.name}.{n}" for n in names if getattr(a, n) != getattr(b, n)}
            changed.add(section.name)
    return frozenset(changed)
