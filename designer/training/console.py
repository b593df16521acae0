"""Terminal side of training: a progress printer sink and ``train_model`` for the CLI."""

from __future__ import annotations

import json as jsonlib
import os
import sys
import time
from typing import Any, TextIO

import keras

from designer.training.events import (
    EpochSummary,
    IterationPoint,
    MultiSink,
    PhaseEvent,
    RunInfo,
    Status,
    StatusEvent,
    TrainingSink,
)
from designer.training.options import TrainingOptions
from designer.training.trainer import Trainer


def format_seconds(seconds: float | None) -> str:
    """``h:mm:ss`` (or ``m:ss``) for a duration; ``--:--`` when unknown."""
    if seconds is None:
        return "--:--"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ConsoleProgressSink(TrainingSink):
    """Prints progress: a redrawn bar on a TTY (at most every ``min_interval`` s), else one
    line per epoch plus a line every ``line_interval`` s, so logs stay readable."""

    def __init__(
        self,
        stream: TextIO | None = None,
        width: int = 24,
        min_interval: float = 0.2,
        line_interval: float = 30.0,
        tty: bool | None = None,
    ) -> None:
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self.width, self.min_interval, self.line_interval = width, min_interval, line_interval
        self._last = 0.0
        self._dirty_line = False
        self.epochs: int | None = None

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def _end_line(self) -> None:
        if self._dirty_line:
            self._write("\n")
            self._dirty_line = False

    def on_start(self, info: RunInfo) -> None:
        """Print the plan of the run."""
        self.epochs = info.epoch_offset + info.epochs
        total = info.total_iterations or "?"
        self._end_line()
        self._write(
            f"Training{' (' + info.phase + ')' if info.phase else ''}: {info.epochs} "
            f"epoch(s), {info.iterations_per_epoch or '?'} iterations/epoch, {total} "
            f"iterations. {info.device}\n"
        )

    def on_phase(self, event: PhaseEvent) -> None:
        """Announce a phase."""
        self._end_line()
        self._write(
            f"== Phase {event.index + 1}: {event.name} (from iteration "
            f"{event.first_iteration}) ==\n"
        )

    def line(self, p: IterationPoint) -> str:
        """One progress line for an iteration point."""
        frac = None
        if p.total_iterations:
            frac = min(1.0, p.iteration / p.total_iterations)
        bar = ""
        if frac is not None:
            filled = int(frac * self.width)
            bar = "[" + "#" * filled + "." * (self.width - filled) + f"] {frac:4.0%} "
        acc = next((v for k, v in p.running.items() if k.endswith("accuracy")), None)
        parts = [
            f"epoch {p.epoch}/{self.epochs or '?'}",
            f"iter {p.iteration}",
            f"loss {p.running.get('loss', p.loss):.4f}",
        ]
        if acc is not None:
            parts.append(f"acc {acc:.4f}")
        parts.append(f"lr {p.learning_rate:.3g}")
        parts.append(f"ETA {format_seconds(p.eta)}")
        return bar + " ".join(parts)

    def on_iteration(self, point: IterationPoint) -> None:
        """Redraw the bar (TTY) or print a line now and then (pipe/file)."""
        now = time.perf_counter()
        if self.tty:
            if now - self._last >= self.min_interval:
                self._last = now
                self._write("\r" + self.line(point) + "\x1b[K")
                self._dirty_line = True
        elif now - self._last >= self.line_interval:
            self._last = now
            self._write(self.line(point) + "\n")

    def on_epoch(self, summary: EpochSummary) -> None:
        """Print the epoch's means and validation."""
        self._end_line()
        train = " ".join(f"{k} {v:.4f}" for k, v in summary.train.items())
        val = " ".join(f"val_{k} {v:.4f}" for k, v in (summary.val or {}).items())
        self._write(
            f"Epoch {summary.epoch}/{self.epochs or '?'} ({format_seconds(summary.elapsed)})"
            f": {train} {val}".rstrip()
            + "\n"
        )

    def on_status(self, event: StatusEvent) -> None:
        """Print pauses and the end of the run."""
        if event.status in (Status.PAUSED, Status.STOPPED, Status.FINISHED, Status.FAILED):
            self._end_line()
            self._write(f"[{event.status.value}] {event.message}\n")


def train_model(
    model: keras.Model,
    train: Any,
    val: Any,
    options: TrainingOptions,
    out_dir: str,
    json: bool = False,
    sink: Any = None,
    stream: TextIO | None = None,
) -> dict[str, Any]:
    """Train, then write ``model.keras``, ``history.csv``, ``iterations.csv`` and
    ``result.json`` into ``out_dir``; returns the summary dict (epochs, final, best,
    seconds, samples_per_second, status, stop_reason, files).

    Progress goes to ``stream`` (stdout); with ``json=True`` it goes to stderr and the
    summary is printed to ``stream`` as JSON.
    """
    stream = stream or sys.stdout
    os.makedirs(out_dir, exist_ok=True)
    printer = ConsoleProgressSink(sys.stderr if json else stream)
    sinks = [printer] if sink is None else [printer, sink]
    result = Trainer(model, train, val, options, MultiSink(*sinks)).run()
    files = {
        "model": os.path.join(out_dir, "model.keras"),
        "history": os.path.join(out_dir, "history.csv"),
        "iterations": os.path.join(out_dir, "iterations.csv"),
        "result": os.path.join(out_dir, "result.json"),
    }
    model.save(files["model"])
    result.write_csv(files["history"], "epoch")
    result.write_csv(files["iterations"], "iteration")
    with open(files["result"], "w", encoding="utf-8") as f:
        f.write(result.to_json(indent=1))
    summary = {**result.summary(), "files": files}
    if json:
        stream.write(jsonlib.dumps(summary) + "\n")
    else:
        stream.write(
            f"Saved {files['model']} and {files['history']} "
            f"({summary['epochs']} epoch(s), {format_seconds(result.seconds)})\n"
        )
    return summary
