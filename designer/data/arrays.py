"""Array datastores: NumPy .npz/.npy files, IDX files (MNIST's format) and CSV tables."""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from designer.data.base import DataConfig
from designer.data.memory import ArrayStore, float_inputs
from designer.data.npfiles import NpzArrays, load_npy
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
        with NpzArrays(path) as z:
            keys = z.keys()
            xk = _pick(keys, config.x_key, X_KEYS, path, "the inputs")
            yk = _pick(keys, config.y_key, Y_KEYS, path, "the labels")
            x, y = z[xk], z[yk]
        source = f"{path} [{xk}, {yk}]"
    else:
        if not config.y_path:
            raise DataError(f"expected a labels .npy (y_path) to go with '{path}', received none")
        x, y = load_npy(path), load_npy(config.y_path)
        source = f"{path} + {config.y_path}"
    names = list(config.class_names) if config.class_names else None
    return ArrayStore(config, x, y, config.task, names, source)


_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


# An IDX header: 0, 0, the type code, the number of dimensions, then 4 bytes per dimension.
MAX_IDX_DIMS = 16


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (optionally .gz), the format of the MNIST distribution; the header is
    checked before the data are read."""
    if not os.path.isfile(path):
        raise DataError(f"expected an IDX file at '{path}', but there is no such file")
    opener = gzip.open if path.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
                raise DataError(
                    f"'{path}' does not start with an IDX header (0, 0, a type among "
                    f"{sorted(_IDX_TYPES)}, the number of dimensions), received {list(head)}"
                )
            dtype, ndim = np.dtype(_IDX_TYPES[head[2]]), head[3]
            if not 1 <= ndim <= MAX_IDX_DIMS:
                raise DataError(
                    f"IDX file '{path}' declares {ndim} dimensions; expected 1 to {MAX_IDX_DIMS}"
                )
            raw_dims = fh.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise DataError(
                    f"IDX file '{path}' declares {ndim} dimensions ({4 * ndim} header bytes), "
                    f"but ends after {len(raw_dims)} of them"
                )
            dims = struct.unpack(">" + "I" * ndim, raw_dims)
            expected = math.prod(dims) * dtype.itemsize
            if opener is open and os.fstat(fh.fileno()).st_size - 4 - 4 * ndim < expected:
                body = b""  # shorter than declared: refused below without reading it
                received = os.fstat(fh.fileno()).st_size - 4 - 4 * ndim
            else:
                body = _read_up_to(fh, expected + 1)
                received = len(body)
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"cannot read IDX file '{path}': {exc}") from exc
    if received != expected:
        raise DataError(
            f"IDX file '{path}' declares shape {dims} ({expected:,} bytes of data), "
            f"received {received:,} bytes"
        )
    return np.frombuffer(body, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def _read_up_to(fh: Any, limit: int, chunk: int = 1 << 20) -> bytes:
    """At most ``limit`` bytes of ``fh``, read in chunks (a short file allocates little)."""
    parts, total = [], 0
    while total < limit:
        part = fh.read(min(chunk, limit - total))
        if not part:
            break
        parts.append(part)
        total += len(part)
    return b"".join(parts)


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


# The most values a text feature column may have (each becomes a one-hot input).
MAX_CATEGORIES = 1000


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
    if table.encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"read as {table.encoding} text (not UTF-8)")
    for name in features:
        if table.is_numeric(name):
            columns.append(table.numeric(name, "a number (or a category in every row)")[:, None])
        else:
            cats, idx = table.categories(name)
            if len(cats) > MAX_CATEGORIES:
                raise DataError(
                    f"column '{name}' of '{config.path}' holds {len(cats):,} different texts; "
                    f"expected numbers or at most {MAX_CATEGORIES:,} categories (leave it out of "
                    "the feature columns)"
                )
            onehot = np.zeros((len(idx), len(cats)), np.float32)
            onehot[np.arange(len(idx)), idx] = 1.0
            columns.append(onehot)
            notes.append(f"'{name}' is categorical: one-hot over {len(cats)} values")
    x = float_inputs(np.concatenate(columns, axis=1), f"'{config.path}'")
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
