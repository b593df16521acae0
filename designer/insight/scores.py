"""Classification scores shared by the compression report: classes, accuracy, agreement. No Qt."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def predicted_classes(pred: np.ndarray) -> np.ndarray:
    """Class per sample: argmax of scores, or a threshold for one sigmoid/logit output."""
    p = np.asarray(pred)
    if p.ndim == 1 or p.shape[-1] == 1:
        flat = p.reshape(len(p), -1)[:, 0]
        cut = 0.5 if flat.size and flat.min() >= 0.0 and flat.max() <= 1.0 else 0.0
        return (flat > cut).astype(np.int64)
    return np.argmax(p.reshape(len(p), -1), axis=-1)


def true_classes(y: np.ndarray) -> np.ndarray:
    """Class per sample from integer labels or one-hot rows."""
    arr = np.asarray(y)
    if arr.ndim >= 2 and arr.shape[-1] > 1:
        return np.argmax(arr, axis=-1).reshape(len(arr))
    return arr.reshape(len(arr)).astype(np.int64)


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """Share of samples whose predicted class is the label."""
    if len(y) == 0:
        return math.nan
    return float(np.mean(predicted_classes(pred) == true_classes(y)))


def agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Share of samples for which two predictions give the same class."""
    return float(np.mean(predicted_classes(a) == predicted_classes(b))) if len(a) else math.nan


def keras_predict(model: Any, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for ``x`` (inference mode)."""
    outs = [
        np.asarray(model(x[i : i + batch_size], training=False))
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(outs) if outs else np.zeros((0,))
