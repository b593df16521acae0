"""Reading image files with Pillow: supported formats, header scans, decoding to uint8 arrays."""

from __future__ import annotations

import os
import re
import stat
import warnings
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageSequence

from designer.core.progress import ProgressReporter
from designer.data.summary import DataError, Problem

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif")
# Formats tf.io.decode_image reads natively; the others go through Pillow.
TF_NATIVE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
# The largest image read (8192x8192): below Pillow's decompression-bomb limit, checked on the
# header before decoding, the same in the scan (data inspect, the Data dock, training) and
# in every decode (previews, the Pillow pipelines).
MAX_IMAGE_PIXELS = 8192 * 8192


# Damaged files are reported as skipped (a Problem each); Pillow's own warnings about them
# (and about images over its size limit, which are refused) would only repeat that.
warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.TiffImagePlugin")
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class ImageTooLarge(DataError):
    """An image file whose header declares more than :data:`MAX_IMAGE_PIXELS` pixels."""


def _check_size(path: str, width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageTooLarge(
            f"image '{path}' is {width}x{height} ({width * height:,} pixels); expected at most "
            f"{MAX_IMAGE_PIXELS:,} pixels (8192x8192)"
        )


def _pillow_failure(path: str, exc: Exception, what: str = "image") -> DataError:
    """The DataError for a file Pillow could not open or decode."""
    if isinstance(exc, Image.DecompressionBombError):
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
        return ImageTooLarge(
            f"image '{path}' has {pixels}; expected at most {MAX_IMAGE_PIXELS:,} pixels (8192x8192)"
        )
    if isinstance(exc, Image.UnidentifiedImageError):  # its text names a Python file object
        return DataError(f"cannot read {what} '{path}': not an image file Pillow can identify")
    return DataError(f"cannot read {what} '{path}': {str(exc) or type(exc).__name__}")


def _check_regular(path: str) -> None:
    """DataError unless ``path`` is a regular file (a FIFO or device would block the scan)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read image '{path}': {exc}") from exc
    if not stat.S_ISREG(mode):
        raise DataError(f"cannot read image '{path}': expected a regular file")


@dataclass(frozen=True)
class ImageInfo:
    """Header facts of one readable image file."""

    path: str
    height: int
    width: int
    channels: int


def is_image_file(path: str | os.PathLike[str]) -> bool:
    """True when the file name has a supported image extension."""
    return str(path).lower().endswith(IMAGE_EXTENSIONS)


def list_images(folder: str | os.PathLike[str], recursive: bool = True) -> list[str]:
    """All image files under ``folder`` (sorted, hidden files and folders skipped)."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
        found += [
            os.path.join(root, f)
            for f in files
            if not f.startswith(".") and f.lower().endswith(IMAGE_EXTENSIONS)
        ]
    return sorted(found)


def _channels_of(mode: str) -> int:
    if mode in ("1", "L", "P", "I", "I;16", "F"):
        return 1
    if mode in ("LA",):
        return 2
    if mode in ("RGBA", "CMYK"):
        return 4
    return 3


def _is_grey_palette(palette: list[int] | None) -> bool:
    if not palette:
        return False
    rgb = np.asarray(palette, dtype=np.int32)[: len(palette) // 3 * 3].reshape(-1, 3)
    return bool(np.all(rgb[:, 0] == rgb[:, 1]) and np.all(rgb[:, 1] == rgb[:, 2]))


_PNG_END = b"IEND\xaeB`\x82"
_JPEG_END = b"\xff\xd9"


def _tail_ok(fh: BinaryIO, fmt: str | None) -> bool:
    """Cheap completeness check: PNG ends with its IEND chunk, JPEG with its end marker."""
    if fmt not in ("PNG", "JPEG"):
        return False
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    fh.seek(max(0, size - 64))
    tail = fh.read()
    return tail.endswith(_PNG_END) if fmt == "PNG" else tail.rstrip(b"\0").endswith(_JPEG_END)


_SMALL = 65536
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # IHDR colour type -> channels (3, palette: via Pillow)


def _probe_png(path: str) -> ImageInfo | None:
    """Header facts of a whole, non-palette PNG read without Pillow; None to fall back to Pillow."""
    with open(path, "rb", buffering=0) as fh:
        head = fh.read(_SMALL)  # small files (most datasets): the whole file in one read
        if len(head) < 26 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
            return None
        channels = _PNG_CHANNELS.get(head[25])
        tail = head
        if len(head) == _SMALL:
            fh.seek(-12, os.SEEK_END)
            tail = fh.read()
        if channels is None or not tail.endswith(_PNG_END):
            return None
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    if width == 0 or height == 0:
        return None
    _check_size(path, width, height)
    return ImageInfo(path, height, width, channels)


def probe_image(path: str) -> ImageInfo:
    """Read the header and check the file is whole (the end marker of PNG/JPEG, else a full
    decode); DataError when it is not a readable image (ImageTooLarge over the size limit)."""
    _check_regular(path)
    if path.lower().endswith(".png"):
        try:
            info = _probe_png(path)
        except OSError as exc:
            raise DataError(f"cannot read image '{path}': {exc}") from exc
        if info is not None:
            return info
    try:
        with open(path, "rb") as fh, Image.open(fh) as im:
            width, height = im.size
            _check_size(path, width, height)
            mode = im.mode
            grey_palette = mode == "P" and _is_grey_palette(im.getpalette())
            if not _tail_ok(fh, im.format):
                fh.seek(0)
                with Image.open(fh) as again:
                    again.load()  # a cut file fails here (verify() checks only some formats)
    except DataError:
        raise
    except Exception as exc:  # Pillow's format plugins raise all kinds on damaged files
        raise _pillow_failure(path, exc) from exc
    channels = _channels_of(mode)
    if mode == "P":  # palette images decode to RGB unless the palette is grey
        channels = 1 if grey_palette else 3
    return ImageInfo(path, height, width, channels)


def scan_images(
    paths: Iterable[str], progress: ProgressReporter | None = None, workers: int = 1
) -> tuple[list[ImageInfo | None], list[Problem]]:
    """Probe every file: ``infos[i]`` is None where file ``i`` is corrupt (listed in problems)."""
    paths = list(paths)
    infos: list[ImageInfo | None] = [None] * len(paths)
    problems: list[Problem] = []

    def probe(i: int) -> tuple[int, ImageInfo | None, Problem | None]:
        try:
            return i, probe_image(paths[i]), None
        except ImageTooLarge as exc:
            return i, None, Problem("image-too-large", f"skipped image: {exc}", paths[i])
        except DataError as exc:
            return i, None, Problem("corrupt-file", f"skipped unreadable image: {exc}", paths[i])

    chunk = 256
    pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    mapper = pool.map if pool is not None else map
    try:
        for start in range(0, len(paths), chunk):
            if progress is not None:
                progress(start, len(paths), "scanning images")
            for i, info, problem in mapper(probe, range(start, min(start + chunk, len(paths)))):
                infos[i] = info
                if problem is not None:
                    problems.append(problem)
    finally:
        if pool is not None:
            pool.shutdown()
    if progress is not None:
        progress(len(paths), len(paths), "scanning images", force=True)
    return infos, problems


def size_counts(infos: Iterable[ImageInfo | None]) -> dict[str, int]:
    """Count of images per 'HxWxC' size string."""
    counter = Counter(f"{i.height}x{i.width}x{i.channels}" for i in infos if i is not None)
    return dict(counter.most_common())


def majority_channels(infos: Iterable[ImageInfo | None]) -> int:
    """The most common channel count (1 or 3); two-channel and RGBA count as their colour base."""
    counter = Counter(1 if i.channels <= 2 else 3 for i in infos if i is not None)
    return counter.most_common(1)[0][0] if counter else 3


def load_image(path: str, channels: int | None = None) -> np.ndarray:
    """Decode a file (first frame of a GIF) to uint8 (H, W, C); ``channels`` 1 or 3 converts."""
    try:
        with Image.open(path) as im:
            _check_size(path, *im.size)
            frame = next(iter(ImageSequence.Iterator(im))) if getattr(im, "n_frames", 1) > 1 else im
            arr = to_array(frame, channels)
    except DataError:
        raise
    except Exception as exc:  # Pillow's format plugins raise all kinds on damaged files
        raise _pillow_failure(path, exc) from exc
    return arr


def to_array(im: Image.Image, channels: int | None = None) -> np.ndarray:
    """Pillow image to uint8 (H, W, C), converting to 1 or 3 channels when asked."""
    mode = im.mode
    if channels is None:
        channels = 1 if _channels_of(mode) <= 2 and mode != "P" else 3
    if channels == 1:
        target = "L"
    elif channels == 3:
        target = "RGB"
    else:
        raise DataError(f"expected 1 or 3 image channels, received {channels}")
    if mode in ("I", "I;16", "F") and target == "L":
        arr = np.nan_to_num(np.asarray(im, dtype=np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        hi = max(float(arr.max()), 1.0)
        arr = np.clip(arr * (255.0 / hi) if hi > 255 else arr, 0, 255).astype(np.uint8)
        return arr[..., None]
    if mode != target:
        im = im.convert(target)
    arr = np.asarray(im, dtype=np.uint8)
    return arr[..., None] if arr.ndim == 2 else arr


def load_mask(path: str) -> np.ndarray:
    """Decode a label mask to (H, W) uint8 indices, or (H, W, 3) for colour-coded masks."""
    try:
        with Image.open(path) as im:
            _check_size(path, *im.size)
            if im.mode in ("P", "L", "1", "I", "I;16"):
                return np.asarray(im, dtype=np.int64).astype(np.int32)
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except DataError:
        raise
    except Exception as exc:  # Pillow's format plugins raise all kinds on damaged files
        raise _pillow_failure(path, exc, "mask") from exc
