"""The datastore interface and the plain-data config base every datastore config derives from."""

from __future__ import annotations

import dataclasses
import logging
import math
import types
import typing
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import numpy as np

from designer.data.summary import DataError, DataSummary

log = logging.getLogger(__name__)

TASKS = (
    "classification",
    "regression",
    "segmentation",
    "sequence-classification",
    "sequence-regression",
    "sequence-to-sequence",
)


_ConfigT = TypeVar("_ConfigT", bound="DataConfig")


@dataclass(frozen=True)
class DataConfig:
    """Base of all datastore configs: JSON-able through ``to_dict``/``from_dict``."""

    kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (lists instead of tuples) with the ``kind`` key."""
        d = {"kind": self.kind}
        for f in dataclasses.fields(self):
            d[f.name] = _plain(getattr(self, f.name))
        return d

    @classmethod
    def from_dict(cls: type[_ConfigT], data: dict[str, Any]) -> _ConfigT:
        """Rebuild a config from ``to_dict`` output; unknown keys raise DataError."""
        if not isinstance(data, dict):
            raise DataError(f"expected a dict for a {cls.__name__}, received {type(data).__name__}")
        data = dict(data)
        kind = data.pop("kind", cls.kind)
        if kind != cls.kind:
            raise DataError(f"expected a config of kind '{cls.kind}', received kind '{kind}'")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise DataError(
                f"unknown keys for a '{cls.kind}' data config: {unknown}; expected some of {sorted(names)}"
            )
        hints = typing.get_type_hints(cls)
        for key, value in data.items():
            if not _fits(value, hints.get(key, Any)):
                raise DataError(
                    f"'{cls.kind}' data config: expected {key} to be {_describe(hints[key])}, "
                    f"received {value!r}"
                )
        kwargs = {k: _restore(v, hints.get(k)) for k, v in data.items()}
        return cls(**kwargs)


_NAMES = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a text",
    type(None): "null",
}


def _fits(value: Any, hint: Any) -> bool:
    """Whether a JSON value can stand for a field typed ``hint`` (bool is not a number)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if hint in (str, type(None)):
        return isinstance(value, hint)
    if origin is tuple or hint is tuple:
        if not isinstance(value, list | tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_fits(v, args[0]) for v in value)
        return not args or (len(args) == len(value) and all(map(_fits, value, args)))
    if origin is list or hint is list:
        return isinstance(value, list | tuple) and all(_fits(v, args[0]) for v in value if args)
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    return True


def _describe(hint: Any) -> str:
    """A phrase for a type hint ("an integer or null")."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is tuple or hint is tuple:
        return "a list" + (f" of {len(args)} values" if args and args[-1] is not Ellipsis else "")
    if origin is list or hint is list:
        return "a list"
    if origin is dict or hint is dict:
        return "an object"
    return _NAMES.get(hint, str(hint))


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _restore(value: Any, hint: Any) -> Any:
    """Turn JSON lists back into tuples where the field is typed as a tuple."""
    if value is None or hint is None:
        return value
    if isinstance(value, list) and _mentions_tuple(hint):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


def _mentions_tuple(hint: Any) -> bool:
    if hint is tuple or typing.get_origin(hint) is tuple:
        return True
    return any(_mentions_tuple(a) for a in typing.get_args(hint))


class Datastore(ABC):
    """A scanned data source: random access to samples as numpy arrays, labels, a summary.

    Images come back as uint8 arrays (H, W, C) at their own size; the pipeline resizes them.
    Targets come back as int class indices (classification), float vectors (regression) or
    integer masks (segmentation).
    """

    config: DataConfig
    task: str = "classification"
    class_names: list[str]
    is_image: bool = False

    @abstractmethod
    def __len__(self) -> int:
        """Number of usable samples."""

    @abstractmethod
    def get(self, index: int) -> tuple[np.ndarray, Any]:
        """Sample ``index`` as ``(x, y)``."""

    @abstractmethod
    def summary(self) -> DataSummary:
        """The summary shown in the GUI and printed by ``data inspect``."""

    @property
    def labels(self) -> np.ndarray | None:
        """Integer class per sample for stratified splits, or None when not a classification."""
        return None

    @property
    def file_paths(self) -> list[str] | None:
        """Image file per sample when the samples are files TensorFlow can decode, else None."""
        return None

    @property
    def targets(self) -> np.ndarray | None:
        """All targets as one array when the store holds them in memory, else None."""
        return None

    def get_batch(self, indices: Any) -> tuple[list[np.ndarray], list[Any]]:
        """Samples at ``indices`` as two lists (x's, y's)."""
        xs, ys = [], []
        for i in indices:
            x, y = self.get(int(i))
            xs.append(x)
            ys.append(y)
        return xs, ys

    def arrays(self) -> tuple[np.ndarray, np.ndarray] | None:
        """All samples as ``(X, Y)`` when held in memory with one shape, else None."""
        return None

    def preview(self, n: int = 16, seed: int = 0) -> list[tuple[np.ndarray, Any]]:
        """``n`` samples picked at random (repeatably for ``seed``) as ``(x, y)`` pairs; a sample
        that fails to load is skipped (see :meth:`unreadable`) and another one taken instead."""
        count = len(self)
        if count == 0:
            return []
        rng = np.random.default_rng(seed)
        picks = sorted(int(i) for i in rng.choice(count, size=min(n, count), replace=False))
        chosen = set(picks)
        spare = (int(i) for i in rng.permutation(count) if int(i) not in chosen)
        out: list[tuple[np.ndarray, Any]] = []
        tries = 0
        for index in picks:
            current: int | None = index
            while current is not None and tries < 3 * n:
                tries += 1
                try:
                    out.append(self.get(current))
                    break
                except DataError as exc:
                    self.unreadable(current, exc)
                    current = next(spare, None)
        return out

    def unreadable(self, index: int, error: DataError) -> None:
        """Sample ``index`` failed to load after the scan (stores of files list it as skipped)."""
        log.info("sample %d of %s skipped: %s", index, type(self).__name__, error)

    def describe_target(self, y: Any) -> str:
        """A short text for a target value, for preview captions."""
        if self.class_names and np.ndim(y) == 0:
            return self.class_names[int(y)]
        arr = np.asarray(y)
        if arr.ndim <= 1 and arr.size <= 4:
            return ", ".join(f"{float(v):.3g}" for v in np.atleast_1d(arr))
        return f"array {arr.shape}"
