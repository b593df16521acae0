"""The Qt-free Keras callback that reports to a sink and obeys stop/pause from any thread."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import keras

from designer.core.progress import CancelToken
from designer.training.atomic import save_model_atomic
from designer.training.events import (
    EpochSummary,
    IterationPoint,
    Status,
    StatusEvent,
    TrainingSink,
    ValidationPoint,
)
from designer.training.history import lower_is_better

_MEAN_SUFFIXES = ("loss", "accuracy", "mae", "mse", "crossentropy", "error")
_RMS_SUFFIXES = ("rmse", "root_mean_squared_error")


class TrainingControl:
    """Stop, pause and resume requests, safe to call from any thread."""

    def __init__(self, cancel: CancelToken | None = None) -> None:
        self._cond = threading.Condition()
        self._paused = False
        self._stop = False
        self.cancel_token = cancel

    def stop(self) -> None:
        """Ask the run to stop after the current batch (also wakes a paused run)."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def pause(self) -> None:
        """Ask the run to wait after the current batch until :meth:`resume`."""
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        """Let a paused run continue."""
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    @property
    def stop_requested(self) -> bool:
        """True once stop was asked (or the cancel token was cancelled)."""
        return self._stop or bool(self.cancel_token and self.cancel_token.cancelled)

    @property
    def paused(self) -> bool:
        """True while a pause is requested."""
        return self._paused

    def wait_while_paused(self, poll: float = 0.5) -> float:
        """Block (without spinning) while paused; returns the seconds waited."""
        with self._cond:
            if not self._paused or self.stop_requested:
                return 0.0
            start = time.perf_counter()
            # The timeout only lets a cancel token (which cannot notify us) be noticed.
            while self._paused and not self.stop_requested:
                self._cond.wait(timeout=poll)
            return time.perf_counter() - start


def _value_kind(key: str) -> str:
    if key.endswith(_RMS_SUFFIXES):
        return "rms"
    if key.endswith(_MEAN_SUFFIXES):
        return "mean"
    return "running"


class ProgressCallback(keras.callbacks.Callback):
    """Forwards Keras progress to a sink; handles stop/pause, NaN, validation every N
    iterations, early stopping and checkpoints. Runs on the training thread."""

    def __init__(
        self,
        sink: TrainingSink,
        control: TrainingControl,
        *,
        epochs: int,
        iterations_per_epoch: int | None,
        batch_size: int | None,
        num_samples: int | None,
        learning_rate: Callable[[int], float],
        validate: Callable[[], dict[str, float]] | None = None,
        validation_frequency: int | None = None,
        monitor: str = "val_loss",
        patience: int | None = None,
        min_delta: float = 0.0,
        restore_best: bool = True,
        checkpoint_dir: str | None = None,
        checkpoint_every: int = 1,
        checkpoint_best_only: bool = False,
        iteration_offset: int = 0,
        epoch_offset: int = 0,
        phase: str = "",
        run_epochs: int | None = None,
    ) -> None:
        super().__init__()
        self.sink, self.control = sink, control
        self.epochs, self.ipe = epochs, iterations_per_epoch
        # Iterations left in the whole run (this phase and the later ones) when it starts.
        later = (run_epochs or epoch_offset + epochs) - epoch_offset
        self.total = iterations_per_epoch * later if iterations_per_epoch else None
        self.batch_size, self.num_samples = batch_size, num_samples
        self.lr_at, self.validate, self.val_freq = learning_rate, validate, validation_frequency
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.restore_best = restore_best
        self.ckpt_dir, self.ckpt_every, self.ckpt_best_only = (
            checkpoint_dir,
            checkpoint_every,
            checkpoint_best_only,
        )
        self.it0, self.ep0, self.phase = iteration_offset, epoch_offset, phase
        self.iteration = 0  # iterations done in this run
        self.stop_reason: str | None = None
        self.message = ""
        self.best: float | None = None
        self.best_iteration = 0
        self.best_weights: list[Any] | None = None
        self.last_val: dict[str, float] | None = None
        self._last_val_iteration = -1
        self._bad_checks = 0
        self._improved = False
        self._paused_s = 0.0
        self._t0 = time.perf_counter()
        self._samples = 0
        self._epoch = 0
        self._prev: dict[str, float] = {}
        self._count = 0

    # -- timing -----------------------------------------------------------------------
    def elapsed(self) -> float:
        """Seconds of training so far, pauses excluded."""
        return time.perf_counter() - self._t0 - self._paused_s

    def _status(self, status: Status, message: str = "") -> None:
        self.sink.on_status(StatusEvent(status, message, self.it0 + self.iteration, self.elapsed()))

    # -- Keras hooks ------------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        """Start the clock."""
        self._t0 = time.perf_counter()
        self._status(Status.RUNNING, self.phase)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Reset the per-batch decomposition of running means."""
        self._epoch = epoch
        self._prev, self._count = {}, 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Report the batch, guard against NaN, validate if due, then obey stop/pause."""
        logs = logs or {}
        self.iteration += 1
        n = self._batch_samples(batch)
        self._samples += n
        values = self._batch_values(logs, n)
        loss = values.pop("loss", float("nan"))
        elapsed = self.elapsed()
        global_it = self.it0 + self.iteration
        eta = None
        if self.total:
            eta = elapsed / self.iteration * max(0, self.total - self.iteration)
        self.sink.on_iteration(
            IterationPoint(
                global_it,
                self.ep0 + self._epoch + 1,
                batch + 1,
                self.ipe,
                self.it0 + self.total if self.total else None,
                loss,
                values,
                dict(logs),
                self.lr_at(self.iteration - 1),
                elapsed,
                eta,
                self._samples / elapsed if elapsed > 0 and self.batch_size else None,
                self.phase,
            )
        )
        if not math.isfinite(loss):
            self._nan_stop(loss)
            return
        if self.validate is not None and self.val_freq and self.iteration % self.val_freq == 0:
            self._run_validation()
        self._obey_controls()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Report the epoch (and per-epoch validation), early-stop and checkpoint."""
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        if val and self.stop_reason != "nan":
            self._report_validation(val)
        last = epoch + 1 == self.epochs or self.model.stop_training
        if last and self._final_validation_due():
            self._run_validation()
        self.sink.on_epoch(
            EpochSummary(
                self.ep0 + epoch + 1,
                self.it0 + self.iteration,
                train,
                self.last_val,
                self.lr_at(max(0, self.iteration - 1)),
                self.elapsed(),
                self.phase,
            )
        )
        if self.ckpt_dir and self.stop_reason != "nan":
            self._checkpoint(epoch + 1, train)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Validate the final network if iteration-wise validation has not seen it yet."""
        if self._final_validation_due():
            self._run_validation()
        if self.best_weights is not None and self.restore_best:
            self.model.set_weights(self.best_weights)

    # -- helpers ----------------------------------------------------------------------
    def _final_validation_due(self) -> bool:
        return (
            self.validate is not None
            and bool(self.val_freq)
            and self.stop_reason != "nan"
            and self._last_val_iteration != self.iteration
            and self.iteration > 0
        )

    def _batch_samples(self, batch: int) -> int:
        if not self.batch_size:
            return 1
        if self.num_samples:
            return max(1, min(self.batch_size, self.num_samples - batch * self.batch_size))
        return self.batch_size

    def _batch_values(self, logs: dict[str, float], n: int) -> dict[str, float]:
        """This batch's value of each log from Keras' sample-weighted running means."""
        prev_count, count = self._count, self._count + n
        out = {}
        for key, v in logs.items():
            p = self._prev.get(key)
            kind = _value_kind(key)
            if p is None or kind == "running" or not math.isfinite(v):
                out[key] = v
            elif kind == "mean":
                out[key] = (v * count - p * prev_count) / n
            else:
                out[key] = math.sqrt(max(0.0, (v * v * count - p * p * prev_count) / n))
        self._prev, self._count = logs, count
        return out

    def _nan_stop(self, loss: float) -> None:
        self.stop_reason = "nan"
        what = "NaN" if math.isnan(loss) else "infinite"
        self.message = (
            f"Training stopped at iteration {self.it0 + self.iteration} (epoch "
            f"{self.ep0 + self._epoch + 1}): the loss became {what}. Try a lower initial learning "
            f"rate (it was {self.lr_at(self.iteration - 1):g}) or gradient clipping, and check "
            "the data for NaN/inf values or unnormalised inputs."
        )
        self.best_weights = None  # nothing trustworthy to restore beyond what Keras holds
        self.model.stop_training = True

    def _obey_controls(self) -> None:
        if self.control.paused and not self.control.stop_requested:
            self._status(Status.PAUSED, "Paused")
            self._paused_s += self.control.wait_while_paused()
            if not self.control.stop_requested:
                self._status(Status.RUNNING, "Resumed")
        if self.control.stop_requested and self.stop_reason is None:
            self.stop_reason = "stopped"
            self.message = f"Stopped by the user at iteration {self.it0 + self.iteration}"
            self.model.stop_training = True

    def _run_validation(self) -> None:
        assert self.validate is not None
        self._report_validation(self.validate())

    def _report_validation(self, val: dict[str, float]) -> None:
        self._last_val_iteration = self.iteration
        self.last_val = dict(val)
        self.sink.on_validation(
            ValidationPoint(
                self.it0 + self.iteration,
                self.ep0 + self._epoch + 1,
                dict(val),
                self.elapsed(),
                self.phase,
            )
        )
        self._observe(val)

    def _observe(self, val: dict[str, float]) -> None:
        key = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
        value = val.get(key)
        if value is None or not math.isfinite(value):
            return
        lower = lower_is_better(key)
        improved = self.best is None or (
            value < self.best - self.min_delta if lower else value > self.best + self.min_delta
        )
        if improved:
            self.best, self.best_iteration, self._bad_checks = value, self.it0 + self.iteration, 0
            if self.patience is not None and self.restore_best:
                self.best_weights = self.model.get_weights()
            self._improved = True
            return
        self._bad_checks += 1
        if (
            self.patience is not None
            and self._bad_checks >= self.patience
            and self.stop_reason is None
        ):
            self.stop_reason = "early_stopping"
            self.message = (
                f"Validation {key} did not improve for {self.patience} checks; best "
                f"{self.best:.4g} at iteration {self.best_iteration}"
            )
            self.model.stop_training = True

    def _checkpoint(self, epoch: int, train: dict[str, float]) -> None:
        assert self.ckpt_dir is not None
        os.makedirs(self.ckpt_dir, exist_ok=True)
        if self.ckpt_best_only:
            if self.last_val is None:  # no validation: judge on the training logs
                self._observe_train(train)
            if self._improved:
                save_model_atomic(self.model, os.path.join(self.ckpt_dir, "best.keras"))
            self._improved = False
        elif epoch % self.ckpt_every == 0:
            name = f"epoch_{self.ep0 + epoch:03d}.keras"
            save_model_atomic(self.model, os.path.join(self.ckpt_dir, name))

    def _observe_train(self, train: dict[str, float]) -> None:
        key = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
        value = train.get(key)
        if value is None or not math.isfinite(value):
            return
        lower = lower_is_better(key)
        if self.best is None or (value < self.best if lower else value > self.best):
            self.best, self.best_iteration, self._improved = value, self.it0 + self.iteration, True
