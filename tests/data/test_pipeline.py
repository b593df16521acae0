"""Keras-ready data: tf.data and PyDataset paths, augmentation on training data only, bad files."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from designer.data.augment import AugmentConfig
from designer.data.builtin import SyntheticConfig, open_synthetic
from designer.data.images import ImageFolderConfig, ImageFolderStore
from designer.data.pipeline import make_training_data
from designer.data.preprocess import PreprocessConfig
from designer.data.splits import SplitConfig
from designer.data.summary import DataError

AUG = AugmentConfig(rotation=25, translate_x=0.1, noise=0.05, seed=0)


def _batches(ds, backend: str) -> list[np.ndarray]:
    if backend == "tf.data":
        return [np.asarray(x) for x, _ in ds]
    return [ds[i][0] for i in range(len(ds))]


@pytest.mark.parametrize("backend", ["tf.data", "pydataset"])
def test_augmentation_reaches_training_only(digits_folder, backend) -> None:
    store = ImageFolderStore(ImageFolderConfig(str(digits_folder)))
    data = make_training_data(
        store,
        SplitConfig(validation_percent=20, seed=1),
        PreprocessConfig(),
        AUG,
        batch_size=8,
        shuffle=False,
        backend=backend,
    )
    assert (data.num_train, data.num_validation) == (50, 10)  # 1 of the 6 per class
    assert data.input_shape == (28, 28, 1) and data.backend == backend
    t1, t2 = _batches(data.train, backend), _batches(data.validation, backend)
    again = _batches(data.train, backend)
    assert not np.allclose(t1[0], again[0])  # fresh transforms every epoch
    plain = make_training_data(
        store,
        SplitConfig(validation_percent=20, seed=1),
        PreprocessConfig(),
        None,
        batch_size=8,
        shuffle=False,
        backend=backend,
    )
    assert np.allclose(np.concatenate(t2), np.concatenate(_batches(plain.validation, backend)))
    assert np.allclose(np.concatenate(t2), np.concatenate(_batches(data.validation, backend)))
    assert float(np.concatenate(t2).min()) >= 0.0 and float(np.concatenate(t2).max()) <= 1.0


@pytest.mark.parametrize("backend", ["tf.data", "pydataset"])
def test_resize_grey_to_rgb_and_fit(digits_folder, backend) -> None:
    store = ImageFolderStore(ImageFolderConfig(str(digits_folder)))
    data = make_training_data(
        store,
        SplitConfig(validation_percent=20),
        PreprocessConfig((16, 16), 3, "crop"),
        AUG,
        batch_size=16,
        backend=backend,
        one_hot=True,
    )
    x, y = next(iter(data.train)) if backend == "tf.data" else data.train[0]
    assert tuple(np.asarray(x).shape) == (16, 16, 16, 3) and tuple(np.asarray(y).shape) == (16, 10)
    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "categorical_crossentropy")
    history = model.fit(data.train, validation_data=data.validation, epochs=1, verbose=0)
    assert np.isfinite(history.history["val_loss"][0])


@pytest.mark.parametrize("backend", ["tf.data", "pydataset"])
def test_file_that_fails_at_decode_is_skipped(digits_folder, backend) -> None:
    store = ImageFolderStore(ImageFolderConfig(str(digits_folder)))
    # corrupt a file after the scan: training must go on without it
    victim = store.file_paths[0]
    with open(victim, "r+b") as fh:
        fh.truncate(40)
    data = make_training_data(
        store,
        SplitConfig(validation_percent=0),
        PreprocessConfig(),
        None,
        batch_size=64,
        shuffle=False,
        backend=backend,
    )
    seen = sum(len(b) for b in _batches(data.train, backend))
    if backend == "pydataset":  # the batch is one sample short
        assert seen == len(store) - 1
        assert victim in data.train.skipped[0]
    else:  # the epoch keeps its length: a sample of the next pass takes the victim's place
        assert seen == len(store) and int(data.train.cardinality()) == data.steps_per_epoch


def test_in_memory_store_and_separate_validation(digits_folder, tmp_path) -> None:
    store = open_synthetic(SyntheticConfig(num_samples=40, seed=0))
    data = make_training_data(
        store, SplitConfig(validation_percent=25, test_percent=25), batch_size=10
    )
    assert (data.num_train, data.num_validation, data.num_test) == (20, 10, 10)
    assert data.steps_per_epoch == 2 and data.class_names[3] == "3"
    from designer.data.synthetic import write_image_folder

    write_image_folder(tmp_path / "val", 20, seed=9)
    sep = SplitConfig(
        mode="separate", validation_source=ImageFolderConfig(str(tmp_path / "val")).to_dict()
    )
    folder = ImageFolderStore(ImageFolderConfig(str(digits_folder)))
    data = make_training_data(folder, sep, batch_size=10)
    assert (data.num_train, data.num_validation) == (60, 20)
    with pytest.raises(DataError, match="backend among"):
        make_training_data(store, backend="grain")


def test_mixed_sizes_need_an_image_size(mixed_folder) -> None:
    store = ImageFolderStore(ImageFolderConfig(str(mixed_folder)))
    with pytest.raises(DataError, match="different sizes"):
        make_training_data(store, SplitConfig(validation_percent=0))
    data = make_training_data(
        store, SplitConfig(validation_percent=0), PreprocessConfig((12, 12)), batch_size=32
    )
    x, y = next(iter(data.train))
    assert tuple(x.shape) == (11, 12, 12, 3)  # TIFF via Pillow, the rest decoded by TensorFlow
