"""An in-memory datastore over (X, Y) arrays, shared by the array, built-in and keras.datasets stores."""

from __future__ import annotations

from typing import Any

import numpy as np

from designer.data.base import DataConfig, Datastore
from designer.data.summary import (
    DataError,
    DataSummary,
    Problem,
    count_classes,
    empty_class_problems,
    imbalance_message,
)


def looks_like_images(x: np.ndarray) -> bool:
    """True for uint8 arrays shaped (N, H, W) or (N, H, W, C) with C in 1, 3, 4."""
    if x.dtype != np.uint8:
        return False
    return x.ndim == 3 or (x.ndim == 4 and x.shape[-1] in (1, 3, 4))


def as_images(x: np.ndarray) -> np.ndarray:
    """(N, H, W) to (N, H, W, 1); RGBA loses its alpha; other shapes unchanged."""
    if x.ndim == 3:
        return x[..., None]
    if x.ndim == 4 and x.shape[-1] == 4:
        return x[..., :3]
    return x


def encode_labels(
    y: np.ndarray, class_names: list[str] | None = None, source: str = "the labels"
) -> tuple[np.ndarray, list[str]]:
    """Labels (ints, strings or one-hot rows) to int64 indices 0..K-1 and class names."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1 and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
        y = y.argmax(axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(
            f"expected one class label per sample in {source}, received shape {y.shape}"
        )
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            raise DataError(f"{source} contain missing values (NaN); expected a class per sample")
        if not np.all(y == np.round(y)):
            raise DataError(
                f"{source} hold fractional values; expected class labels (use regression)"
            )
        y = y.astype(np.int64)
    if y.dtype.kind in "iu":
        values = np.unique(y)
        if class_names or (values.size and values.min() == 0):
            # already indices 0..K-1 (a class may be absent from this subset)
            k = max(int(values.max()) + 1, len(class_names or []))
            names = list(class_names) if class_names else [str(i) for i in range(k)]
            if values.min() < 0 or len(names) < k:
                raise DataError(
                    f"{source} hold class indices {int(values.min())}..{int(values.max())}; "
                    f"expected 0..{len(names) - 1} for the classes {names}"
                )
            return y.astype(np.int64), names
        lookup = {v: i for i, v in enumerate(values.tolist())}
        return np.array([lookup[v] for v in y.tolist()], np.int64), [str(v) for v in values]
    found = sorted({str(v) for v in y.tolist()})
    names = list(class_names) if class_names else found
    lookup = {n: i for i, n in enumerate(names)}
    unknown = sorted(set(found) - set(lookup))
    if unknown:
        raise DataError(
            f"{source} hold labels {unknown[:5]} that are not among the classes {names}"
        )
    return np.array([lookup[str(v)] for v in y.tolist()], np.int64), names


def infer_task(y: np.ndarray) -> str:
    """'classification' for integer, string or one-hot labels; 'regression' for other floats."""
    y = np.asarray(y)
    if y.dtype.kind in "iubUSO":
        return "classification"
    if y.ndim == 2 and y.shape[1] > 1 and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
        return "classification"
    return "regression"


class HeldArrays:
    """Datastore accessors over two arrays held in memory: ``self._x`` and ``self._y``."""

    _x: np.ndarray
    _y: np.ndarray

    def __len__(self) -> int:
        return len(self._x)

    @property
    def targets(self) -> np.ndarray:
        """All targets."""
        return self._y

    def get(self, index: int) -> tuple[np.ndarray, Any]:
        """Sample ``index`` and its target."""
        return self._x[index], self._y[index]

    def get_batch(self, indices: Any) -> tuple[list[np.ndarray], list[Any]]:
        """Samples at ``indices`` (fancy indexing)."""
        idx = np.asarray(indices, dtype=np.int64)
        return list(self._x[idx]), list(self._y[idx])

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """All samples and targets as (X, Y)."""
        return self._x, self._y


class ArrayStore(HeldArrays, Datastore):
    """Samples held in memory as two arrays; images as uint8 (N, H, W, C)."""

    def __init__(
        self,
        config: DataConfig,
        x: np.ndarray,
        y: np.ndarray,
        task: str = "auto",
        class_names: list[str] | None = None,
        source: str = "",
        problems: list[Problem] | None = None,
        target_names: list[str] | None = None,
        notes: list[str] | None = None,
    ) -> None:
        self.config = config
        x = np.asarray(x)
        y = np.asarray(y)
        if len(x) != len(y):
            raise DataError(
                f"expected as many labels as samples in {source or 'the data'}, "
                f"received {len(x)} samples and {len(y)} labels"
            )
        if len(x) == 0:
            raise DataError(f"expected samples in {source or 'the data'}, received none")
        self.task = infer_task(y) if task == "auto" else task
        self.source = source
        self._problems = list(problems or [])
        self.is_image = looks_like_images(x)
        self._x = as_images(x) if self.is_image else x.astype(np.float32, copy=False)
        self.target_names = list(target_names or [])
        self.feature_names: list[str] = []
        self.notes = list(notes or [])
        # Rotation angle per sample, where known (the synthetic characters), else None.
        self.angles: np.ndarray | None = None
        if self.task == "classification":
            self._y, self.class_names = encode_labels(y, class_names, source or "the labels")
            self._counts = count_classes(self._y, self.class_names)
            self._problems += empty_class_problems(self._counts)
        else:
            if y.dtype.kind not in "fiu":
                raise DataError(
                    f"expected numeric targets for regression in {source or 'the data'}, "
                    f"received values of type {y.dtype}"
                )
            if not np.all(np.isfinite(y.astype(np.float64))):
                raise DataError(f"targets in {source or 'the data'} contain missing values (NaN)")
            self._y = y.astype(np.float32)
            self.class_names = []
            self._counts = {}

    @property
    def channels(self) -> int:
        """Channels of the images (1 or 3), 0 for non-image arrays."""
        return int(self._x.shape[-1]) if self.is_image else 0

    @property
    def image_sizes(self) -> dict[str, int]:
        """Number of images per 'HxWxC' size (empty for non-image arrays)."""
        if not self.is_image:
            return {}
        h, w, c = self._x.shape[1:]
        return {f"{h}x{w}x{c}": len(self)}

    @property
    def labels(self) -> np.ndarray | None:
        """Class index per sample (classification only)."""
        return self._y if self.task == "classification" else None

    def summary(self) -> DataSummary:
        """Shape, classes with counts (or target ranges) and problems."""
        sizes = self.image_sizes
        notes = list(self.notes)
        if self.task != "classification" and self._y.size:
            y2 = self._y.reshape(len(self._y), -1)
            notes.append(f"target range {y2.min():.4g} .. {y2.max():.4g}, mean {y2.mean():.4g}")
        return DataSummary(
            kind=self.config.kind,
            task=self.task,
            num_samples=len(self),
            source=self.source,
            classes=list(self.class_names),
            class_counts=dict(self._counts),
            image_sizes=sizes,
            sample_shape=tuple(int(d) for d in self._x.shape[1:]),
            target_names=list(self.target_names),
            imbalance_warning=imbalance_message(self._counts) if self._counts else None,
            problems=list(self._problems),
            notes=notes,
        )
