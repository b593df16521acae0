"""Qt side of the training sink: records every point, turns the rare events into signals.

The trainer calls the sink on the training thread. Iterations are only appended to arrays
(the progress window reads them with :meth:`RecordingSink.snapshot` from a GUI timer, at most
about ten times a second); start, status, validation, epoch and phase events are emitted as
signals, which Qt queues to the GUI thread. Nothing here touches a widget.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from designer.training.events import (
    EpochSummary,
    IterationPoint,
    PhaseEvent,
    RunInfo,
    StatusEvent,
    ValidationPoint,
)
from designer.training.recording import RecordingSink


class SinkSignals(QObject):
    """The signals of a :class:`QtTrainingSink` (a QObject living on the GUI thread)."""

    started = Signal(object)  # RunInfo
    statusChanged = Signal(object)  # StatusEvent
    validated = Signal(object)  # ValidationPoint
    epochEnded = Signal(object)  # EpochSummary
    phaseStarted = Signal(object)  # PhaseEvent


class QtTrainingSink(RecordingSink):
    """A RecordingSink whose events also arrive on the GUI thread as ``signals``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(on_update=None)
        self.signals = SinkSignals(parent)
        self.version = 0  # bumped on every recorded point; a view redraws when it changed

    def on_start(self, info: RunInfo) -> None:
        """Record and emit ``started``."""
        super().on_start(info)
        self.signals.started.emit(info)

    def on_status(self, event: StatusEvent) -> None:
        """Record and emit ``statusChanged``."""
        super().on_status(event)
        self.version += 1
        self.signals.statusChanged.emit(event)

    def on_iteration(self, point: IterationPoint) -> None:
        """Record only (cheap); the view polls."""
        super().on_iteration(point)
        self.version += 1

    def on_validation(self, point: ValidationPoint) -> None:
        """Record and emit ``validated``."""
        super().on_validation(point)
        self.version += 1
        self.signals.validated.emit(point)

    def on_epoch(self, summary: EpochSummary) -> None:
        """Record and emit ``epochEnded``."""
        super().on_epoch(summary)
        self.version += 1
        self.signals.epochEnded.emit(summary)

    def on_phase(self, event: PhaseEvent) -> None:
        """Record and emit ``phaseStarted``."""
        super().on_phase(event)
        self.signals.phaseStarted.emit(event)
