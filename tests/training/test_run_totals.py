"""Totals of a run: over both phases on data whose length TensorFlow cannot tell (counted
once), and on image folders whose pipeline skips undecodable files yet keeps its length (no
extra pass): no "ran out of data", every count known."""

from __future__ import annotations

import warnings

import keras
import tensorflow as tf

from designer.data.images import ImageFolderConfig, ImageFolderStore
from designer.data.pipeline import make_training_data
from designer.data.preprocess import PreprocessConfig
from designer.data.splits import SplitConfig
from designer.data.synthetic import write_image_folder
from designer.training import TrainingOptions
from designer.training.events import status_sentence
from designer.training.recording import RecordingSink
from designer.training.trainer import Trainer
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


# -- image folders: the pipeline keeps its length while it skips undecodable files ----------


def digits_folder(root, n: int):
    """``n`` synthetic 28x28 digit PNGs in one subfolder per class; their paths."""
    return write_image_folder(root, n, seed=3)


def folder_data(root, batch_size: int = 8):
    """(store, training data) of the image folder at ``root``: 28x28 grey, 25 % validation."""
    store = ImageFolderStore(ImageFolderConfig(str(root)))
    data = make_training_data(
        store,
        SplitConfig(validation_percent=25.0),
        PreprocessConfig(image_size=(28, 28), channels=1),
        batch_size=batch_size,
    )
    return store, data


def digit_model() -> keras.Model:
    keras.utils.set_random_seed(0)
    inp = keras.Input((28, 28, 1))
    out = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(inp))
    return keras.Model(inp, out)


def train_counting(data, epochs: int = 2):
    """Train a tiny model on ``data``: (result, sink, "ran out of data" warnings)."""
    sink = Totals()
    trainer = Trainer(
        digit_model(),
        data.train,
        data.validation,
        TrainingOptions(solver="adam", mini_batch_size=data.batch_size, max_epochs=epochs),
        sink,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = trainer.run()
    return result, sink, [w for w in caught if "ran out of data" in str(w.message)]


def samples_in(dataset) -> int:
    return sum(int(x.shape[0]) for x, _ in dataset)


def test_a_folder_with_a_corrupt_image_trains_with_known_totals_and_reports_it(tmp_path):
    paths = digits_folder(tmp_path / "digits", 41)
    corrupt = paths[7]
    with open(corrupt, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n not an image after all")
    store, data = folder_data(tmp_path / "digits")
    # Skipped at the scan and reported there (the project run logs the same problems).
    assert len(store) == 40 and corrupt not in store.file_paths
    skipped = [p for p in store.summary().problems if p.code == "corrupt-file"]
    assert [p.path for p in skipped] == [corrupt] and "skipped" in skipped[0].message
    # 30 training and 10 validation images in batches of 8: TensorFlow knows both lengths.
    assert (data.num_train, data.num_validation) == (30, 10)
    assert int(data.train.cardinality()) == data.steps_per_epoch == 4
    assert int(data.validation.cardinality()) == data.validation_steps == 2
    result, sink, dry = train_counting(data)
    assert dry == [] and result.status == "finished" and result.epochs_completed == 2
    assert [(i.iterations_per_epoch, i.all_iterations) for i in sink.infos] == [(4, 8)]
    assert list(sink.iterations) == list(range(1, 9)) and sink.totals == [8] * 8


def test_a_file_that_fails_to_decode_after_the_scan_leaves_every_epoch_its_length(tmp_path):
    paths = digits_folder(tmp_path / "digits", 40)
    store, data = folder_data(tmp_path / "digits")
    assert len(store) == 40
    # Damaged once the folder was scanned: only the pipeline finds out, and skips it.
    for path in paths[:2]:
        with open(path, "wb") as f:
            f.write(b"damaged after the scan")
    assert int(data.train.cardinality()) == 4 and int(data.validation.cardinality()) == 2
    # Each epoch still holds all its samples: skipped ones' places go to the next pass's.
    assert [samples_in(data.train), samples_in(data.train)] == [30, 30]
    assert samples_in(data.validation) == 10
    result, sink, dry = train_counting(data)
    assert dry == [] and result.status == "finished" and result.epochs_completed == 2
    assert list(sink.iterations) == list(range(1, 9)) and sink.totals == [8] * 8


def test_most_files_failing_after_the_scan_fail_the_run_with_a_clear_message(tmp_path):
    paths = digits_folder(tmp_path / "digits", 40)
    _, data = folder_data(tmp_path / "digits")
    for path in paths[:-3]:
        with open(path, "wb") as f:
            f.write(b"damaged after the scan")
    result, _, dry = train_counting(data, epochs=1)
    assert result.status == "failed" and dry == []
    assert "could not be decoded" in result.message
