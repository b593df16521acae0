"""An in-memory datastore over (X, Y) arrays, shared by the array, built-in and keras.datasets stores."""

from __future__ import annotations

from typing import Any

import numpy as np

from designer.data.base import DataConfig, Datastore
from designer.data.summary import (
    DataError,
    DataSummary,
    Problem,
    class_problems,
    count_classes,
    imbalance_message,
)

# The most classes a classification may have (integer labels are class indices 0..K-1).
MAX_CLASSES = 10_000


def float_inputs(x: np.ndarray, source: str, what: str = "the inputs") -> np.ndarray:
    """Numbers as float32; DataError for values that are not numbers, not finite, or beyond
    float32's range (``what`` and ``source`` name them in the message)."""
    if x.dtype.kind not in "biuf":
        raise DataError(
            f"expected numbers as {what} of {source}, received values of type {x.dtype}"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        out = x.astype(np.float32, copy=False)
    finite = np.isfinite(out)
    if not finite.all():
        bad = int(finite.size - np.count_nonzero(finite))
        raise DataError(
            f"expected finite numbers as {what} of {source}, received {bad:,} values that are "
            "NaN, infinite or beyond float32's range"
        )
    return out


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
            raise DataError(
                f"{source} contain missing values (NaN or infinite); expected a class per sample"
            )
        if not np.all(y == np.round(y)):
            raise DataError(
                f"{source} hold fractional values; expected class labels (use regression)"
            )
        if y.size and np.abs(y).max() > 2**53:
            raise DataError(
                f"{source} hold values up to {np.abs(y).max():.3g}; expected class labels "
                "(use regression)"
            )
        y = y.astype(np.int64)
    if y.dtype.kind in "iu":
        values = np.unique(y)
        if class_names or (values.size and values.min() == 0):
            # already indices 0..K-1 (a class may be absent from this subset)
            if not class_names and int(values.max()) >= MAX_CLASSES:
                raise DataError(
                    f"{source} hold class index {int(values.max())}; expected indices "
                    f"0..{MAX_CLASSES - 1} (at most {MAX_CLASSES:,} classes; use regression "
                    "for numeric targets)"
                )
            k = max(int(values.max()) + 1, len(class_names or []))
            names = list(class_names) if class_names else [str(i) for i in range(k)]
            if values.min() < 0 or len(names) < k:
                raise DataError(
                    f"{source} hold class indices {int(values.min())}..{int(values.max())}; "
                    f"expected 0..{len(names) - 1} for the classes {names}"
                )
            return y.astype(np.int64), names
        _check_class_count(len(values), source)
        lookup = {v: i for i, v in enumerate(values.tolist())}
        return np.array([lookup[v] for v in y.tolist()], np.int64), [str(v) for v in values]
    if y.dtype.kind not in "bUS":
        raise DataError(
            f"expected class labels (integers or text) in {source}, received values of type "
            f"{y.dtype}"
        )
    found = sorted({_label_text(v) for v in y.tolist()})
    _check_class_count(len(found), source)
    names = list(class_names) if class_names else found
    lookup = {n: i for i, n in enumerate(names)}
    unknown = sorted(set(found) - set(lookup))
    if unknown:
        raise DataError(
            f"{source} hold labels {unknown[:5]} that are not among the classes {names}"
        )
    return np.array([lookup[_label_text(v)] for v in y.tolist()], np.int64), names


def _label_text(value: Any) -> str:
    return value.decode("utf-8", "backslashreplace") if isinstance(value, bytes) else str(value)


def _check_class_count(count: int, source: str) -> None:
    if count > MAX_CLASSES:
        raise DataError(
            f"{source} hold {count:,} different labels; expected at most {MAX_CLASSES:,} "
            "classes (use regression for numeric targets)"
        )


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
        where = source or "the data"
        if x.ndim == 0 or y.ndim == 0:
            raise DataError(
                f"expected arrays with one row per sample in {where}, received inputs of shape "
                f"{x.shape} and targets of shape {y.shape}"
            )
        if 0 in x.shape[1:]:
            raise DataError(
                f"expected samples with at least one value in {where}, received inputs of shape "
                f"{x.shape}"
            )
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
        self._x = as_images(x) if self.is_image else float_inputs(x, where)
        self.target_names = list(target_names or [])
        self.feature_names: list[str] = []
        self.notes = list(notes or [])
        # Rotation angle per sample, where known (the synthetic characters), else None.
        self.angles: np.ndarray | None = None
        if self.task == "classification":
            self._y, self.class_names = encode_labels(y, class_names, source or "the labels")
            self._counts = count_classes(self._y, self.class_names)
            self._problems += class_problems(self._counts, source or "the data")
        else:
            if y.dtype.kind not in "fiu":
                raise DataError(
                    f"expected numeric targets for regression in {source or 'the data'}, "
                    f"received values of type {y.dtype}"
                )
            with np.errstate(over="ignore", invalid="ignore"):
                self._y = y.astype(np.float32)
            if not np.all(np.isfinite(self._y)):
                raise DataError(
                    f"expected finite numbers as the targets of {where}, received missing "
                    "values (NaN), infinite values or values beyond float32's range"
                )
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
