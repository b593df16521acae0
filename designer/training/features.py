"""Feature extraction for transfer learning: with a frozen backbone and no augmentation,
compute the backbone's features once and train only the head on them."""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np

from designer.training.datainfo import _is_dataset, _split_arrays
from designer.training.history import TrainingResult
from designer.training.options import TrainingOptions
from designer.training.trainer import Trainer

_AUGMENTATION_PREFIX = "Random"  # RandomFlip, RandomRotation, RandomZoom, ...


def split_model(model: keras.Model, split: str) -> tuple[keras.Model, keras.Model]:
    """(backbone: inputs -> output of layer ``split``, head: that output -> model outputs).

    The head shares its layers with ``model``: training the head trains the model.
    """
    if len(model.inputs) != 1:
        raise ValueError(f"Feature extraction expects a model with one input, received "
                         f"{len(model.inputs)} inputs")
    try:
        layer = model.get_layer(split)
    except ValueError as e:
        raise KeyError(f"Expected a top-level layer name of the model, received {split!r}; "
                       f"layers: {[la.name for la in model.layers]}") from e
    backbone = keras.Model(model.inputs, layer.output, name=f"{model.name}_backbone")
    try:
        head = keras.Model(layer.output, model.outputs, name=f"{model.name}_head")
    except ValueError as e:
        raise ValueError(f"The layers after {split!r} must depend only on its output to train "
                         f"the head alone, but they do not: {e}") from e
    return backbone, head


def augmentation_layers(model: keras.Model) -> list[str]:
    """Names of random augmentation layers (RandomFlip, ...) in ``model``."""
    return [la.name for la in model._flatten_layers(include_self=False, recursive=True)
            if type(la).__name__.startswith(_AUGMENTATION_PREFIX)]


def extract_features(backbone: keras.Model, data: Any, batch_size: int) -> tuple[Any, Any]:
    """(features, targets) of ``data`` (arrays or a finite tf.data.Dataset of (x, y))."""
    if _is_dataset(data):
        feats, targets = [], []
        for x, y in data:
            feats.append(np.asarray(backbone(x, training=False)))
            targets.append(np.asarray(y))
        return np.concatenate(feats), np.concatenate(targets)
    x, y, _ = _split_arrays(data)
    return backbone.predict(x, batch_size=batch_size, verbose=0), y


def train_head_on_features(
    model: keras.Model,
    split: str,
    train_data: Any,
    val_data: Any = None,
    options: TrainingOptions | None = None,
    sink: Any = None,
    augmented: bool = False,
) -> TrainingResult:
    """Freeze the backbone (layers up to ``split``), compute features once, train the head.

    The trained head's weights are the full model's (shared layers). Refused when the
    backbone or the data pipeline (``augmented=True``) augments randomly, since features
    would then differ every epoch. Dropout in the backbone is off while extracting.
    """
    options = options or TrainingOptions()
    backbone, head = split_model(model, split)
    random_layers = augmentation_layers(backbone)
    if augmented or random_layers:
        raise ValueError("Feature extraction expects fixed inputs (no augmentation), but "
                         + (f"the backbone has augmentation layers {random_layers}"
                            if random_layers else "the data is augmented"))
    flags = [(la, la.trainable) for la in backbone.layers]
    try:
        for la in backbone.layers:
            la.trainable = False
        train = extract_features(backbone, train_data, options.mini_batch_size)
        val = extract_features(backbone, val_data, options.mini_batch_size) if val_data is not None else None
        return Trainer(head, train, val, options, sink).run()
    finally:
        for la, flag in flags:
            la.trainable = flag


def measure_feature_speedup(
    model: keras.Model, split: str, train_data: Any, options: TrainingOptions
) -> dict[str, float]:
    """Seconds to train with the backbone frozen end-to-end vs. features-once + head;
    the model's weights are restored afterwards."""
    start_weights = model.get_weights()
    backbone, _ = split_model(model, split)
    flags = [(la, la.trainable) for la in backbone.layers]
    try:
        for la in backbone.layers:
            la.trainable = False
        t = time.perf_counter()
        Trainer(model, train_data, None, options).run()
        full = time.perf_counter() - t
    finally:
        for la, flag in flags:
            la.trainable = flag
    model.set_weights(start_weights)
    t = time.perf_counter()
    train_head_on_features(model, split, train_data, None, options)
    feature = time.perf_counter() - t
    model.set_weights(start_weights)
    return {"full_seconds": full, "feature_seconds": feature, "speedup": full / feature}
