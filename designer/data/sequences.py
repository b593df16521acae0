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
from designer.data.memory import HeldArrays, encode_labels, float_inputs
from designer.data.npfiles import NpzArrays, load_npy
from designer.data.summary import (
    DataError,
    DataSummary,
    class_problems,
    count_classes,
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
        with NpzArrays(path) as z:
            keys = z.keys()
            if "x" not in keys or "y" not in keys:
                raise DataError(f"expected arrays 'x' and 'y' in '{path}', received {keys}")
            x, y = z["x"], z["y"]
            lengths = z["lengths"] if "lengths" in keys else None
    else:
        if not config.y_path:
            raise DataError(f"expected a y .npy (y_path) to go with '{path}'")
        x, y, lengths = load_npy(path), load_npy(config.y_path), None
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim != 3 or 0 in x.shape[1:]:
        raise DataError(
            f"expected sequences shaped (N, T) or (N, T, F) with T and F at least 1 in '{path}', "
            f"received {x.shape}"
        )
    x = float_inputs(x, f"'{path}'")
    if y.ndim == 0:
        raise DataError(f"expected one target per sequence in '{path}', received one value")
    steps = _lengths(lengths, x, path)
    if len(y) != len(x):
        raise DataError(
            f"expected one length and one target per sequence in '{path}', received "
            f"{len(x)} sequences, {len(steps)} lengths, {len(y)} targets"
        )
    seqs = [x[i, :n] for i, n in enumerate(steps)]
    if config.mode == "per-step":
        if y.ndim < 2 or y.shape[1] != x.shape[1]:
            raise DataError(
                f"per-step targets must be shaped (N, T, ...) like x {x.shape[:2]}, received {y.shape}"
            )
        return seqs, [y[i, :n] for i, n in enumerate(steps)]
    return seqs, y


def _lengths(lengths: np.ndarray | None, x: np.ndarray, path: str) -> list[int]:
    """The length of each sequence: whole numbers from 1 to the time steps of ``x``."""
    steps = x.shape[1]
    if lengths is None:
        return [steps] * len(x)
    if lengths.ndim != 1 or len(lengths) != len(x):
        raise DataError(
            f"expected 'lengths' in '{path}' to hold one length per sequence ({len(x)}), "
            f"received shape {lengths.shape}"
        )
    if lengths.dtype.kind not in "iuf" or (
        lengths.dtype.kind == "f"
        and not np.all(np.isfinite(lengths) & (lengths == np.round(lengths)))
    ):
        raise DataError(
            f"expected whole numbers as the sequence lengths in '{path}', received values of "
            f"type {lengths.dtype}"
        )
    bad = np.flatnonzero((lengths < 1) | (lengths > steps))
    if bad.size:
        i = int(bad[0])
        raise DataError(
            f"expected sequence lengths from 1 to {steps} (the time steps of x) in '{path}', "
            f"received {lengths[i]:g} for sequence {i}"
        )
    return [int(n) for n in lengths]


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
    seqs = [float_inputs(feats[r], f"'{config.path}'") for r in rows]
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


def _check_config(config: SequenceConfig) -> None:
    """DataError for settings that cannot pad sequences."""
    if config.mode not in MODES:
        raise DataError(f"expected mode among {MODES}, received '{config.mode}'")
    if config.task not in ("auto", "classification", "regression"):
        raise DataError(
            f"expected task 'auto', 'classification' or 'regression', received '{config.task}'"
        )
    for name in ("padding", "truncating"):
        if getattr(config, name) not in ("pre", "post"):
            raise DataError(f"expected {name} 'pre' or 'post', received '{getattr(config, name)}'")
    if config.max_length is not None and config.max_length < 1:
        raise DataError(
            f"expected a max_length of at least 1 (or none), received {config.max_length}"
        )


class SequenceStore(HeldArrays, Datastore):
    """Padded sequences (N, T, F) float32 with per-sequence or per-step targets."""

    config: SequenceConfig

    def __init__(self, config: SequenceConfig) -> None:
        self.config = config
        _check_config(config)
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
        self._x = keras.utils.pad_sequences(seqs, **pad)
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
            where = f"'{config.path}'"
            if config.mode == "per-step":
                split = [
                    float_inputs(np.asarray(v), where, "the targets").reshape(len(v), -1) for v in y
                ]
                self._y = keras.utils.pad_sequences(split, **pad)
            else:
                self._y = float_inputs(np.asarray(y), where, "the targets").reshape(len(seqs), -1)
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
        problems = class_problems(self._counts, f"'{self.config.path}'") if self._counts else []
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
