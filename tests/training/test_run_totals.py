"""Totals of a run over both phases, on data whose length TensorFlow cannot tell (an image
folder's pipeline skips undecodable files): no "ran out of data", every count known."""

from __future__ import annotations

import warnings

import tensorflow as tf

from designer.training import TrainingOptions
from designer.training.events import status_sentence
from designer.training.recording import RecordingSink
from designer.training.transfer import TwoPhaseTrainer

from .util import blobs, classifier


def unknown_length(x, y, batch_size: int = 32):
    """Batches of (x, y) through ignore_errors(), which hides the dataset's length."""
    ds = tf.data.Dataset.from_tensor_slices((x, y)).ignore_errors().batch(batch_size)
    assert int(ds.cardinality()) == int(tf.data.UNKNOWN_CARDINALITY)
    return ds


class Totals(RecordingSink):
    """Also keeps every point's total of iterations."""

    def __init__(self) -> None:
        super().__init__()
        self.totals: list[int | None] = []

    def on_iteration(self, point) -> None:
        super().on_iteration(point)
        self.totals.append(point.total_iterations)


def test_two_phases_on_unknown_length_data_know_their_totals_and_do_not_run_dry():
    x, y = blobs(96)
    sink = Totals()
    trainer = TwoPhaseTrainer(
        classifier(),
        unknown_length(x, y),
        unknown_length(x[:40], y[:40]),
        TrainingOptions(solver="adam", mini_batch_size=32, validation_frequency=2),
        frozen=["hidden"],
        phase1_epochs=2,
        phase2_epochs=3,
        sink=sink,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = trainer.run().combined()
    dry = [w for w in caught if "ran out of data" in str(w.message)]
    assert dry == []
    # 96 samples in batches of 32: 3 iterations per epoch, 2 + 3 epochs.
    assert [(i.iterations_per_epoch, i.all_epochs, i.all_iterations) for i in sink.infos] == [
        (3, 5, 15),
        (3, 5, 15),
    ]
    assert list(sink.iterations) == list(range(1, 16))
    assert sink.totals == [15] * 15 and sink.last_point.eta == 0
    assert result.epochs_completed == 5 and result.status == "finished"
    assert result.message == "Finished after 5 epochs"
    assert status_sentence(result.status, result.message) == "Training finished after 5 epochs"
    assert len(sink.val_iterations) >= 5  # validated in both phases, each time to the end
