"""The sink API: what the trainer reports while it runs, as plain frozen dataclasses.

A sink is any object with some of the ``on_*`` methods of :class:`TrainingSink`; the
trainer calls them on the training thread, in order, never concurrently. A GUI adapter
turns each call into a Qt signal (cheap; it must not block) and plots on its own thread.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(str, enum.Enum):
    """Life cycle of a run: starting -> running <-> paused -> stopped | finished | failed."""

    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    FINISHED = "finished"
    FAILED = "failed"


@dataclass(frozen=True)
class RunInfo:
    """Sent once per phase before the first iteration: the shape of the run."""

    epochs: int
    iterations_per_epoch: int | None
    total_iterations: int | None
    batch_size: int | None
    num_samples: int | None
    outputs: list[str]
    metrics: list[str]
    phase: str = ""
    iteration_offset: int = 0
    epoch_offset: int = 0
    device: str = ""
    run_epochs: int | None = None  # epochs of the whole run, every phase (None: this phase)

    @property
    def all_epochs(self) -> int:
        """Epochs of the whole run, earlier and later phases included."""
        return self.run_epochs or self.epoch_offset + self.epochs

    @property
    def all_iterations(self) -> int | None:
        """Iterations of the whole run (None when the data does not tell its length)."""
        if not self.iterations_per_epoch:
            return None
        return self.iteration_offset + self.iterations_per_epoch * (
            self.all_epochs - self.epoch_offset
        )


@dataclass(frozen=True)
class StatusEvent:
    """A status change, with a sentence for the user (reason of a stop or failure)."""

    status: Status
    message: str = ""
    iteration: int = 0
    elapsed: float = 0.0


@dataclass(frozen=True)
class IterationPoint:
    """One mini-batch. ``loss``/``metrics`` are this batch's values where Keras' running
    means allow recovering them exactly (losses, accuracies, MAE, RMSE), otherwise the
    running value; ``running`` holds Keras' epoch-running logs unchanged."""

    iteration: int  # 1-based, continuous across epochs (and phases)
    epoch: int  # 1-based
    batch: int  # 1-based within the epoch
    iterations_per_epoch: int | None
    total_iterations: int | None  # of the whole run, every phase
    loss: float
    metrics: dict[str, float]
    running: dict[str, float]
    learning_rate: float
    elapsed: float  # seconds of training, pauses excluded
    eta: float | None  # seconds left in the whole run
    samples_per_second: float | None
    phase: str = ""


@dataclass(frozen=True)
class ValidationPoint:
    """Validation metrics (keys without the ``val_`` prefix) after ``iteration``."""

    iteration: int
    epoch: int
    metrics: dict[str, float]
    elapsed: float
    phase: str = ""


@dataclass(frozen=True)
class EpochSummary:
    """End of an epoch: its training means (Keras logs) and the last validation, if any."""

    epoch: int
    iteration: int
    train: dict[str, float]
    val: dict[str, float] | None
    learning_rate: float
    elapsed: float
    phase: str = ""


@dataclass(frozen=True)
class PhaseEvent:
    """Start of a named phase (e.g. transfer learning's 'frozen' then 'fine-tune')."""

    index: int
    name: str
    first_iteration: int
    epochs: int
    details: dict[str, Any] = field(default_factory=dict)


def status_sentence(status: str, message: str) -> str:
    """One sentence for a run's status: "Training finished after 6 epochs", "Training
    stopped by the user at iteration 12", "Training failed: ..." (never the word twice)."""
    text = message.strip()
    if text.lower().startswith("training "):
        return text
    if text.lower().startswith(status):
        return f"Training {status}{text[len(status) :]}"
    return f"Training {status}: {text}" if text else f"Training {status}"


class TrainingSink:
    """Receives training progress; every method is a no-op, override those you need."""

    def on_start(self, info: RunInfo) -> None:
        """A run (or phase) is about to start iterating."""

    def on_status(self, event: StatusEvent) -> None:
        """The status changed."""

    def on_iteration(self, point: IterationPoint) -> None:
        """A mini-batch finished."""

    def on_validation(self, point: ValidationPoint) -> None:
        """Validation finished."""

    def on_epoch(self, summary: EpochSummary) -> None:
        """An epoch finished."""

    def on_phase(self, event: PhaseEvent) -> None:
        """A new phase begins."""


class MultiSink(TrainingSink):
    """Forwards every call to several sinks in order."""

    def __init__(self, *sinks: Any) -> None:
        self.sinks = [s for s in sinks if s is not None]

    def on_start(self, info: RunInfo) -> None:
        """Forward."""
        for s in self.sinks:
            _call(s, "on_start", info)

    def on_status(self, event: StatusEvent) -> None:
        """Forward."""
        for s in self.sinks:
            _call(s, "on_status", event)

    def on_iteration(self, point: IterationPoint) -> None:
        """Forward."""
        for s in self.sinks:
            _call(s, "on_iteration", point)

    def on_validation(self, point: ValidationPoint) -> None:
        """Forward."""
        for s in self.sinks:
            _call(s, "on_validation", point)

    def on_epoch(self, summary: EpochSummary) -> None:
        """Forward."""
        for s in self.sinks:
            _call(s, "on_epoch", summary)

    def on_phase(self, event: PhaseEvent) -> None:
        """Forward."""
        for s in self.sinks:
            _call(s, "on_phase", event)


def _call(sink: Any, method: str, arg: Any) -> None:
    fn = getattr(sink, method, None)
    if fn is not None:
        fn(arg)


def as_sink(sink: Any) -> TrainingSink:
    """Wrap any object with some ``on_*`` methods (or None) as a complete sink."""
    if isinstance(sink, TrainingSink):
        return sink
    return MultiSink(sink)


def format_seconds(seconds: float | None) -> str:
    """``h:mm:ss`` (or ``m:ss``) for a duration; ``--:--`` when unknown."""
    if seconds is None:
        return "--:--"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
