"""Training history and the JSON-able result of a run, with CSV export."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from designer.training.atomic import write_text_atomic
from designer.training.events import (
    EpochSummary,
    IterationPoint,
    PhaseEvent,
    TrainingSink,
    ValidationPoint,
)


def lower_is_better(metric: str) -> bool:
    """True for loss/error-like metric names (loss, mae, rmse, mse)."""
    return metric.endswith(("loss", "mae", "mse", "rmse", "error", "crossentropy"))


def epoch_row(summary: EpochSummary) -> dict[str, Any]:
    """The history row of an epoch: epoch, iteration, learning rate, elapsed, the training
    means, the ``val_`` metrics, and the phase when there is one."""
    row: dict[str, Any] = {
        "epoch": summary.epoch,
        "iteration": summary.iteration,
        "learning_rate": summary.learning_rate,
        "elapsed": summary.elapsed,
    }
    row.update(summary.train)
    row.update({f"val_{k}": v for k, v in (summary.val or {}).items()})
    if summary.phase:
        row["phase"] = summary.phase
    return row


def iteration_row(point: IterationPoint) -> dict[str, Any]:
    """The iterations.csv row of a mini-batch (the columns :class:`HistorySink` keeps)."""
    return {
        "iteration": point.iteration,
        "epoch": point.epoch,
        "loss": point.loss,
        "learning_rate": point.learning_rate,
        "elapsed": point.elapsed,
        **point.metrics,
    }


def csv_text(keys: list[str], rows: list[dict[str, Any]], header: bool = True) -> str:
    """CSV text of ``rows`` in the columns ``keys`` (missing values empty)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys)
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in keys})
    return buffer.getvalue()


class HistorySink(TrainingSink):
    """Records iterations as columns, validations and epochs as rows (cheap appends)."""

    def __init__(self) -> None:
        self.columns: dict[str, list[float]] = {
            "iteration": [],
            "epoch": [],
            "loss": [],
            "learning_rate": [],
            "elapsed": [],
        }
        self.validations: list[dict[str, Any]] = []
        self.epochs: list[dict[str, Any]] = []
        self.phases: list[dict[str, Any]] = []

    def on_iteration(self, point: IterationPoint) -> None:
        """Append one row of columns."""
        cols = self.columns
        n = len(cols["iteration"])
        cols["iteration"].append(point.iteration)
        cols["epoch"].append(point.epoch)
        cols["loss"].append(point.loss)
        cols["learning_rate"].append(point.learning_rate)
        cols["elapsed"].append(point.elapsed)
        for k, v in point.metrics.items():
            col = cols.get(k)
            if col is None:
                col = cols[k] = [math.nan] * n
            col.append(v)
        for col in cols.values():
            if len(col) == n:  # a metric missing from this point
                col.append(math.nan)

    def on_validation(self, point: ValidationPoint) -> None:
        """Append a validation row."""
        self.validations.append(
            {
                "iteration": point.iteration,
                "epoch": point.epoch,
                "elapsed": point.elapsed,
                **point.metrics,
            }
        )

    def on_epoch(self, summary: EpochSummary) -> None:
        """Append an epoch row (training means, then ``val_`` metrics)."""
        self.epochs.append(epoch_row(summary))

    def on_phase(self, event: PhaseEvent) -> None:
        """Remember a phase boundary."""
        self.phases.append(
            {
                "index": event.index,
                "name": event.name,
                "first_iteration": event.first_iteration,
                "epochs": event.epochs,
            }
        )


@dataclass
class TrainingResult:
    """What a run produced: history, final and best metrics, time and why it stopped."""

    status: str  # finished, stopped or failed
    stop_reason: str  # max_epochs, stopped, early_stopping, nan, out_of_memory, error
    message: str
    epochs: list[dict[str, Any]] = field(default_factory=list)
    iterations: dict[str, list[float]] = field(default_factory=dict)
    validations: list[dict[str, Any]] = field(default_factory=list)
    phases: list[dict[str, Any]] = field(default_factory=list)
    final: dict[str, float] = field(default_factory=dict)
    best: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    samples_per_second: float | None = None
    device: str = ""
    folders: dict[str, str] = field(default_factory=dict)  # what -> absolute folder written

    @property
    def epochs_completed(self) -> int:
        """Number of epochs that reported (a stopped epoch counts)."""
        return len(self.epochs)

    def summary(self) -> dict[str, Any]:
        """The short JSON-able dict the CLI prints: epochs, final, best, seconds, samples_per_second."""
        return _clean(
            {
                "epochs": self.epochs_completed,
                "final": dict(self.final),
                "best": dict(self.best),
                "seconds": round(self.seconds, 3),
                "samples_per_second": self.samples_per_second,
                "status": self.status,
                "stop_reason": self.stop_reason,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (NaN and inf become None)."""
        return _clean(asdict(self))

    def to_json(self, **kwargs: Any) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingResult:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)

    def write_csv(self, path: str, level: str = "epoch") -> None:
        """Write the epoch history (``level='epoch'``) or every iteration (``'iteration'``),
        atomically (a killed write leaves the previous file)."""
        if level == "epoch":
            rows = self.epochs
            keys: list[str] = []
            for row in rows:
                keys += [k for k in row if k not in keys]
        elif level == "iteration":
            keys = list(self.iterations)
            n = len(self.iterations.get("iteration", []))
            rows = [{k: self.iterations[k][i] for k in keys} for i in range(n)]
        else:
            raise ValueError(f"Expected level 'epoch' or 'iteration', received {level!r}")
        write_text_atomic(path, csv_text(keys, rows))


def best_metrics(history: HistorySink) -> dict[str, Any]:
    """Best value (and its iteration) of each validation metric, else of each epoch metric."""
    best: dict[str, Any] = {}
    rows, prefix = history.validations, "val_"
    if not rows:
        rows, prefix = history.epochs, ""
    for row in rows:
        for k, v in row.items():
            if k in ("iteration", "epoch", "elapsed", "learning_rate", "phase") or k.startswith(
                "val_"
            ):
                continue
            if not isinstance(v, float | int) or not math.isfinite(v):
                continue
            name = prefix + k
            cur = best.get(name)
            if cur is None or (v < cur["value"] if lower_is_better(k) else v > cur["value"]):
                best[name] = {
                    "value": v,
                    "iteration": row.get("iteration"),
                    "epoch": row.get("epoch"),
                }
    return best


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj
