"""What the trainer needs to know about training data in any form ``model.fit`` accepts."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from designer.training.tasks import OutputInfo


def _is_pydataset(data: Any) -> bool:
    """A keras.utils.PyDataset (Keras is imported here only when asked)."""
    import keras

    return isinstance(data, keras.utils.PyDataset)


@dataclass(frozen=True)
class DataInfo:
    """Kind, size and batching of a data source (None where the source does not say)."""

    kind: str  # arrays, dataset or pydataset
    num_samples: int | None
    batch_size: int | None
    steps_per_epoch: int | None
    target_shapes: list[tuple[int | None, ...]]


def _is_dataset(data: Any) -> bool:
    return type(data).__module__.startswith("tensorflow") and hasattr(data, "element_spec")


def _split_arrays(data: Any) -> tuple[Any, Any, Any]:
    if isinstance(data, tuple | list) and len(data) in (2, 3):
        x, y = data[0], data[1]
        return x, y, data[2] if len(data) == 3 else None
    raise TypeError(
        "Expected training data as (x, y) or (x, y, sample_weight) arrays, a tf.data.Dataset "
        f"or a keras.utils.PyDataset; received {type(data).__name__}"
    )


def _first_array(x: Any) -> Any:
    if isinstance(x, dict):
        return next(iter(x.values()))
    if isinstance(x, list | tuple):
        return x[0]
    return x


def _targets_list(y: Any) -> list[Any]:
    if isinstance(y, dict):
        return list(y.values())
    if isinstance(y, list | tuple):
        return list(y)
    return [y]


def describe_data(data: Any, batch_size: int) -> DataInfo:
    """Sizes of ``data``; ``batch_size`` is used for arrays (datasets batch themselves)."""
    if _is_dataset(data):
        import tensorflow as tf

        card = int(data.cardinality())
        steps = card if card >= 0 else None
        spec = data.element_spec
        targets = _targets_list(spec[1]) if isinstance(spec, tuple) and len(spec) >= 2 else []
        bs = None
        if targets and targets[0].shape.rank:
            bs = targets[0].shape[0]
        if bs is None:
            # A batched dataset keeps its batch size; read it when it is a constant.
            raw = getattr(data, "_batch_size", None)
            try:
                bs = int(tf.get_static_value(raw)) if raw is not None else None
            except TypeError:
                bs = None
        if bs is None:
            # Prefetched or mapped pipelines hide their batch size; ours are batched with the
            # mini-batch option, so that is the best figure for samples per second.
            bs = batch_size
        return DataInfo("dataset", None, bs, steps, [tuple(t.shape) for t in targets])
    if _is_pydataset(data):
        steps = data.num_batches
        first = data[0]
        targets = _targets_list(first[1]) if isinstance(first, tuple) and len(first) >= 2 else []
        bs = len(_first_array(first[0])) if isinstance(first, tuple) else None
        return DataInfo("pydataset", None, bs, steps, [np.shape(t) for t in targets])
    x, y, _ = _split_arrays(data)
    n = len(_first_array(x))
    return DataInfo(
        "arrays", n, batch_size, math.ceil(n / batch_size), [np.shape(t) for t in _targets_list(y)]
    )


def with_known_length(data: Any, stop: Callable[[], bool] | None = None) -> Any:
    """``data``, or a tf.data pipeline whose length TensorFlow cannot tell with its batches
    counted once. Without a length, ``fit`` and ``evaluate`` read every new iterator until it
    runs out and Keras warns "Your input ran out of data" each time, and the progress cannot
    say how many iterations there will be. The project's own pipelines keep their length
    (:mod:`designer.data.tfdata` skips undecodable files without losing it), so this pass over
    the data is only made for a dataset from elsewhere (e.g. one through ``ignore_errors()``).
    ``stop()`` True ends the count early (``data`` comes back unchanged)."""
    if not _is_dataset(data):
        return data
    import tensorflow as tf

    if int(data.cardinality()) != int(tf.data.UNKNOWN_CARDINALITY):
        return data
    count = 0
    for _ in data:
        count += 1
        if stop is not None and stop():
            return data
    return data.apply(tf.data.experimental.assert_cardinality(count))


def labels_are_sparse(info: DataInfo, outputs: list[OutputInfo]) -> bool:
    """True when class labels are integers rather than one-hot (judged on the first
    classification output; True when the data does not say)."""
    for i, out in enumerate(outputs):
        if out.task not in ("classification", "segmentation") or i >= len(info.target_shapes):
            continue
        shape = info.target_shapes[i]
        if len(shape) < out.rank:
            return True
        return not (shape[-1] == out.units and out.units > 1)
    return True


def shuffle_once(data: Any, seed: int | None) -> Any:
    """Arrays shuffled together once (MATLAB's Shuffle 'once'); other sources unchanged."""
    if _is_dataset(data) or _is_pydataset(data):
        return data
    x, y, sw = _split_arrays(data)
    n = len(_first_array(x))
    order = np.random.default_rng(seed).permutation(n)

    def take(a: Any) -> Any:
        if a is None:
            return None
        if isinstance(a, dict):
            return {k: np.asarray(v)[order] for k, v in a.items()}
        if isinstance(a, list | tuple):
            return [np.asarray(v)[order] for v in a]
        return np.asarray(a)[order]

    return (take(x), take(y)) if sw is None else (take(x), take(y), take(sw))


def fit_arguments(data: Any, batch_size: int, shuffle: bool) -> dict[str, Any]:
    """Keyword arguments for ``model.fit``/``evaluate`` describing ``data``."""
    if _is_dataset(data) or _is_pydataset(data):
        return {"x": data, "shuffle": False}  # the pipeline shuffles itself
    x, y, sw = _split_arrays(data)
    args = {"x": x, "y": y, "batch_size": batch_size, "shuffle": shuffle}
    if sw is not None:
        args["sample_weight"] = sw
    return args


def validation_arguments(data: Any, batch_size: int) -> tuple[dict[str, Any], Any]:
    """(kwargs for ``evaluate``, value for ``fit(validation_data=...)``)."""
    args = fit_arguments(data, batch_size, shuffle=False)
    args.pop("shuffle", None)
    if "y" not in args:
        return args, data
    x, y, sw = _split_arrays(data)
    return args, (x, y) if sw is None else (x, y, sw)
