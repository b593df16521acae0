"""Training/validation/test splits: by percent (stratified by class, seeded) or separate sources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from designer.data.base import DataConfig, Datastore
from designer.data.summary import DataError


@dataclass(frozen=True)
class SplitConfig(DataConfig):
    """How to get validation (and test) data: a share of the data, or separate datastores."""

    kind = "split"
    mode: str = "percent"  # percent or separate
    validation_percent: float = 20.0
    test_percent: float = 0.0
    seed: int = 0
    stratify: bool = True
    validation_source: dict[str, Any] | None = None  # a datastore config dict (mode separate)
    test_source: dict[str, Any] | None = None

    def validate(self) -> None:
        """Raise DataError for an unknown mode, impossible shares or a missing separate source."""
        if self.mode not in ("percent", "separate"):
            raise DataError(f"expected split mode 'percent' or 'separate', received '{self.mode}'")
        if self.mode == "percent":
            split_shares(self.validation_percent, self.test_percent)
        elif not self.validation_source:
            raise DataError("expected a validation data source for a separate split, received none")


@dataclass
class Split:
    """Sample indices of each part (sorted)."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    def to_dict(self) -> dict[str, list[int]]:
        """Plain-data form."""
        return {k: getattr(self, k).tolist() for k in ("train", "validation", "test")}


def _take(count: int, percent: float) -> int:
    return int(round(count * percent / 100.0))


def split_shares(validation_percent: float, test_percent: float) -> None:
    """Raise DataError unless the shares are percentages that leave training data."""
    if not 0 <= validation_percent < 100 or not 0 <= test_percent < 100:
        raise DataError(
            f"expected percentages in [0, 100), received validation {validation_percent} "
            f"and test {test_percent}"
        )
    if validation_percent + test_percent >= 100:
        raise DataError(
            f"validation ({validation_percent}%) and test ({test_percent}%) leave no training data"
        )


def split_indices(
    n: int,
    labels: np.ndarray | None = None,
    validation_percent: float = 20.0,
    test_percent: float = 0.0,
    seed: int = 0,
    stratify: bool = True,
) -> Split:
    """Split ``n`` samples; with labels and ``stratify`` each class is split in the same shares."""
    split_shares(validation_percent, test_percent)
    if labels is not None and len(labels) != n:
        raise DataError(f"expected {n} labels for {n} samples, received {len(labels)}")
    rng = np.random.default_rng(seed)
    groups = [np.arange(n)]
    if stratify and labels is not None:
        labels = np.asarray(labels)
        groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    train, val, test = [], [], []
    for group in groups:
        perm = rng.permutation(group)
        nv, nt = _take(len(perm), validation_percent), _take(len(perm), test_percent)
        if validation_percent > 0 and nv == 0 and len(perm) >= 3:
            nv = 1  # every class appears in validation when it can
        val.append(perm[:nv])
        test.append(perm[nv : nv + nt])
        train.append(perm[nv + nt :])

    def cat(parts: list[np.ndarray]) -> np.ndarray:
        return np.sort(np.concatenate(parts)).astype(np.int64) if parts else np.zeros(0, np.int64)

    split = Split(cat(train), cat(val), cat(test))
    if len(split.train) == 0:
        raise DataError(f"expected training samples after the split, received none of {n}")
    return split


def split_for(config: SplitConfig, n: int, labels: np.ndarray | None) -> Split:
    """Apply a percent SplitConfig (mode 'separate' keeps every sample for training)."""
    if config.mode == "separate":
        return Split(np.arange(n, dtype=np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    if config.mode != "percent":
        raise DataError(f"expected split mode 'percent' or 'separate', received '{config.mode}'")
    return split_indices(
        n, labels, config.validation_percent, config.test_percent, config.seed, config.stratify
    )


def check_compatible(train: Datastore, other: Datastore, role: str = "validation") -> None:
    """Raise DataError unless ``other`` (separate validation/test data) can stand for ``train``.

    Same task; the same class names (for tasks with classes); the same sample shape for
    non-image data (for sequences: the same number of features per step).
    """
    if other.task != train.task:
        raise DataError(
            f"expected {role} data for the task of the training data ({train.task}), "
            f"received {other.task} data"
        )
    ours, theirs = list(train.class_names or []), list(other.class_names or [])
    if ours != theirs and set(ours) != set(theirs):
        missing = [n for n in ours if n not in theirs]
        extra = [n for n in theirs if n not in ours]
        parts = ([f"lacks {missing}"] if missing else []) + (
            [f"has extra {extra}"] if extra else []
        )
        raise DataError(
            f"expected the {role} data to have the classes of the training data {ours}; "
            f"it {' and '.join(parts)}"
        )
    if train.is_image or other.is_image:
        return
    a, b = train.summary().sample_shape, other.summary().sample_shape
    if a is None or b is None:
        return
    if train.task.startswith("sequence"):
        a, b = tuple(a)[1:], tuple(b)[1:]  # sequence lengths may differ; features may not
    if tuple(a) != tuple(b):
        raise DataError(
            f"expected {role} samples of shape {tuple(a)} like the training data, received {tuple(b)}"
        )
