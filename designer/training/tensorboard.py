"""TensorBoard event files written from the sink API with ``tf.summary.write`` (the
tensorboard package is needed only to view them, not to write them).

Event files are append-only logs of length- and CRC-framed records, flushed at each epoch's
end: a killed run leaves every finished epoch readable and at most one torn record at the
tail, which TensorBoard's reader skips (they cannot be renamed into place: TensorBoard
follows the files while they grow)."""

from __future__ import annotations

import os
from typing import Any

from designer.training.events import (
    EpochSummary,
    IterationPoint,
    StatusEvent,
    TrainingSink,
    ValidationPoint,
)


class TensorBoardSink(TrainingSink):
    """Writes per-iteration training scalars and validation scalars to ``log_dir``."""

    def __init__(self, log_dir: str, every: int = 1) -> None:
        import tensorflow as tf
        from tensorflow.core.framework import summary_pb2

        self._tf = tf
        # The metadata TensorBoard's scalar plugin expects (what tensorboard's own
        # tf.summary.scalar writes); tf.summary.write is in TensorFlow itself.
        self._meta = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"),
            data_class=summary_pb2.DATA_CLASS_SCALAR,
        ).SerializeToString()
        self.every = max(1, int(every))
        self._train = tf.summary.create_file_writer(os.path.join(log_dir, "train"))
        self._val = tf.summary.create_file_writer(os.path.join(log_dir, "validation"))

    def _write(self, writer: Any, values: dict[str, float], step: int) -> None:
        with writer.as_default():
            for k, v in values.items():
                self._tf.summary.write(
                    k, self._tf.constant(float(v), self._tf.float32), step=step, metadata=self._meta
                )

    def on_iteration(self, point: IterationPoint) -> None:
        """Write the batch loss, metrics and learning rate."""
        if point.iteration % self.every == 0:
            self._write(
                self._train,
                {"loss": point.loss, "learning_rate": point.learning_rate, **point.metrics},
                point.iteration,
            )

    def on_validation(self, point: ValidationPoint) -> None:
        """Write validation metrics at their iteration."""
        self._write(self._val, point.metrics, point.iteration)

    def on_epoch(self, summary: EpochSummary) -> None:
        """Flush once per epoch."""
        self._train.flush()
        self._val.flush()

    def on_status(self, event: StatusEvent) -> None:
        """Close the files when the run ends."""
        if event.status.value in ("stopped", "finished", "failed"):
            self._train.close()
            self._val.close()


def open_tensorboard(folder: str) -> TensorBoardSink:
    """A TensorBoardSink writing under ``folder``; ValueError naming a folder it cannot use."""
    try:
        return TensorBoardSink(folder)
    except Exception as exc:  # TensorFlow's own error types for a folder it cannot use
        first = (str(exc).strip().splitlines() or [""])[0]
        raise ValueError(
            f"tensorboard_dir: expected a folder for TensorBoard event files, received "
            f"{folder} ({type(exc).__name__}: {first})"
        ) from exc
