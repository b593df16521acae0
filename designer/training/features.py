"""Feature extraction for transfer learning: with a frozen backbone and no augmentation,
compute the backbone's features once and train only the head on them."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np

from designer.core.progress import CancelToken
from designer.training.datainfo import _is_dataset, _split_arrays
from designer.training.events import Status, StatusEvent, as_sink
from designer.training.history import TrainingResult
from designer.training.options import TrainingOptions
from designer.training.trainer import Trainer

_AUGMENTATION_PREFIX = "Random"  # RandomFlip, RandomRotation, RandomZoom, ...


def split_model(model: keras.Model, split: str) -> tuple[keras.Model, keras.Model]:
    """(backbone: inputs -> output of layer ``split``, head: that output -> model outputs).

    The head shares its layers with ``model``: training the head trains the model.
    """
    if len(model.inputs) != 1:
        raise ValueError(
            f"Feature extraction expects a model with one input, received "
            f"{len(model.inputs)} inputs"
        )
    try:
        layer = model.get_layer(split)
    except ValueError as e:
        raise KeyError(
            f"Expected a top-level layer name of the model, received {split!r}; "
            f"layers: {[la.name for la in model.layers]}"
        ) from e
    backbone = keras.Model(model.inputs, layer.output, name=f"{model.name}_backbone")
    try:
        head = keras.Model(layer.output, model.outputs, name=f"{model.name}_head")
    except ValueError as e:
        raise ValueError(
            f"The layers after {split!r} must depend only on its output to train "
            f"the head alone, but they do not: {e}"
        ) from e
    return backbone, head


@contextlib.contextmanager
def frozen(layers: list[Any]) -> Iterator[None]:
    """Freeze ``layers`` for the duration of the block, then give each its old flag back."""
    flags = [(la, la.trainable) for la in layers]
    try:
        for la in layers:
            la.trainable = False
        yield
    finally:
        for la, flag in flags:
            la.trainable = flag


def augmentation_layers(model: keras.Model) -> list[str]:
    """Names of random augmentation layers (RandomFlip, ...) in ``model``."""
    return [
        la.name
        for la in model._flatten_layers(include_self=False, recursive=True)
        if type(la).__name__.startswith(_AUGMENTATION_PREFIX)
    ]


def extract_features(
    backbone: keras.Model, data: Any, batch_size: int, stopped: Any = None
) -> tuple[Any, Any]:
    """(features, targets) of ``data`` (arrays or a finite tf.data.Dataset of (x, y)).

    ``stopped()``, when given, is asked between batches of a dataset; True ends the pass early
    (the features of the batches seen so far are returned).
    """
    if _is_dataset(data):
        feats, targets = [], []
        for x, y in data:
            feats.append(np.asarray(backbone(x, training=False)))
            targets.append(np.asarray(y))
            if stopped is not None and stopped():
                break
        return np.concatenate(feats), np.concatenate(targets)
    x, y, _ = _split_arrays(data)
    return backbone.predict(x, batch_size=batch_size, verbose=0), y


class FeatureHeadTrainer:
    """A head-only run on features computed once: the frozen backbone (layers up to
    ``split``) runs once over the data, then a :class:`Trainer` trains only the head.

    The head's weights are the full model's (shared layers). Refused at construction
    (ValueError) when the backbone or the data pipeline (``augmented=True``) augments
    randomly, since the features would then differ every epoch. ``stop()``, ``pause()``
    and ``resume()`` work as on a Trainer (a stop during extraction ends it early).
    """

    def __init__(
        self,
        model: keras.Model,
        split: str,
        train_data: Any,
        val_data: Any = None,
        options: TrainingOptions | None = None,
        sink: Any = None,
        *,
        cancel: CancelToken | None = None,
        augmented: bool = False,
    ) -> None:
        self.model, self.split = model, split
        self.train_data, self.val_data = train_data, val_data
        self.options = options or TrainingOptions()
        self.sink, self.cancel = sink, cancel
        self.backbone, self.head = split_model(model, split)
        random_layers = augmentation_layers(self.backbone)
        if augmented or random_layers:
            raise ValueError(
                "Feature extraction expects fixed inputs (no augmentation), but "
                + (
                    f"the backbone has augmentation layers {random_layers}"
                    if random_layers
                    else "the data is augmented"
                )
            )
        self.trainer: Trainer | None = None
        self.extract_seconds: float | None = None
        self._stopped = self._paused = False

    @property
    def paused(self) -> bool:
        """Whether training is paused (or will pause once the features are ready)."""
        return self.trainer.control.paused if self.trainer is not None else self._paused

    def stop(self) -> None:
        """Stop: ends the feature pass early, or training after the current batch."""
        self._stopped = True
        if self.trainer is not None:
            self.trainer.stop()

    def pause(self) -> None:
        """Pause training (after the feature pass, when called during it)."""
        self._paused = True
        if self.trainer is not None:
            self.trainer.pause()

    def resume(self) -> None:
        """Continue a paused run."""
        self._paused = False
        if self.trainer is not None:
            self.trainer.resume()

    def _halted(self) -> bool:
        return self._stopped or (self.cancel is not None and self.cancel.cancelled)

    def run(self) -> TrainingResult:
        """Compute the features (backbone frozen, in inference mode), then train the head."""
        if self.sink is not None:
            as_sink(self.sink).on_status(
                StatusEvent(Status.STARTING, "Computing the frozen backbone's features once")
            )
        with frozen(self.backbone.layers):
            start = time.perf_counter()
            batch = self.options.mini_batch_size
            train = extract_features(self.backbone, self.train_data, batch, self._halted)
            val = (
                extract_features(self.backbone, self.val_data, batch, self._halted)
                if self.val_data is not None
                else None
            )
            self.extract_seconds = time.perf_counter() - start
            self.trainer = Trainer(
                self.head, train, val, self.options, self.sink, cancel=self.cancel
            )
            if self._stopped:
                self.trainer.stop()
            if self._paused:
                self.trainer.pause()
            return self.trainer.run()


def train_head_on_features(
    model: keras.Model,
    split: str,
    train_data: Any,
    val_data: Any = None,
    options: TrainingOptions | None = None,
    sink: Any = None,
    augmented: bool = False,
) -> TrainingResult:
    """Train the head of ``model`` after ``split`` on features computed once (see
    :class:`FeatureHeadTrainer`)."""
    return FeatureHeadTrainer(
        model, split, train_data, val_data, options, sink, augmented=augmented
    ).run()


def measure_feature_speedup(
    model: keras.Model, split: str, train_data: Any, options: TrainingOptions
) -> dict[str, float]:
    """Seconds to train with the backbone frozen end-to-end vs. features-once + head;
    the model's weights are restored afterwards."""
    start_weights = model.get_weights()
    backbone, _ = split_model(model, split)
    with frozen(backbone.layers):
        t = time.perf_counter()
        Trainer(model, train_data, None, options).run()
        full = time.perf_counter() - t
    model.set_weights(start_weights)
    t = time.perf_counter()
    train_head_on_features(model, split, train_data, None, options)
    feature = time.perf_counter() - t
    model.set_weights(start_weights)
    return {"full_seconds": full, "feature_seconds": feature, "speedup": full / feature}
