"""Fuzzing data: random image folders (formats, modes, sizes, zero-byte, cut, random-byte and
huge-header files, odd names incl. bytes that are not UTF-8, empty and single classes),
CSVs (encodings, delimiters, quoting, huge fields, missing values), .npy/.npz (dtypes,
shapes, damage, headers declaring too much), IDX files (random headers), sequence .npz
(odd lengths) and segmentation folders, each opened as a user would.

The rule: ``detect``, ``open_datastore``, ``summary``, a preview and two training batches
(``make_training_data``) either work or raise a one-line DataError, nothing else; a summary
is consistent (samples, class counts, printable); every readable image of a folder is a
sample and every file made unreadable is skipped and reported (nothing lost, nothing bad).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import random
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tests.fuzz import InvariantBroken

FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "bmp": "BMP", "gif": "GIF", "tif": "TIFF"}
MODES = {
    "PNG": ("L", "RGB", "RGBA", "P", "1", "LA", "I;16"),
    "JPEG": ("L", "RGB"),
    "BMP": ("L", "RGB", "P", "1"),
    "GIF": ("L", "P", "RGB"),
    "TIFF": ("L", "RGB", "RGBA", "1"),
}
DAMAGE = ("empty", "random", "cut", "huge", "text", "bitrot")
ODD_CELLS = (
    "",
    "NA",
    "?",
    "nan",
    "1e999",
    "-0",
    "1_000",
    " 7 ",
    "café",
    "中文",
    '"q"',
    "a,b",
    "x\ny",
)


@dataclass
class Expect:
    """What a case knows about the files it wrote (image folders)."""

    good: set[str] = field(default_factory=set)  # readable images: must be samples
    bad: set[str] = field(default_factory=set)  # unreadable or too large: skipped and reported
    classes: list[str] = field(default_factory=list)
    usable: bool = False  # the data must open (a refusal would lose good data)


def _arr(rng: random.Random, shape: tuple[int, ...], dtype: Any = np.uint8) -> np.ndarray:
    return np.random.default_rng(rng.getrandbits(32)).integers(0, 256, shape).astype(dtype)


def image_bytes(rng: random.Random, fmt: str, h: int, w: int) -> bytes:
    """A small real image file of format ``fmt`` in a random mode."""
    mode = rng.choice(MODES[fmt])
    if mode == "I;16":
        im = Image.fromarray(_arr(rng, (h, w), np.uint16) * 257)
    else:
        im = Image.fromarray(_arr(rng, (h, w, 3))).convert(mode)
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_header(rng: random.Random, fmt: str, raw: bytes) -> bytes:
    """An image whose header declares more than 8192x8192 pixels (the data stay tiny)."""
    w, h = rng.choice([8193, 20000, 65535]), rng.choice([8193, 30000, 65535])
    if fmt == "JPEG" and b"\xff\xc0" in raw:
        at = raw.index(b"\xff\xc0") + 5
        return raw[:at] + struct.pack(">HH", h, w) + raw[at + 4 :]
    if fmt == "GIF":
        return raw[:6] + struct.pack("<HH", w, h) + raw[10:]
    if fmt == "BMP":
        return raw[:18] + struct.pack("<ii", w, h) + raw[26:]
    if rng.random() < 0.3:
        w = rng.choice([2**31 - 1, 100000])
    ihdr = struct.pack(">IIBBBBB", w, h, 8, rng.choice([0, 2, 3, 4, 6]), 0, 0, 0)
    idat = zlib.compress(bytes(rng.randrange(256) for _ in range(rng.randrange(40))))
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def damaged(rng: random.Random, fmt: str, raw: bytes) -> tuple[bytes, str]:
    """A damaged version of ``raw`` and what must become of it: "bad" (skipped and reported)
    or "either" (bit rot: usable or skipped, never a traceback)."""
    kind = rng.choice(DAMAGE)
    if kind == "empty":
        return b"", "bad"
    if kind == "random":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))), "bad"
    if kind == "cut":
        return raw[: rng.randrange(len(raw) // 2 + 1)], "bad"
    if kind == "huge":
        return huge_header(rng, fmt, raw), "bad"
    if kind == "text":
        return b"not an image\n" * rng.randrange(1, 5), "bad"
    data = bytearray(raw)
    for _ in range(rng.randrange(1, 4)):
        data[rng.randrange(8, max(9, len(data)))] ^= 1 << rng.randrange(8)
    return bytes(data), "either"


def odd_name(rng: random.Random, i: int) -> tuple[bytes, bool]:
    """(a file or folder name as bytes, whether it is hidden)."""
    style = rng.choice(
        ("plain", "plain", "unicode", "space", "nonutf8", "newline", "long", "hidden")
    )
    stem = {
        "plain": f"s{i}",
        "unicode": f"ünï{i}_中",
        "space": f"a b {i}",
        "newline": f"l{i}\nx",
        "long": f"{i}" + "n" * 180,
        "hidden": f".h{i}",
    }.get(style, "")
    return (stem.encode() if stem else b"b\xff\xfe%d" % i), style == "hidden"


def _write(path: bytes, data: bytes) -> bool:
    try:
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError:  # a name this file system refuses
        return False
    return True


def image_folder(rng: random.Random, root: Path) -> tuple[str, Expect]:
    """A folder of class folders with good, damaged, hidden and nested files."""
    expect = Expect()
    base = os.fsencode(root / "imgs")
    os.makedirs(base)
    for k in range(rng.choice([1, 2, 2, 2, 3])):
        name, hidden = odd_name(rng, k) if rng.random() < 0.3 else (b"c%d" % k, False)
        folder = os.path.join(base, name)
        try:
            os.makedirs(folder)
        except OSError:
            continue
        if not hidden:
            expect.classes.append(os.fsdecode(name))
        for i in range(rng.choice([0, 1, 2, 2, 3, 4, 4])):
            ext = rng.choice(list(FORMATS))
            raw = image_bytes(rng, FORMATS[ext], rng.randint(1, 12), rng.randint(1, 12))
            state = "good"
            if rng.random() < 0.3:
                raw, state = damaged(rng, FORMATS[ext], raw)
            elif rng.random() < 0.1:  # one format under another one's extension
                raw = image_bytes(rng, rng.choice(["PNG", "JPEG", "BMP"]), 5, 6)
            stem, hidden_file = odd_name(rng, i)
            where = os.path.join(folder, b"sub") if rng.random() < 0.2 else folder
            os.makedirs(where, exist_ok=True)
            ext_b = (ext.upper() if rng.random() < 0.2 else ext).encode()
            path = os.path.join(where, stem + b"." + ext_b)
            if _write(path, raw) and not (hidden or hidden_file) and state != "either":
                getattr(expect, state).add(os.fsdecode(path))
    if rng.random() < 0.3:
        _write(os.path.join(base, b"loose.png"), image_bytes(rng, "PNG", 3, 3))
    expect.classes.sort()
    expect.usable = bool(expect.good)
    return os.fsdecode(base), expect


def csv_file(rng: random.Random, root: Path) -> tuple[str, Expect]:
    """A CSV table (sometimes of image files and regression targets) with random encoding,
    delimiter and quoting; "usable" when nothing odd went in."""
    n_rows, n_feat = rng.randint(0, 8), rng.choice([0, 1, 2, 3, 3])
    odd = rng.random() < 0.5
    images = rng.random() < 0.2
    header = (["file"] if images else []) + [f"f{j}" for j in range(n_feat)] + ["target"]
    rows = []
    for i in range(n_rows):
        row = [f"im{i}.png"] if images else []
        row += [
            str(rng.choice([rng.randint(-9, 9), round(rng.uniform(-5, 5), 3)]))
            for _ in range(n_feat)
        ]
        text = rng.random() < 0.6 and not images  # image regression: numeric targets
        row.append(rng.choice(["cat", "dog", "émeu"]) if text else str(i % 2))
        if odd and rng.random() < 0.3:
            row[rng.randrange(len(row))] = rng.choice(ODD_CELLS)
        if odd and rng.random() < 0.1:
            row = row[:-1] if rng.random() < 0.5 else row + ["extra"]
        rows.append(row)
        if images and rng.random() < 0.8:
            (root / f"im{i}.png").write_bytes(image_bytes(rng, "PNG", 4, 4))
    filled = [row for row in rows if row]  # a short row may have lost its only cell
    if odd and filled and rng.random() < 0.2:
        rng.choice(filled)[0] = "z" * rng.choice([131073, 200000])
    delimiter = rng.choice([",", ",", ";", "\t"] + (["|", " "] if odd else []))
    quoting = rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])
    buf = io.StringIO()
    writer = csv.writer(
        buf, delimiter=delimiter, quoting=quoting, lineterminator=rng.choice(["\n", "\r\n"])
    )
    if not (odd and rng.random() < 0.2):
        writer.writerow(header)
    writer.writerows(rows)
    text = buf.getvalue()
    encoding = rng.choice(["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"])
    data = text.encode(encoding, "replace")
    if odd and rng.random() < 0.2:
        data = data[: rng.randrange(len(data) + 1)] + rng.choice([b"\0", b"\xff\xfe", b'"'])
    path = root / "table.csv"
    path.write_bytes(data)
    classes = {r[-1] for r in rows if r}
    expect = Expect(usable=not odd and n_feat > 0 and len(rows) >= 2 and len(classes) > 1)
    return str(path), expect


DTYPES = ("uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64", "bool")
ODD_DTYPES = ("complex64", "U3", "S2", "datetime64[s]", "f8,i4", "uint64")


def _array(rng: random.Random, shape: tuple[int, ...], odd: bool) -> np.ndarray:
    dtype = rng.choice(DTYPES + (ODD_DTYPES if odd else ()))
    values = np.random.default_rng(rng.getrandbits(32)).integers(0, 4, shape)
    arr = values.astype(np.int64).astype(dtype) if dtype != "f8,i4" else np.zeros(shape, dtype)
    if odd and arr.dtype.kind == "f" and arr.size and rng.random() < 0.3:
        arr.flat[rng.randrange(arr.size)] = rng.choice([np.nan, np.inf, 1e300])
    return arr


def _npy_bytes(arr: np.ndarray, rng: random.Random, odd: bool) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    raw = buf.getvalue()
    if odd and rng.random() < 0.3:  # a header declaring far more than the data
        declared = str((rng.choice([10**6, 10**12, 2**62]),) + arr.shape[1:])
        header = raw[10 : raw.index(b"\n")].decode("latin-1")
        new = header.replace(str(arr.shape), declared, 1)
        new = new.ljust(len(header))[: max(len(header), len(new))]
        raw = (
            raw[:8]
            + struct.pack("<H", len(new) + 1)
            + new.encode()
            + b"\n"
            + raw[raw.index(b"\n") + 1 :]
        )
    return raw


def _damage(rng: random.Random, data: bytes) -> bytes:
    choice = rng.choice(["cut", "flip", "random"])
    if choice == "cut":
        return data[: rng.randrange(len(data) + 1)]
    if choice == "random":
        return bytes(rng.randrange(256) for _ in range(rng.randrange(600)))
    out = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def numpy_files(rng: random.Random, root: Path) -> tuple[str, Expect]:
    """A .npz of inputs and labels (or sequences with lengths), or a .npy pair."""
    odd = rng.random() < 0.6
    n = rng.choice([0, 1, 2, 5, 8]) if odd else rng.choice([4, 6, 8])
    sequences = rng.random() < 0.3
    shape = (n,) + tuple(
        rng.choice([0, 1, 3, 5]) if odd else rng.choice([2, 3])
        for _ in range(rng.choice([1, 2, 3]))
    )
    x = _array(rng, shape, odd)
    y = np.arange(n) % rng.choice([1, 2, 3]) if odd else np.arange(n) % 2
    if odd and rng.random() < 0.4:
        y = _array(rng, (n + rng.choice([0, 0, 1]),) + (rng.choice([(), (1,), (3,)])), odd)
    arrays: dict[str, np.ndarray] = {}
    if sequences:
        arrays = {"x": x, "y": y}
        lengths = np.full(n, shape[1] if len(shape) > 1 else 1)
        if odd and n:
            lengths = np.array([rng.choice([-2, 0, 1, 2, 9, 3.5, np.nan]) for _ in range(n)])
        arrays["lengths"] = lengths
    else:
        arrays[rng.choice(["x", "X", "images", "data"] + (["foo"] if odd else []))] = x
        arrays[rng.choice(["y", "labels", "targets"] + (["bar"] if odd else []))] = y
    usable = not odd and not sequences
    if not sequences and rng.random() < 0.3:
        (root / "x.npy").write_bytes(_npy_bytes(x, rng, odd))
        (root / "y.npy").write_bytes(_npy_bytes(y, rng, odd and rng.random() < 0.3))
        return str(root / "x.npy"), Expect(usable=usable)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", rng.choice([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])) as z:
        for key, arr in arrays.items():
            z.writestr(key + ".npy", _npy_bytes(arr, rng, odd and rng.random() < 0.3))
        if odd and rng.random() < 0.1:
            z.writestr("obj.npy", _pickled())
    data = buf.getvalue()
    if odd and rng.random() < 0.3:
        data = _damage(rng, data)
    path = root / ("seq.npz" if sequences else "data.npz")
    path.write_bytes(data)
    return str(path), Expect(usable=usable)


def _pickled() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return buf.getvalue()


IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _idx(rng: random.Random, dims: tuple[int, ...], odd: bool) -> bytes:
    code = rng.choice(list(IDX_TYPES) + ([0x01, 0x0A] if odd else []))
    ndim = len(dims) if not (odd and rng.random() < 0.3) else rng.choice([0, 4, 200, 255])
    head = bytes([0, 0, code, ndim]) if not (odd and rng.random() < 0.1) else b"\x01\x02"
    head += struct.pack(">" + "I" * len(dims), *dims)
    if odd and rng.random() < 0.2:
        head = head[:4] + struct.pack(">I", rng.choice([2**31, 2**32 - 1])) + head[8:]
    itemsize = np.dtype(IDX_TYPES.get(code, ">u1")).itemsize
    values = np.random.default_rng(rng.getrandbits(32)).integers(0, 2, int(np.prod(dims)))
    body = values.astype(IDX_TYPES.get(code, ">u1")).tobytes() if itemsize else b""
    if odd and rng.random() < 0.3:
        body = body[: rng.randrange(len(body) + 1)] if rng.random() < 0.7 else body + b"\0\0"
    return head + body


def idx_files(rng: random.Random, root: Path) -> tuple[str, Expect]:
    """An IDX images file and its labels, plain or gzip, with random headers."""
    odd = rng.random() < 0.6
    n = rng.choice([4, 6])
    images = _idx(rng, (n, rng.randint(1, 5), rng.randint(1, 5)), odd)
    labels = _idx(rng, (n,), odd and rng.random() < 0.5)
    gz = rng.random() < 0.3
    suffix = "-ubyte.gz" if gz else "-ubyte"
    for name, data in (("train-images-idx3", images), ("train-labels-idx1", labels)):
        data = gzip.compress(data) if gz else data
        if gz and odd and rng.random() < 0.2:
            data = data[: len(data) // 2]
        (root / (name + suffix)).write_bytes(data)
    target = root if rng.random() < 0.5 else root / ("train-images-idx3" + suffix)
    return str(target), Expect()


def segmentation_folder(rng: random.Random, root: Path) -> tuple[str, Expect]:
    """images/ and masks/ with index masks (some missing, resized, coloured or too high)."""
    base = root / "seg"
    (base / "images").mkdir(parents=True)
    (base / "masks").mkdir()
    for i in range(rng.randint(0, 4)):
        h, w = rng.randint(1, 8), rng.randint(1, 8)
        (base / "images" / f"m{i}.png").write_bytes(image_bytes(rng, "PNG", h, w))
        if rng.random() < 0.85:
            mh, mw = (h, w) if rng.random() < 0.8 else (h + 1, w)
            mask = (
                np.random.default_rng(i)
                .integers(0, rng.choice([1, 2, 3]), (mh, mw))
                .astype(np.uint8)
            )
            im = (
                Image.fromarray(mask)
                if rng.random() < 0.9
                else Image.fromarray(mask).convert("RGB")
            )
            im.save(base / "masks" / f"m{i}.png")
    return str(base), Expect()


MAKERS = (
    image_folder,
    image_folder,
    image_folder,
    csv_file,
    csv_file,
    numpy_files,
    numpy_files,
    idx_files,
    segmentation_folder,
)


def _one_line(text: str, what: str) -> None:
    if not text or "\n" in text or not text.isprintable():
        raise InvariantBroken(f"{what} is not one printable line: {text!r}")


def check_summary(store: Any, expect: Expect) -> Any:
    """The summary agrees with the store and with what the case wrote; it prints."""
    summary = store.summary()
    if summary.num_samples != len(store):
        raise InvariantBroken(f"summary says {summary.num_samples} samples, store has {len(store)}")
    for problem in summary.problems:
        _one_line(problem.message, "a problem's message")
    summary.format_table().encode("utf-8")  # strict: what the terminal receives
    json.dumps(summary.to_dict())
    if summary.task == "classification" and sum(summary.class_counts.values()) != len(store):
        raise InvariantBroken(f"class counts {summary.class_counts} for {len(store)} samples")
    if store.config.kind == "image-folder":
        files = set(store.file_paths)
        reported = {p.path for p in summary.problems}
        if store.class_names != expect.classes:
            raise InvariantBroken(f"classes {store.class_names}, expected {expect.classes}")
        if expect.good - files:
            raise InvariantBroken(f"readable images lost: {sorted(expect.good - files)[:2]}")
        if expect.bad & files:
            raise InvariantBroken(f"unreadable images kept: {sorted(expect.bad & files)[:2]}")
        if expect.bad - reported:
            raise InvariantBroken(
                f"skipped images not reported: {sorted(expect.bad - reported)[:2]}"
            )
    return summary


def pipeline_pass(rng: random.Random, store: Any) -> None:
    """make_training_data over two batches; the batches have the announced shape."""
    from designer.data.pipeline import make_training_data
    from designer.data.preprocess import RESIZE_MODES, PreprocessConfig
    from designer.data.splits import SplitConfig

    if store.is_image:
        size = (rng.randint(1, 9), rng.randint(1, 9)) if rng.random() < 0.8 else None
        channels = rng.choice([None, 1, 3])
        preprocess = PreprocessConfig(size, channels, rng.choice(RESIZE_MODES))
    else:
        preprocess = PreprocessConfig(rescale="none")
    data = make_training_data(
        store,
        SplitConfig(validation_percent=rng.choice([0.0, 20.0, 50.0])),
        preprocess,
        batch_size=rng.choice([1, 2, 3]),
        backend=rng.choice(["tf.data", "pydataset"]),
        seed=rng.randrange(100),
    )
    if data.backend == "pydataset":
        batches = [data.train[i] for i in range(min(2, len(data.train)))]
    else:
        batches = [(x.numpy(), y.numpy()) for x, y in data.train.take(2)]
    for x, _ in batches:
        want = tuple(data.input_shape)
        got = tuple(x.shape[1:])
        if len(got) != len(want) or any(w not in (None, g) for w, g in zip(want, got, strict=True)):
            raise InvariantBroken(f"batch of shape {x.shape}, announced {want}")
        if not np.all(np.isfinite(x)):
            raise InvariantBroken("a batch holds values that are not finite")


def one_case(rng: random.Random, workdir: Path) -> str:
    """Write one random data source and open it as ``data inspect`` and training do."""
    from designer.data.registry import detect, open_datastore
    from designer.data.summary import DataError

    path, expect = rng.choice(MAKERS)(rng, workdir)
    stage = "open"
    try:
        store = open_datastore(detect(path))
        summary = check_summary(store, expect)
        stage = "use"
        if len(store.preview(4, seed=rng.randrange(10))) > 4:
            raise InvariantBroken("a preview of 4 samples gave more")
        if summary.refusal is not None:
            _one_line(summary.refusal, "a refusal")
            return "refused:DataError"
        pipeline_pass(rng, store)
    except DataError as exc:
        _one_line(str(exc), "a DataError's message")
        if expect.usable and stage == "open":
            raise InvariantBroken(f"usable data refused: {exc}") from exc
        return "refused:DataError"
    return "ok"
