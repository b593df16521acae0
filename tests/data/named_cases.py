"""The bad inputs named in issue #12, written as small files (the data tests and the
``data inspect`` tests share them)."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

from tests.fixtures import save


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(width: int = 20000, height: int = 20000) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` grey pixels (whole: it ends with
    IEND; its pixel data are a single row)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\0" * (width + 1)))
        + _png_chunk(b"IEND", b"")
    )


def huge_jpeg(width: int = 20000, height: int = 20000) -> bytes:
    """A small JPEG whose frame header declares ``width`` x ``height`` pixels."""
    buf = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(buf, "JPEG")
    raw = buf.getvalue()
    at = raw.index(b"\xff\xc0") + 5
    return raw[:at] + struct.pack(">HH", height, width) + raw[at + 4 :]


def two_classes(root: Path, n: int = 3, size: int = 8) -> Path:
    """``root`` with classes 'a' and 'b' of ``n`` small PNG images each."""
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        for i in range(n):
            save(root / cls / f"{i}.png", rng.integers(0, 255, (size, size, 3), dtype=np.uint8))
    return root


def huge_image_folder(root: Path) -> Path:
    """Two classes and a 20000x20000 PNG in class 'a'."""
    two_classes(root)
    (root / "a" / "huge.png").write_bytes(huge_png())
    return root


def latin1_csv(root: Path) -> Path:
    """A CSV in Latin-1 with accented categories."""
    path = root / "latin1.csv"
    text = "city,x,label\nMünster,1,a\nCréteil,2,b\nSão Paulo,3,a\nZürich,4,b\n"
    path.write_bytes(text.encode("latin-1"))
    return path


def big_field_csv(root: Path) -> Path:
    """A CSV with a quoted field of 200 kB on line 3."""
    path = root / "bigfield.csv"
    path.write_text('x,label\n1,a\n2,"' + "z" * 200_000 + '"\n3,b\n')
    return path


def _npz_bytes() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, x=np.arange(40.0).reshape(20, 2), y=np.arange(20) % 2)
    return buf.getvalue()


def truncated_npz(root: Path) -> Path:
    """The first half of a real .npz."""
    path = root / "truncated.npz"
    data = _npz_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def random_npz(root: Path) -> Path:
    """500 random bytes named .npz."""
    path = root / "random.npz"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 500, dtype=np.uint8).tobytes())
    return path


def idx_200_dims(root: Path) -> Path:
    """An IDX images file whose header declares 200 dimensions, with a labels file."""
    (root / "train-images-idx3-ubyte").write_bytes(bytes([0, 0, 8, 200]) + b"\0\0\0\2" * 3)
    (root / "train-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 2, 0, 1]))
    return root / "train-images-idx3-ubyte"


def npy_4tb(root: Path) -> Path:
    """x.npy declaring 500e9 float64 values (4 TB) over 64 bytes, and a y.npy."""
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (500000000000,), }"
    header = header.ljust(117) + "\n"
    data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + b"\0" * 64
    (root / "x.npy").write_bytes(data)
    np.save(root / "y.npy", np.arange(4))
    return root / "x.npy"


def truncated_jpeg_folder(root: Path) -> Path:
    """Two classes of JPEGs and one JPEG cut in half."""
    rng = np.random.default_rng(2)
    for cls in ("a", "b"):
        for i in range(2):
            save(root / cls / f"{i}.jpg", rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buf, "JPEG")
    (root / "a" / "cut.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return root


def non_utf8_name_folder(root: Path) -> Path | None:
    """Two classes, one image named with bytes that are not UTF-8; None when the file
    system refuses such a name."""
    two_classes(root)
    buf = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 99, np.uint8)).save(buf, "PNG")
    try:
        with open(os.fsencode(root / "a") + b"/bad\xff\xfe.png", "wb") as fh:
            fh.write(buf.getvalue())
    except OSError:
        return None
    return root


def empty_class_folder(root: Path) -> Path:
    """Classes 'a' and 'b' with images, and an empty class folder 'c'."""
    two_classes(root)
    (root / "c").mkdir()
    return root


def one_class_folder(root: Path) -> Path:
    """A single class folder."""
    rng = np.random.default_rng(3)
    for i in range(4):
        save(root / "only" / f"{i}.png", rng.integers(0, 255, (8, 8, 3), dtype=np.uint8))
    return root


def negative_lengths_npz(root: Path) -> Path:
    """Sequences with a length of -2."""
    path = root / "sequences.npz"
    x = np.random.default_rng(4).random((4, 5, 2))
    np.savez(path, x=x, y=np.array([0, 1, 0, 1]), lengths=np.array([3, -2, 5, 1]))
    return path


def corrupt_image_folder(root: Path) -> Path:
    """Two classes and a PNG that is whole but whose pixel data are garbage."""
    two_classes(root)
    ihdr = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    garbage = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
    garbage += _png_chunk(b"IDAT", b"not zlib data at all") + _png_chunk(b"IEND", b"")
    (root / "a" / "rotten.png").write_bytes(garbage)
    return root
