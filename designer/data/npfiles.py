"""Reading .npy and .npz files safely: the header is checked before anything is allocated
(a file declaring terabytes is refused by its size), never pickle, damage as DataError."""

from __future__ import annotations

import math
import os
import zipfile
import zlib
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from designer.data.summary import DataError

# np.lib.format's readers and zipfile raise these on damaged files.
_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError)
# The most a deflated member can expand (deflate's limit is about 1032:1).
_DEFLATE_RATIO = 1100


def _size(nbytes: int) -> str:
    """Bytes as a short figure ("4.0 TB")."""
    value = float(nbytes)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{nbytes} bytes"


def _header(fh: IO[bytes], where: str) -> tuple[tuple[int, ...], np.dtype[Any], int]:
    """(shape, dtype, bytes of data) from a .npy header; DataError for what cannot be read."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = fmt.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, _, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise DataError(
                f"{where} is a .npy of format version {version[0]}.{version[1]}; expected 1.0 or "
                "2.0 (a plain numeric or text array)"
            )
    except _READ_ERRORS as exc:
        raise DataError(f"{where} is not a readable .npy array: {exc}") from exc
    if any(d < 0 for d in shape):
        raise DataError(f"{where} declares the shape {tuple(shape)}; expected sizes of 0 or more")
    if dtype.hasobject:
        raise DataError(
            f"{where} holds Python objects; expected a plain numeric or text array (pickle is "
            "not loaded)"
        )
    if dtype.names is not None or dtype.subdtype is not None or dtype.kind == "V":
        raise DataError(
            f"{where} holds records of type {dtype}; expected a plain numeric or text array"
        )
    return tuple(shape), dtype, math.prod(shape) * dtype.itemsize


def _declared(where: str, shape: tuple[int, ...], dtype: np.dtype[Any], nbytes: int) -> str:
    return f"{where} declares an array of {dtype} values shaped {shape} ({_size(nbytes)})"


def load_npy(path: str) -> np.ndarray:
    """The array of a .npy file, after checking its header against the file's size."""
    where = f"'{path}'"
    if not os.path.isfile(path):
        raise DataError(f"expected a .npy file at {where}, but there is no such file")
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            return _read_checked(fh, where, lambda header_end: size - header_end)
    except _READ_ERRORS as exc:
        raise DataError(f"cannot read {where} as a .npy array: {exc}") from exc


class NpzArrays:
    """The arrays of a .npz file (a zip of .npy files, as numpy.savez writes), read one by one
    after checking each header against the member's size; use as a context manager."""

    def __init__(self, path: str) -> None:
        self.path = path
        if not os.path.isfile(path):
            raise DataError(f"expected a .npz file at '{path}', but there is no such file")
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except _READ_ERRORS as exc:
            raise DataError(
                f"'{path}' is not a readable .npz file (a zip of .npy arrays): {exc}"
            ) from exc
        self._members = {i.filename[:-4]: i for i in infos if i.filename.endswith(".npy")}

    def __enter__(self) -> NpzArrays:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._zip.close()

    def keys(self) -> list[str]:
        """Names of the arrays."""
        return list(self._members)

    def __getitem__(self, key: str) -> np.ndarray:
        """The array ``key``; DataError when its member is damaged or declares too much."""
        info = self._members[key]
        where = f"array '{key}' of '{self.path}'"
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise DataError(
                f"{where} is compressed with method {info.compress_type}; expected a .npz "
                "written by numpy.savez or numpy.savez_compressed"
            )
        limit = info.compress_size * (_DEFLATE_RATIO if info.compress_type else 1)
        try:
            with self._zip.open(info) as fh:
                room = min(info.file_size, limit)
                return _read_checked(fh, where, lambda header_end: room - header_end)
        except _READ_ERRORS as exc:
            raise DataError(f"cannot read {where}: {exc}") from exc


def npz_keys(path: str) -> list[str]:
    """Names of the arrays in a .npz file (DataError when it is not one)."""
    with NpzArrays(path) as z:
        return z.keys()


def _read_checked(fh: Any, where: str, room: Callable[[int], int]) -> np.ndarray:
    """The array in ``fh``, read only once its header's size fits the ``room(header_end)``
    bytes that follow the header (nothing is allocated for a header that lies)."""
    shape, dtype, nbytes = _header(fh, where)
    available = room(fh.tell())
    if nbytes > available:
        raise DataError(
            f"{_declared(where, shape, dtype, nbytes)}, but the file holds only "
            f"{_size(max(available, 0))} of data"
        )
    fh.seek(0)
    return np.lib.format.read_array(fh, allow_pickle=False)
