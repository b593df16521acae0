"""Explaining image files and folders: read, preprocess as the network expects, explain, and
write one PNG (the overlay and a colour bar) and optionally the raw heat map (.npy) per image.

The heat maps written are at the file's own size: the map computed on the network's input is
taken back through the resize (stretch, centre-crop or pad) the preprocessing did.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from designer.data.imageio import ImageTooLarge, list_images, load_image, probe_image
from designer.data.preprocess import (
    PreprocessConfig,
    derive_preprocess,
    prepare_numpy,
    rescale_batch,
)
from designer.data.summary import DataError, Problem
from designer.insight.explain import (
    METHOD_LABELS,
    ExplainError,
    Explanation,
    Progress,
    explain,
    image_input_shape,
)
from designer.insight.heatmap import render, save_png

if TYPE_CHECKING:
    import keras


def model_preprocess(model: keras.Model) -> PreprocessConfig:
    """The preprocessing for a plain model file: resize to its input size (stretch), convert to
    its channels, scale to [0, 1]."""
    height, width, channels = image_input_shape(model)
    try:
        return derive_preprocess((height, width, channels))
    except DataError as exc:
        raise ExplainError(f"not an image model: {exc}") from exc


def prepare_image(pixels: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """One uint8 image (H, W, C) as the network sees it: channels, size and scale of
    ``config``; float32."""
    prepared = prepare_numpy(np.asarray(pixels, np.uint8), config).astype(np.float32)
    return np.asarray(rescale_batch(prepared[None], config), np.float32)[0]


@dataclass(frozen=True)
class LoadedImage:
    """An image file read for an explanation."""

    path: str
    pixels: np.ndarray = field(repr=False)  # uint8 (h, w, c) at the file's size
    x: np.ndarray = field(repr=False)  # float32 (H, W, C), preprocessed for the network


def load_image_file(path: str | os.PathLike[str], config: PreprocessConfig) -> LoadedImage:
    """Read an image file (with the checks of the data readers) and preprocess it; DataError
    (ImageTooLarge over the size limit) when it is not a readable image."""
    name = os.fspath(path)
    probe_image(name)  # a regular, whole file within the size limit
    pixels = load_image(name, config.channels)
    return LoadedImage(name, pixels, prepare_image(pixels, config))


def heat_to_source(
    heat: np.ndarray, source_size: tuple[int, int], config: PreprocessConfig | None
) -> np.ndarray:
    """A heat map computed on the network's input, at the source image's (height, width):
    back through the stretch, centre-crop (outside the crop: 0) or pad (the padding cut)."""
    heat = np.asarray(heat, np.float32)
    sh, sw = source_size
    if config is None or config.image_size is None or heat.shape == (sh, sw):
        return _resized(heat, (sh, sw))
    th, tw = heat.shape
    if config.resize_mode == "crop":  # ImageOps.fit: the largest centred box of the aspect
        ch, cw = (sh, round(sh * tw / th)) if sw * th > sh * tw else (round(sw * th / tw), sw)
        ch, cw = max(1, min(ch, sh)), max(1, min(cw, sw))
        out = np.zeros((sh, sw), np.float32)
        top, left = (sh - ch) // 2, (sw - cw) // 2
        out[top : top + ch, left : left + cw] = _resized(heat, (ch, cw))
        return out
    if config.resize_mode == "pad":  # ImageOps.pad: scaled to fit, centred
        scale = min(tw / sw, th / sh)
        ih, iw = max(1, round(sh * scale)), max(1, round(sw * scale))
        top, left = (th - ih) // 2, (tw - iw) // 2
        return _resized(heat[top : top + ih, left : left + iw], (sh, sw))
    return _resized(heat, (sh, sw))


def _resized(heat: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if heat.shape == tuple(size):
        return heat.astype(np.float32)
    pil = Image.fromarray(np.ascontiguousarray(heat, np.float32))  # mode F
    out = np.asarray(pil.resize((size[1], size[0]), Image.Resampling.BILINEAR), np.float32)
    return np.clip(out, 0.0, 1.0)


@dataclass(frozen=True)
class FileExplanation:
    """The explanation of one file (its heat map at the file's size) and what was written."""

    path: str
    explanation: Explanation
    png: str | None = None
    npy: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the explanation's keys, the source image, ``out`` and ``npy``."""
        return {
            **self.explanation.to_dict(),
            "image": self.path,
            "out": self.png,
            "npy": self.npy,
        }


def explain_pixels(
    model: keras.Model,
    pixels: np.ndarray,
    method: str = "gradcam",
    *,
    config: PreprocessConfig | None = None,
    class_names: Sequence[str] | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> Explanation:
    """Explain one uint8 image (H, W, C) at its own size: preprocessed with ``config`` (by
    default :func:`model_preprocess`), explained, the heat map taken back to (H, W).
    ``options`` go to :func:`~designer.insight.explain.explain` (layer, class_index, ...)."""
    config = config or model_preprocess(model)
    pixels = np.asarray(pixels, np.uint8)
    x = prepare_image(pixels, config)
    found = explain(model, x, method, class_names=class_names, progress=progress, **options)
    heat = heat_to_source(found.heatmap, pixels.shape[:2], config)
    return dataclasses.replace(found, heatmap=heat)


def explain_file(
    model: keras.Model,
    path: str | os.PathLike[str],
    method: str = "gradcam",
    *,
    out: str | os.PathLike[str] | None = None,
    npy: str | os.PathLike[str] | None = None,
    config: PreprocessConfig | None = None,
    class_names: Sequence[str] | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> FileExplanation:
    """Explain one image file (see :func:`explain_pixels`) and write the PNG to ``out`` and the
    heat map to ``npy`` when given."""
    config = config or model_preprocess(model)
    loaded = load_image_file(path, config)
    found = explain_pixels(
        model,
        loaded.pixels,
        method,
        config=config,
        class_names=class_names,
        progress=progress,
        **options,
    )
    heat = found.heatmap
    png = save_png(out, loaded.pixels, heat, found.caption()) if out is not None else None
    if npy is not None:
        np.save(npy, heat)
    return FileExplanation(loaded.path, found, str(png) if png else None, _text(npy))


def _text(path: str | os.PathLike[str] | None) -> str | None:
    return None if path is None else os.fspath(path)


@dataclass
class FolderResult:
    """What a folder run wrote, and the files it skipped (with why)."""

    items: list[FileExplanation] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)

    def to_list(self) -> list[dict[str, Any]]:
        """One JSON object per explained image."""
        return [item.to_dict() for item in self.items]


def _targets(images: list[str], folder: Path, out_dir: Path) -> list[Path]:
    """``out_dir/<relative path>.png`` per image; the full name (a.jpg.png) where two images
    differ only by their extension."""
    stems = [Path(os.path.relpath(p, folder)).with_suffix("") for p in images]
    taken = {s: stems.count(s) for s in stems}
    return [
        out_dir / (Path(os.path.relpath(p, folder)).as_posix() if taken[s] > 1 else s.as_posix())
        for p, s in zip(images, stems, strict=True)
    ]


def explain_folder(
    model: keras.Model,
    folder: str | os.PathLike[str],
    method: str,
    out_dir: str | os.PathLike[str],
    *,
    npy: bool = False,
    config: PreprocessConfig | None = None,
    class_names: Sequence[str] | None = None,
    progress: Progress | None = None,
    **options: Any,
) -> FolderResult:
    """Explain every image under ``folder`` (sorted, sub-folders kept) and write
    ``out_dir/<name>.png`` (and ``<name>.npy`` with ``npy``) for each; unreadable files are
    skipped and listed. ``progress(done, total, message)`` is called per image (and within an
    occlusion run); a ProgressReporter raises Cancelled there."""
    folder, out_dir = Path(folder), Path(out_dir)
    if not folder.is_dir():
        raise ExplainError(f"expected a folder of images, received {folder}")
    if out_dir.exists() and not out_dir.is_dir():
        raise ExplainError(f"expected an output folder, received the file {out_dir}")
    inside = out_dir.resolve()
    images = [p for p in list_images(folder) if not Path(p).resolve().is_relative_to(inside)]
    if not images:
        raise ExplainError(
            f"no image files in {folder} (expected .png, .jpg, .bmp, .tif or .gif files)"
        )
    config = config or model_preprocess(model)
    result = FolderResult()
    count = len(images)
    for i, (path, target) in enumerate(zip(images, _targets(images, folder, out_dir), strict=True)):
        message = f"explaining {Path(path).name} ({i + 1} of {count})"
        if progress is not None:
            progress(i, count, message)
        inner = _within(progress, i, count, message)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            item = explain_file(
                model,
                path,
                method,
                out=target.with_name(target.name + ".png"),
                npy=target.with_name(target.name + ".npy") if npy else None,
                config=config,
                class_names=class_names,
                progress=inner,
                **options,
            )
        except ImageTooLarge as exc:
            result.skipped.append(Problem("image-too-large", f"skipped image: {exc}", path))
            continue
        except DataError as exc:
            result.skipped.append(Problem("corrupt-file", f"skipped unreadable image: {exc}", path))
            continue
        result.items.append(item)
    if progress is not None:
        progress(count, count, "explained", force=True)
    return result


def _within(progress: Progress | None, index: int, count: int, message: str) -> Progress | None:
    """Progress of one image's work as a share of the whole folder's."""
    if progress is None:
        return None

    def report(done: float, total: float, _message: str = "", force: bool = False) -> None:
        share = done / total if total else 0.0
        progress(index + min(share, 1.0) * 0.999, count, message)

    return report


# --- one request of the GUI ------------------------------------------------------------

OPTIONS = ("layer", "class_index", "patch", "stride", "baseline", "batch_size")


@dataclass(frozen=True)
class ExplainRequest:
    """What one run explains: the image (a file, or a sample's pixels) and the choices."""

    method: str = "gradcam"
    path: str | None = None
    pixels: np.ndarray | None = field(default=None, repr=False)  # uint8 (H, W, C)
    layer: str | None = None
    class_index: int | None = None
    patch: int = 8
    stride: int = 4
    baseline: str = "zero"
    batch_size: int = 64

    def options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`designer.insight.explain.explain`."""
        return {name: getattr(self, name) for name in OPTIONS}


@dataclass
class ExplainOutcome:
    """A finished run: the explanation (heat map at the image's size), the image and the
    picture (overlay and colour bar)."""

    explanation: Explanation
    pixels: np.ndarray
    picture: Any  # PIL.Image.Image


def run_request(
    request: ExplainRequest,
    model: Any,
    config: PreprocessConfig,
    class_names: Sequence[str] | None,
    reporter: Progress,
) -> ExplainOutcome:
    """The work of one GUI run (in a worker): read the image, explain it (the heat map at the
    image's size), render the picture."""
    reporter(0, 0, "reading the image", force=True)
    if request.path is not None:
        pixels = load_image_file(request.path, config).pixels
    else:
        assert request.pixels is not None
        pixels = np.asarray(request.pixels, np.uint8)
    reporter(0, 0, f"explaining ({METHOD_LABELS.get(request.method, request.method)})", force=True)
    found = explain_pixels(
        model,
        pixels,
        request.method,
        config=config,
        class_names=class_names,
        progress=reporter,
        **request.options(),
    )
    return ExplainOutcome(found, pixels, render(pixels, found.heatmap, found.caption()))
