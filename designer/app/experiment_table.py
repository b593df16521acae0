"""The trials of a study as a table: columns, rows, CSV, and the numbers the Experiment
Manager's plots draw (parallel coordinates, importance). No Qt."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from designer.training.atomic import write_text_atomic
from designer.training.study import TrialRecord

FIXED_COLUMNS = ("trial", "state", "value", "seconds", "epochs")


@dataclass(frozen=True)
class TrialTable:
    """Columns and rows of a study's trials: trial, state, value, seconds, epochs, each
    parameter, each final metric, then the error."""

    columns: list[str]
    rows: list[list[Any]]

    def to_csv(self) -> str:
        """The table as CSV text (empty cells for missing values)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if v is None else v for v in row])
        return out.getvalue()


def trial_table(records: list[TrialRecord]) -> TrialTable:
    """The table of ``records`` (parameters and metrics in the order first seen)."""
    params: list[str] = []
    metrics: list[str] = []
    for record in records:
        params += [p for p in record.params if p not in params]
        metrics += [m for m in record.metrics if m not in metrics]
    columns = [*FIXED_COLUMNS, *params, *metrics, "error"]
    rows = [
        [
            record.number,
            record.state,
            record.value,
            None if record.seconds is None else round(record.seconds, 2),
            record.epochs,
            *(record.params.get(p) for p in params),
            *(record.metrics.get(m) for m in metrics),
            record.error,
        ]
        for record in records
    ]
    return TrialTable(columns, rows)


def write_trials_csv(records: list[TrialRecord], path: str | Path) -> Path:
    """Write the trials' table as CSV, atomically."""
    write_text_atomic(str(path), trial_table(records).to_csv())
    return Path(path)


@dataclass(frozen=True)
class ParallelAxes:
    """Parallel coordinates: one axis per parameter and the objective last, every value
    placed in 0..1 on its axis (categories evenly), with the labels of each axis' ticks."""

    names: list[str]
    lines: list[tuple[int, list[float]]]  # (trial number, a position per axis)
    values: list[float]  # each line's objective (for its colour)
    ticks: list[list[tuple[float, str]]]


def parallel_axes(records: list[TrialRecord], objective: str = "objective") -> ParallelAxes:
    """The parallel-coordinates picture of the completed trials."""
    done = [r for r in records if r.state == "COMPLETE" and r.value is not None]
    names = sorted({p for r in done for p in r.params}, key=_first_seen(done))
    columns = [[r.params.get(n) for r in done] for n in names]
    columns.append([r.value for r in done])
    placed, ticks = zip(*(_place(c) for c in columns), strict=True) if done else ((), ())
    lines = [(r.number, [axis[i] for axis in placed]) for i, r in enumerate(done)]
    return ParallelAxes(
        [*names, objective], lines, [float(r.value or 0.0) for r in done], list(ticks)
    )


def _first_seen(records: list[TrialRecord]) -> Any:
    order: dict[str, int] = {}
    for record in records:
        for name in record.params:
            order.setdefault(name, len(order))
    return lambda name: order[name]


def _place(values: list[Any]) -> tuple[list[float], list[tuple[float, str]]]:
    """Positions in 0..1 for one axis and its tick labels: numbers by value (log-spaced
    when they span more than a factor 20 and are positive), anything else as categories."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) == len(values) and values:
        logs = min(numbers) > 0 and max(numbers) / min(numbers) > 20
        scaled = [math.log10(v) if logs else float(v) for v in numbers]
        low, high = min(scaled), max(scaled)
        span = (high - low) or 1.0
        positions = [(s - low) / span if high > low else 0.5 for s in scaled]
        ticks = sorted({(p, _label(v)) for p, v in zip(positions, numbers, strict=True)})
        return positions, ticks
    categories = sorted({repr(v) for v in values})
    step = 1.0 / max(len(categories) - 1, 1)
    where = {c: (i * step if len(categories) > 1 else 0.5) for i, c in enumerate(categories)}
    labels = {repr(v): str(v) for v in values}
    return [where[repr(v)] for v in values], [(where[c], labels[c]) for c in categories]


def _label(value: float) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
