"""A sink that records every point into growing arrays and notifies a viewer, throttled.

This is what the Training Progress window does (the Qt side calls ``snapshot`` from a timer
or from the throttled ``on_update``); it is also what the overhead benchmark measures.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

from designer.training.events import (
    EpochSummary,
    IterationPoint,
    PhaseEvent,
    RunInfo,
    StatusEvent,
    TrainingSink,
    ValidationPoint,
)


class RecordingSink(TrainingSink):
    """Keeps every iteration and validation point; calls ``on_update`` at most every
    ``min_interval`` seconds (and at status changes) so a view can redraw."""

    def __init__(
        self,
        on_update: Callable[[RecordingSink], None] | None = None,
        min_interval: float = 0.1,
    ) -> None:
        self.on_update = on_update
        self.min_interval = min_interval
        self._lock = threading.Lock()
        self._last_notify = 0.0
        self.iterations = array("d")
        self.loss = array("d")
        self.learning_rate = array("d")
        self.metrics: dict[str, array] = {}
        self.val_iterations = array("d")
        self.val_metrics: dict[str, array] = {}
        self.epochs: list[EpochSummary] = []
        self.statuses: list[StatusEvent] = []
        self.phases: list[PhaseEvent] = []
        self.infos: list[RunInfo] = []
        self.last_point: IterationPoint | None = None
        self.notifications = 0

    def _notify(self, force: bool = False) -> None:
        if self.on_update is None:
            return
        now = time.perf_counter()
        if force or now - self._last_notify >= self.min_interval:
            self._last_notify = now
            self.notifications += 1
            self.on_update(self)

    def on_start(self, info: RunInfo) -> None:
        """Remember the run's shape."""
        self.infos.append(info)

    def on_status(self, event: StatusEvent) -> None:
        """Record the status and notify at once."""
        self.statuses.append(event)
        self._notify(force=True)

    def on_phase(self, event: PhaseEvent) -> None:
        """Record the phase boundary."""
        self.phases.append(event)

    def on_iteration(self, point: IterationPoint) -> None:
        """Append the point to the arrays."""
        with self._lock:
            self.iterations.append(point.iteration)
            self.loss.append(point.loss)
            self.learning_rate.append(point.learning_rate)
            for k, v in point.metrics.items():
                series = self.metrics.get(k)
                if series is None:
                    series = self.metrics[k] = array(
                        "d", [float("nan")] * (len(self.iterations) - 1)
                    )
                series.append(v)
            self.last_point = point
        self._notify()

    def on_validation(self, point: ValidationPoint) -> None:
        """Append the validation point."""
        with self._lock:
            self.val_iterations.append(point.iteration)
            for k, v in point.metrics.items():
                series = self.val_metrics.get(k)
                if series is None:
                    series = self.val_metrics[k] = array(
                        "d", [float("nan")] * (len(self.val_iterations) - 1)
                    )
                series.append(v)
        self._notify()

    def on_epoch(self, summary: EpochSummary) -> None:
        """Record the epoch summary."""
        self.epochs.append(summary)

    @property
    def status(self) -> str | None:
        """The latest status value, or None before the first."""
        return self.statuses[-1].status.value if self.statuses else None

    def snapshot(self) -> dict[str, Any]:
        """Copies of the series as numpy arrays (safe to call from another thread)."""
        with self._lock:
            return {
                "iteration": np.array(self.iterations),
                "loss": np.array(self.loss),
                "learning_rate": np.array(self.learning_rate),
                "metrics": {k: np.array(v) for k, v in self.metrics.items()},
                "val_iteration": np.array(self.val_iterations),
                "val_metrics": {k: np.array(v) for k, v in self.val_metrics.items()},
            }
