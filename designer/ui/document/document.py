"""The open document: project, undo stack and live analysis, shared by every panel."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from designer.core.analysis import Report, analyze
from designer.core.graph import GraphEvent, LayerGraph
from designer.core.project import Project


class Document(QObject):
    """Holds the project; re-analyses after each graph change (coalesced) and tells the views."""

    projectChanged = Signal()  # a different project (or a different graph) is open
    analysed = Signal(object)  # Report
    graphChanged = Signal(object)  # GraphEvent
    modifiedChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.project = Project()
        self.report: Report | None = None
        self.last_analysis_ms = 0.0
        self._dirty_without_undo = False
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
        return self._dirty_without_undo or not self.undo_stack.isClean()

    def set_project(self, project: Project, modified: bool = False) -> None:
        """Open ``project`` (clears the undo history)."""
        self._unsubscribe()
        self.project = project
        self._unsubscribe = project.graph.observe(self._on_graph_event)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self._dirty_without_undo = modified
        self.report = analyze(project.graph)  # views rebuilt on projectChanged read it
        self.projectChanged.emit()
        self.analyse_now()
        self.modifiedChanged.emit(self.modified)

    def mark_saved(self) -> None:
        """The project was written to disk."""
        self._dirty_without_undo = False
        self.undo_stack.setClean()
        self.modifiedChanged.emit(False)

    def mark_modified(self) -> None:
        """A change that is not an undoable graph edit (data or training settings)."""
        self._dirty_without_undo = True
        self.modifiedChanged.emit(True)

    def push(self, command: QUndoCommand) -> None:
        """Run an undoable edit."""
        self.undo_stack.push(command)

    def _on_graph_event(self, event: GraphEvent) -> None:
        self.graphChanged.emit(event)
        if event.kind != "moved":
            self._timer.start()

    def analyse_now(self) -> Report:
        """Analyse the graph immediately and emit ``analysed``."""
        self._timer.stop()
        start = time.perf_counter()
        self.report = analyze(self.graph)
        self.last_analysis_ms = (time.perf_counter() - start) * 1000
        self.analysed.emit(self.report)
        return self.report
