"""Keras-ready training, validation and test data from a datastore and the data settings.

``make_training_data`` picks tf.data when Keras runs on TensorFlow and a backend-neutral
``keras.utils.PyDataset`` otherwise (or when asked), applies the preprocessing to every part and
the augmentation to the training part only.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from designer.data.augment import AugmentConfig, build_augmenter, describe_augmentation
from designer.data.base import Datastore
from designer.data.preprocess import PreprocessConfig, describe_preprocess
from designer.data.splits import Split, SplitConfig, split_for
from designer.data.summary import DataError

BACKENDS = ("auto", "tf.data", "pydataset")


@dataclass
class TrainingData:
    """What ``model.fit`` needs, plus facts for the GUI and the training code."""

    train: Any
    validation: Any | None
    test: Any | None
    backend: str
    task: str
    class_names: list[str]
    input_shape: tuple[int | None, ...]
    num_train: int
    num_validation: int
    num_test: int
    batch_size: int
    steps_per_epoch: int
    validation_steps: int
    preprocessing: list[str] = field(default_factory=list)
    augmentation: list[str] = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.class_names)


def default_backend() -> str:
    """'tf.data' when Keras runs on TensorFlow, else 'pydataset'."""
    import keras

    return "tf.data" if keras.backend.backend() == "tensorflow" else "pydataset"


def _sample_shape(store: Datastore, preprocess: PreprocessConfig) -> tuple[int | None, ...]:
    if store.is_image:
        channels = preprocess.channels or getattr(store, "channels", 3)
        if preprocess.image_size:
            return (*preprocess.image_size, channels)
        sizes = {tuple(int(v) for v in k.split("x")[:2]) for k in getattr(store, "image_sizes", {})}
        h, w = sizes.pop() if len(sizes) == 1 else (None, None)
        return (h, w, channels)
    x, _ = store.get(0)
    return tuple(np.asarray(x).shape)


def open_matching_source(source: dict[str, Any], like: Datastore) -> Datastore:
    """Open separate validation/test data (a config dict) with the classes of ``like`` in the
    same order; DataError when task or classes differ."""
    from designer.data.registry import config_from_dict, open_datastore

    config = config_from_dict(source)
    if hasattr(config, "class_names") and config.class_names is None and like.class_names:
        # Only configs with a class_names field get here (DataConfig itself has none).
        changes: dict[str, Any] = {"class_names": tuple(like.class_names)}
        config = dataclasses.replace(config, **changes)
    store = open_datastore(config)
    if store.task != like.task or list(store.class_names) != list(like.class_names):
        raise DataError(
            f"the validation/test data must match the training data: expected task {like.task} "
            f"with classes {like.class_names}, received {store.task} with {store.class_names}"
        )
    return store


def _dataset(
    store: Datastore,
    indices: np.ndarray,
    preprocess: PreprocessConfig,
    batch_size: int,
    augment: AugmentConfig | None,
    shuffle: bool,
    seed: int,
    backend: str,
    one_hot: bool,
) -> Any:
    if store.task == "detection":  # boxes move with the pixels: Keras' box layers in tf.data
        if backend == "pydataset":
            raise DataError("object detection data needs the tf.data pipeline (TensorFlow)")
        from designer.data.detection_pipeline import detection_dataset

        return detection_dataset(store, indices, preprocess, batch_size, augment, shuffle, seed)
    channels = preprocess.channels or getattr(store, "channels", 3) or 3
    augmenter = build_augmenter(augment, channels) if store.is_image else None
    targets = store.targets
    if targets is not None and one_hot and store.class_names and store.labels is not None:
        targets = np.eye(len(store.class_names), dtype=np.float32)[targets]
    if backend == "pydataset":
        from designer.data.pydataset import StoreDataset

        return StoreDataset(
            store,
            indices,
            preprocess,
            batch_size,
            augmenter,
            shuffle,
            seed,
            y=targets if one_hot else None,
        )
    from designer.data import tfdata

    if store.task == "segmentation":
        return tfdata.segmentation_dataset(
            store, indices, preprocess, batch_size, augmenter, shuffle, seed
        )
    arrays = store.arrays()
    if arrays is None and not store.file_paths:
        raise DataError(
            f"expected a datastore with arrays or image files, received {type(store).__name__}"
        )
    if targets is None:
        raise DataError(
            f"expected a datastore that holds its targets in memory for the tf.data backend, "
            f"received {type(store).__name__} (use the pydataset backend)"
        )
    if arrays is not None:
        x, _ = arrays
        return tfdata.array_dataset(
            x[indices],
            targets[indices],
            preprocess,
            batch_size,
            augmenter,
            shuffle,
            seed,
            store.is_image,
        )
    return tfdata.file_dataset(
        store, indices, preprocess, batch_size, augmenter, shuffle, seed, targets[indices]
    )


def make_training_data(
    store: Datastore,
    split: SplitConfig | Split | None = None,
    preprocess: PreprocessConfig | None = None,
    augment: AugmentConfig | None = None,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    backend: str = "auto",
    one_hot: bool = False,
    validation_store: Datastore | None = None,
    test_store: Datastore | None = None,
) -> TrainingData:
    """Training/validation/test data for ``model.fit``; augmentation reaches training data only."""
    if backend not in BACKENDS:
        raise DataError(f"expected backend among {BACKENDS}, received '{backend}'")
    if len(store) == 0:
        raise DataError("expected samples in the datastore, received none")
    if batch_size < 1:
        raise DataError(f"expected a batch size of at least 1, received {batch_size}")
    backend = default_backend() if backend == "auto" else backend
    preprocess = preprocess or PreprocessConfig()
    preprocess.validate()
    split = split if split is not None else SplitConfig()
    if isinstance(split, SplitConfig):
        if split.mode == "separate":
            if validation_store is None and split.validation_source:
                validation_store = open_matching_source(split.validation_source, store)
            if test_store is None and split.test_source:
                test_store = open_matching_source(split.test_source, store)
        parts = split_for(split, len(store), store.labels)
    else:
        parts = split

    def build(src: Datastore, idx: np.ndarray, train: bool) -> Any:
        if len(idx) == 0:
            return None
        return _dataset(
            src,
            idx,
            preprocess,
            batch_size,
            augment if train else None,
            shuffle and train,
            seed,
            backend,
            one_hot,
        )

    val_src, val_idx = store, parts.validation
    if validation_store is not None:
        val_src, val_idx = validation_store, np.arange(len(validation_store))
    test_src, test_idx = store, parts.test
    if test_store is not None:
        test_src, test_idx = test_store, np.arange(len(test_store))
    channels = preprocess.channels or getattr(store, "channels", None)
    sizes = getattr(store, "image_sizes", None)
    return TrainingData(
        train=build(store, parts.train, True),
        validation=build(val_src, val_idx, False),
        test=build(test_src, test_idx, False),
        backend=backend,
        task=store.task,
        class_names=list(store.class_names),
        input_shape=_sample_shape(store, preprocess),
        num_train=len(parts.train),
        num_validation=len(val_idx),
        num_test=len(test_idx),
        batch_size=batch_size,
        steps_per_epoch=math.ceil(len(parts.train) / batch_size),
        validation_steps=math.ceil(len(val_idx) / batch_size),
        preprocessing=describe_preprocess(preprocess, sizes, getattr(store, "channels", None))
        if store.is_image
        else [],
        augmentation=describe_augmentation(augment, channels or 3)
        if store.is_image and augment is not None
        else [],
    )
