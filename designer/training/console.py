"""Terminal side of training: a progress printer sink and ``train_model`` for the CLI."""

from __future__ import annotations

import json as jsonlib
import os
import sys
import time
from typing import Any, TextIO

import keras

from designer.training.atomic import prepare_folder, save_model_atomic, write_text_atomic
from designer.training.events import (
    EpochSummary,
    IterationPoint,
    MultiSink,
    PhaseEvent,
    RunInfo,
    Status,
    StatusEvent,
    TrainingSink,
    format_seconds,
)
from designer.training.history import TrainingResult
from designer.training.history_files import HistoryFileSink
from designer.training.options import TrainingOptions
from designer.training.trainer import Trainer, TrainingConfigError, one_line


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
        self.epochs = info.all_epochs
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

    def print_folders(self, folders: dict[str, str]) -> None:
        """Say where the run writes its files."""
        self._end_line()
        names = {
            "output": "Output",
            "checkpoints": "Checkpoints",
            "tensorboard": "TensorBoard logs",
        }
        for key, folder in folders.items():
            self._write(f"{names.get(key, key)}: {folder}\n")

    def on_status(self, event: StatusEvent) -> None:
        """Print pauses and the end of the run."""
        if event.status in (Status.PAUSED, Status.STOPPED, Status.FINISHED, Status.FAILED):
            self._end_line()
            self._write(f"[{event.status.value}] {event.message}\n")


def output_files(out_dir: str) -> dict[str, str]:
    """The files :func:`train_model` writes into ``out_dir``, by name."""
    return {
        "model": os.path.join(out_dir, "model.keras"),
        "history": os.path.join(out_dir, "history.csv"),
        "iterations": os.path.join(out_dir, "iterations.csv"),
        "result": os.path.join(out_dir, "result.json"),
    }


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
    seconds, samples_per_second, status, stop_reason, files, folders).

    ``history.csv`` and ``iterations.csv`` grow as each epoch ends; every file is written
    atomically, so a killed run leaves complete files. Progress goes to ``stream`` (stdout);
    with ``json=True`` it goes to stderr and the summary is printed to ``stream`` as JSON.
    Raises :class:`TrainingConfigError` when a folder cannot be written or the run cannot
    start.
    """
    stream = stream or sys.stdout
    progress = sys.stderr if json else stream
    try:
        out_dir = prepare_folder(out_dir, "output folder")
    except ValueError as exc:
        raise TrainingConfigError(str(exc)) from exc
    files = output_files(out_dir)
    printer = ConsoleProgressSink(progress)
    log = HistoryFileSink(files["history"], files["iterations"])
    folders = {"output": out_dir}
    for name, what in (("checkpoints", "checkpoint_dir"), ("tensorboard", "tensorboard_dir")):
        if getattr(options, what):
            folders[name] = os.path.abspath(getattr(options, what))
    printer.print_folders(folders)
    result = Trainer(model, train, val, options, MultiSink(log, printer, sink)).run()
    try:
        write_outputs(model, result, files)
    except Exception as exc:  # a full disk or a model Keras cannot save: said, not raised
        result.status, result.stop_reason = Status.FAILED.value, "save_failed"
        result.message = f"Could not write the training outputs to {out_dir}: {one_line(exc)}"
        printer.on_status(StatusEvent(Status.FAILED, result.message))
    summary = {**result.summary(), "files": files, "folders": {**folders, **result.folders}}
    if result.stop_reason == "save_failed":
        summary["message"] = result.message
    if json:
        stream.write(jsonlib.dumps(summary) + "\n")
    elif result.stop_reason != "save_failed":
        stream.write(
            f"Saved {files['model']} and {files['history']} "
            f"({summary['epochs']} epoch(s), {format_seconds(result.seconds)})\n"
        )
    return summary


def write_outputs(model: keras.Model, result: TrainingResult, files: dict[str, str]) -> None:
    """The end-of-run files, each atomically: the histories, the model, then the result."""
    result.write_csv(files["history"], "epoch")
    result.write_csv(files["iterations"], "iteration")
    save_model_atomic(model, files["model"])
    write_text_atomic(files["result"], result.to_json(indent=1))
