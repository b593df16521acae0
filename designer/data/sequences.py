"""Sequence datastores: time series from .npz/.npy or a long-format CSV, padded for Keras.

Many-to-one: one label per sequence. Per-step: a target for every time step. Sequences of
different lengths are padded (and truncated to ``max_length``) with ``pad_value``; a model
should start with ``keras.layers.Masking(mask_value=pad_value)`` so padding is ignored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from designer.data.base import DataConfig, Datastore
from designer.data.memory import HeldArrays, encode_labels
from designer.data.summary import (
    DataError,
    DataSummary,
    count_classes,
    empty_class_problems,
    imbalance_message,
)
from designer.data.tables import read_csv

MODES = ("many-to-one", "per-step")


@dataclass(frozen=True)
class SequenceConfig(DataConfig):
    """Time series: a .npz (x, y, optional lengths), a .npy pair, or a long CSV with an id column."""

    kind = "sequences"
    path: str = ""
    y_path: str | None = None  # for a .npy of x
    mode: str = "many-to-one"  # or per-step
    task: str = "auto"  # auto, classification, regression
    sequence_column: str | None = None  # CSV: the column that names the sequence of each row
    feature_columns: tuple[str, ...] | None = None  # CSV: None = all but id and target
    target_column: str | None = None  # CSV: None = the last column
    max_length: int | None = None  # None: the longest sequence
    padding: str = "post"  # pre or post
    truncating: str = "post"
    pad_value: float = 0.0


def _read_arrays(config: SequenceConfig) -> tuple[list[np.ndarray], list[np.ndarray] | np.ndarray]:
    path = config.path
    if not os.path.isfile(path):
        raise DataError(f"expected a sequence file at '{path}', but there is no such file")
    if path.lower().endswith(".npz"):
        with np.load(path, allow_pickle=False) as z:
            keys = list(z.keys())
            if "x" not in keys or "y" not in keys:
                raise DataError(f"expected arrays 'x' and 'y' in '{path}', received {keys}")
            x, y = z["x"], z["y"]
            lengths = z["lengths"] if "lengths" in keys else None
    else:
        if not config.y_path:
            raise DataError(f"expected a y .npy (y_path) to go with '{path}'")
        x, y, lengths = (
            np.load(path, allow_pickle=False),
            np.load(config.y_path, allow_pickle=False),
            None,
        )
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim != 3:
        raise DataError(
            f"expected sequences shaped (N, T) or (N, T, F) in '{path}', received {x.shape}"
        )
    if lengths is None:
        lengths = np.full(len(x), x.shape[1])
    if len(lengths) != len(x) or len(y) != len(x):
        raise DataError(
            f"expected one length and one target per sequence in '{path}', received "
            f"{len(x)} sequences, {len(lengths)} lengths, {len(y)} targets"
        )
    seqs = [x[i, : int(n)] for i, n in enumerate(lengths)]
    if config.mode == "per-step":
        if y.ndim < 2 or y.shape[1] != x.shape[1]:
            raise DataError(
                f"per-step targets must be shaped (N, T, ...) like x {x.shape[:2]}, received {y.shape}"
            )
        return seqs, [y[i, : int(n)] for i, n in enumerate(lengths)]
    return seqs, y


def _read_csv(
    config: SequenceConfig,
) -> tuple[list[np.ndarray], list[np.ndarray] | np.ndarray, bool]:
    table = read_csv(config.path)
    id_col = config.sequence_column or table.header[0]
    target = config.target_column or table.header[-1]
    table.index(id_col)
    table.index(target)
    features = list(
        config.feature_columns or [h for h in table.header if h not in (id_col, target)]
    )
    if not features:
        raise DataError(
            f"expected feature columns besides '{id_col}' and '{target}' in '{config.path}'"
        )
    feats = np.stack(
        [table.numeric(f, "a number for a sequence feature") for f in features], axis=1
    )
    numeric = table.is_numeric(target)
    ids = table.column(id_col)
    order: dict[str, list[int]] = {}
    for i, key in enumerate(ids):
        order.setdefault(key, []).append(i)
    rows = list(order.values())
    seqs = [feats[r].astype(np.float32) for r in rows]
    raw = np.array(table.column(target))
    if numeric:
        raw = table.numeric(target, "a number")
    if config.mode == "per-step":
        return seqs, [raw[r] for r in rows], numeric
    y = []
    for key, r in order.items():
        values = set(raw[r].tolist())
        if len(values) > 1:
            raise DataError(
                f"sequence '{key}' of '{config.path}' has {len(values)} different values in "
                f"'{target}'; expected one label per sequence (or use mode 'per-step')"
            )
        y.append(raw[r[0]])
    return seqs, np.array(y), numeric


class SequenceStore(HeldArrays, Datastore):
    """Padded sequences (N, T, F) float32 with per-sequence or per-step targets."""

    config: SequenceConfig

    def __init__(self, config: SequenceConfig) -> None:
        self.config = config
        if config.mode not in MODES:
            raise DataError(f"expected mode among {MODES}, received '{config.mode}'")
        if config.path.lower().endswith(".csv"):
            seqs, y, _ = _read_csv(config)
        else:
            seqs, y = _read_arrays(config)
        if not seqs:
            raise DataError(f"expected sequences in '{config.path}', received none")
        import keras

        self.lengths = np.array([len(s) for s in seqs])
        self.max_length = int(config.max_length or self.lengths.max())
        pad = dict(
            maxlen=self.max_length,
            dtype="float32",
            padding=config.padding,
            truncating=config.truncating,
            value=config.pad_value,
        )
        self._x = keras.utils.pad_sequences([s.astype(np.float32) for s in seqs], **pad)
        flat = np.concatenate(y) if config.mode == "per-step" else np.asarray(y)
        task = config.task
        if task == "auto":
            task = "classification" if flat.dtype.kind in "iuUSO" else "regression"
        self.class_names: list[str] = []
        self._counts: dict[str, int] = {}
        if task == "classification":
            codes, self.class_names = encode_labels(flat, None, f"the targets of '{config.path}'")
            self._counts = count_classes(codes, self.class_names)
            if config.mode == "per-step":
                split = np.split(codes, np.cumsum(self.lengths)[:-1])
                self._y = keras.utils.pad_sequences(split, **{**pad, "dtype": "int64", "value": 0})
            else:
                self._y = codes
        else:
            if config.mode == "per-step":
                split = [np.asarray(v, np.float32).reshape(len(v), -1) for v in y]
                self._y = keras.utils.pad_sequences(split, **pad)
            else:
                self._y = np.asarray(y, np.float32).reshape(len(seqs), -1)
        self.task = "sequence-to-sequence" if config.mode == "per-step" else f"sequence-{task}"
        self.target_task = task

    @property
    def labels(self) -> np.ndarray | None:
        """Class per sequence for stratified splits (many-to-one classification only)."""
        if self.target_task == "classification" and self.config.mode == "many-to-one":
            return self._y
        return None

    def summary(self) -> DataSummary:
        """Lengths, features, classes (or target range) and padding advice."""
        notes = [
            f"lengths {int(self.lengths.min())}..{int(self.lengths.max())}, padded/truncated to "
            f"{self.max_length} with {self.config.pad_value} ({self.config.padding})",
        ]
        if self.lengths.min() != self.lengths.max() or self.lengths.max() != self.max_length:
            notes.append(
                f"start the network with Masking(mask_value={self.config.pad_value}) to ignore padding"
            )
        problems = empty_class_problems(self._counts)
        return DataSummary(
            kind=self.config.kind,
            task=self.task,
            num_samples=len(self),
            source=self.config.path,
            classes=list(self.class_names),
            class_counts=dict(self._counts),
            sample_shape=tuple(int(d) for d in self._x.shape[1:]),
            imbalance_warning=imbalance_message(self._counts) if self._counts else None,
            problems=problems,
            notes=notes,
        )
