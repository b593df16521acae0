"""Synthetic characters: digits or letters rendered from the machine's fonts with random variation.

Each sample is a grey uint8 image (MNIST-like: white glyph on black) with its class and the
rotation angle in degrees (a regression target). Generation is deterministic for a seed on a
given machine (the fonts found are part of the input) and runs at thousands of images per second:
glyphs are rendered once per font and thickness into templates, and every sample is one affine
warp of a template plus noise. Only fonts that draw the digits as digits are used
(:func:`designer.data.fonts.find_fonts`), never dingbats or missing-glyph boxes.
"""

from __future__ import annotations

import functools
import os
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from designer.core.progress import ProgressReporter
from designer.data.fonts import find_fonts
from designer.data.summary import DataError

CHARSETS = {"digits": string.digits, "letters": string.ascii_uppercase}
_SUPERSAMPLE = 2


@dataclass(frozen=True)
class Variation:
    """How much the samples vary: rotation in degrees (±), scale factors, translation in pixels."""

    rotation: float = 15.0
    scale: tuple[float, float] = (0.85, 1.1)
    translation: float = 2.0
    shear: float = 0.1
    thickness: bool = True
    noise: float = 0.04  # standard deviation of Gaussian noise as a fraction of full range


@dataclass
class SyntheticSet:
    """Generated samples: images (N, H, W, 1) uint8, labels (N,) int64, angles (N,) float32."""

    images: np.ndarray
    labels: np.ndarray
    angles: np.ndarray
    class_names: list[str]


def _fonts(size: int) -> list[ImageFont.FreeTypeFont | ImageFont.ImageFont]:
    fonts: list[ImageFont.FreeTypeFont | ImageFont.ImageFont] = []
    for path in find_fonts():
        try:
            fonts.append(ImageFont.truetype(path, size))
        except OSError:
            continue
    if not fonts:  # Pillow's built-in font (scalable when FreeType is available)
        fonts.append(ImageFont.load_default(size=size))
    return fonts


def _fit(glyph: Image.Image, canvas: int, box: int) -> Image.Image:
    """Scale a cropped glyph to fit a ``box`` square and centre it on a ``canvas`` square."""
    w, h = glyph.size
    k = box / max(w, h)
    glyph = glyph.resize((max(1, round(w * k)), max(1, round(h * k))), Image.Resampling.LANCZOS)
    out = Image.new("L", (canvas, canvas), 0)
    out.paste(glyph, ((canvas - glyph.size[0]) // 2, (canvas - glyph.size[1]) // 2))
    return out


@functools.lru_cache(maxsize=8)
def glyph_templates(
    charset: str, size: int, thickness: bool
) -> tuple[tuple[Image.Image, ...], ...]:
    """Per character, the template images (fonts x stroke widths) at ``size`` * supersampling."""
    chars = CHARSETS[charset]
    canvas = size * _SUPERSAMPLE
    box = round(canvas * 20 / 28)  # MNIST: the glyph fits a 20x20 box in 28x28
    filters: list[ImageFilter.Filter | None] = [None]
    if thickness:
        filters = [
            ImageFilter.MinFilter(3),
            None,
            ImageFilter.MaxFilter(3),
            ImageFilter.MaxFilter(5),
        ]
    out = []
    for ch in chars:
        templates = []
        for font in _fonts(96):
            img = Image.new("L", (160, 160), 0)
            ImageDraw.Draw(img).text((30, 10), ch, fill=255, font=font)
            bbox = img.getbbox()
            if bbox is None:
                continue
            base = _fit(img.crop(bbox), canvas, box)
            for f in filters:
                t = base.filter(f) if f is not None else base
                if np.asarray(t).max() > 128:  # thinning may erase a light font
                    templates.append(t)
        if not templates:
            raise DataError(f"expected a font that can draw '{ch}', found none on this machine")
        out.append(tuple(templates))
    return tuple(out)


def generate_characters(
    n: int,
    seed: int = 0,
    charset: str = "digits",
    size: int = 28,
    variation: Variation | None = None,
    progress: ProgressReporter | None = None,
) -> SyntheticSet:
    """Render ``n`` random characters (balanced classes, shuffled), deterministic for ``seed``."""
    if charset not in CHARSETS:
        raise DataError(f"expected a charset among {sorted(CHARSETS)}, received '{charset}'")
    if n < 0:
        raise DataError(f"expected a non-negative number of samples, received {n}")
    var = variation or Variation()
    templates = glyph_templates(charset, size, var.thickness)
    k = len(templates)
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % k).astype(np.int64)
    angles = rng.uniform(-var.rotation, var.rotation, n).astype(np.float32)
    scales = rng.uniform(var.scale[0], var.scale[1], n)
    shifts = rng.uniform(-var.translation, var.translation, (n, 2)) * _SUPERSAMPLE
    shears = rng.uniform(-var.shear, var.shear, n)
    picks = rng.random(n)
    canvas = size * _SUPERSAMPLE
    c = canvas / 2.0
    images = np.empty((n, size, size), np.uint8)
    for i in range(n):
        options = templates[labels[i]]
        tmpl = options[int(picks[i] * len(options))]
        # inverse map: output pixel -> template pixel, about the centre
        a = np.deg2rad(angles[i])
        cos, sin, s = np.cos(a), np.sin(a), scales[i]
        m = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shears[i]], [0.0, 1.0]]) / s
        dx, dy = shifts[i]
        off = np.array([c, c]) - m @ np.array([c + dx, c + dy])
        warped = tmpl.transform(
            (canvas, canvas),
            Image.Transform.AFFINE,
            (m[0, 0], m[0, 1], off[0], m[1, 0], m[1, 1], off[1]),
            resample=Image.Resampling.BILINEAR,
        )
        images[i] = np.asarray(warped.reduce(_SUPERSAMPLE))
        if progress is not None and i % 128 == 0:  # often enough for Cancel to be quick
            progress(i, n, "rendering characters")
    if var.noise > 0 and n:
        noise = rng.normal(0.0, var.noise * 255.0, images.shape).astype(np.float32)
        images = np.clip(images.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return SyntheticSet(images[..., None], labels, angles, list(CHARSETS[charset]))


def write_image_folder(
    folder: str | os.PathLike,
    n: int,
    seed: int = 0,
    charset: str = "digits",
    size: int = 28,
    fmt: str = "png",
    variation: Variation | None = None,
    progress: ProgressReporter | None = None,
) -> list[str]:
    """Write ``n`` synthetic characters as ``folder/<class>/<index>.<fmt>``; return the paths."""
    data = generate_characters(n, seed, charset, size, variation, progress)
    root = Path(folder)
    for name in data.class_names:
        (root / name).mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (img, lab) in enumerate(zip(data.images, data.labels, strict=True)):
        path = root / data.class_names[lab] / f"{i:06d}.{fmt}"
        Image.fromarray(img[..., 0]).save(path)
        paths.append(str(path))
        if progress is not None and i % 512 == 0:
            progress(i, n, "writing images")
    return paths
