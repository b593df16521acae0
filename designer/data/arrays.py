"""Array datastores: NumPy .npz/.npy files, IDX files (MNIST's format) and CSV tables."""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass

import numpy as np

from designer.data.base import DataConfig
from designer.data.memory import ArrayStore
from designer.data.summary import DataError
from designer.data.tables import read_csv

X_KEYS = ("x", "X", "x_train", "images", "data", "features", "inputs")
Y_KEYS = ("y", "Y", "y_train", "labels", "targets", "target", "label")


@dataclass(frozen=True)
class NumpyConfig(DataConfig):
    """X and y from one .npz (keys) or two .npy files."""

    kind = "numpy"
    path: str = ""  # .npz holding X and y, or the .npy of X
    y_path: str | None = None  # the .npy of y when ``path`` is a .npy
    x_key: str | None = None  # None: the first of X_KEYS present
    y_key: str | None = None
    task: str = "auto"  # auto, classification, regression
    class_names: tuple[str, ...] | None = None


def _load_npy(path: str) -> np.ndarray:
    if not os.path.isfile(path):
        raise DataError(f"expected a .npy file at '{path}', but there is no such file")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise DataError(
            f"'{path}' holds Python objects; expected a plain numeric array (pickle is not loaded)"
        ) from exc
    except OSError as exc:
        raise DataError(f"cannot read '{path}' as a .npy array: {exc}") from exc


def _pick(
    keys: list[str], wanted: str | None, candidates: tuple[str, ...], path: str, what: str
) -> str:
    if wanted is not None:
        if wanted not in keys:
            raise DataError(f"expected an array '{wanted}' in '{path}', received arrays {keys}")
        return wanted
    for k in candidates:
        if k in keys:
            return k
    raise DataError(f"expected {what} under one of {list(candidates)} in '{path}', received {keys}")


def open_numpy(config: NumpyConfig) -> ArrayStore:
    """Load a .npz or a pair of .npy files into an ArrayStore."""
    path = config.path
    if path.lower().endswith(".npz"):
        if not os.path.isfile(path):
            raise DataError(f"expected a .npz file at '{path}', but there is no such file")
        try:
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.keys())
                xk = _pick(keys, config.x_key, X_KEYS, path, "the inputs")
                yk = _pick(keys, config.y_key, Y_KEYS, path, "the labels")
                x, y = z[xk], z[yk]
        except ValueError as exc:
            raise DataError(f"'{path}' holds Python objects; expected numeric arrays") from exc
        source = f"{path} [{xk}, {yk}]"
    else:
        if not config.y_path:
            raise DataError(f"expected a labels .npy (y_path) to go with '{path}', received none")
        x, y = _load_npy(path), _load_npy(config.y_path)
        source = f"{path} + {config.y_path}"
    names = list(config.class_names) if config.class_names else None
    return ArrayStore(config, x, y, config.task, names, source)


_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (optionally .gz), the format of the MNIST distribution."""
    if not os.path.isfile(path):
        raise DataError(f"expected an IDX file at '{path}', but there is no such file")
    opener = gzip.open if path.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise DataError(f"cannot read IDX file '{path}': {exc}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"'{path}' does not start with an IDX header (0, 0, type, ndim)")
    dtype, ndim = np.dtype(_IDX_TYPES[raw[2]]), raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    expected = int(np.prod(dims)) * dtype.itemsize
    body = raw[4 + 4 * ndim :]
    if len(body) != expected:
        raise DataError(
            f"IDX file '{path}' declares shape {dims} ({expected} bytes of data), "
            f"received {len(body)} bytes"
        )
    return np.frombuffer(body, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str, array: np.ndarray) -> None:
    """Write an array as an IDX file (uint8, int8, int16, int32, float32 or float64)."""
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_TYPES.items()}
    arr = np.asarray(array)
    code = codes.get(arr.dtype)
    if code is None:
        raise DataError(f"expected an array of an IDX type {list(codes)}, received {arr.dtype}")
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    opener = gzip.open if path.lower().endswith(".gz") else open
    with opener(path, "wb") as fh:
        fh.write(header + arr.astype(arr.dtype.newbyteorder(">")).tobytes())


@dataclass(frozen=True)
class IdxConfig(DataConfig):
    """An IDX images file and an IDX labels file (e.g. train-images-idx3-ubyte.gz)."""

    kind = "idx"
    images_path: str = ""
    labels_path: str = ""
    class_names: tuple[str, ...] | None = None


def open_idx(config: IdxConfig) -> ArrayStore:
    """Load IDX images and labels into an ArrayStore."""
    x, y = read_idx(config.images_path), read_idx(config.labels_path)
    names = list(config.class_names) if config.class_names else None
    source = f"{config.images_path} + {config.labels_path}"
    return ArrayStore(config, x, y, "classification", names, source)


@dataclass(frozen=True)
class CsvTableConfig(DataConfig):
    """A CSV table: feature columns (numeric or categorical) and one target column."""

    kind = "csv-table"
    path: str = ""
    target_column: str | None = None  # None: the last column
    feature_columns: tuple[str, ...] | None = None  # None: every column but the target
    task: str = "auto"  # auto (categorical or integer target -> classification), ...


def open_csv_table(config: CsvTableConfig) -> ArrayStore:
    """Load a CSV table; categorical features are one-hot encoded (listed in the summary notes)."""
    table = read_csv(config.path)
    target = config.target_column if config.target_column is not None else table.header[-1]
    table.index(target)
    features = list(config.feature_columns or [h for h in table.header if h != target])
    if not features:
        raise DataError(
            f"expected at least one feature column besides '{target}' in '{config.path}'"
        )
    if target in features:
        raise DataError(
            f"column '{target}' is both the target and a feature; expected it only once"
        )
    columns, notes = [], []
    for name in features:
        if table.is_numeric(name):
            columns.append(table.numeric(name, "a number (or a category in every row)")[:, None])
        else:
            cats, idx = table.categories(name)
            columns.append(np.eye(len(cats), dtype=np.float64)[idx])
            notes.append(f"'{name}' is categorical: one-hot over {len(cats)} values")
    x = np.concatenate(columns, axis=1).astype(np.float32)
    task = config.task
    numeric_target = table.is_numeric(target)
    if task == "auto":
        task = "classification"
        if numeric_target:
            values = table.numeric(target)
            is_int = bool(np.all(values == np.round(values)))
            if not (is_int and len(np.unique(values)) <= 50):
                task = "regression"
    if task == "regression":
        if not numeric_target:
            bad = next(v for v in table.column(target) if not _is_float(v))
            raise DataError(
                f"target column '{target}' of '{config.path}' holds '{bad}'; expected numbers "
                "for regression"
            )
        y = table.numeric(target, "a number for regression")
        names = None
    else:
        names, y = table.categories(target)
    store = ArrayStore(config, x, y, task, names, config.path, target_names=[target], notes=notes)
    store.feature_names = features
    return store


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
