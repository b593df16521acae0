"""Synthetic glyph images (digits, letters) rendered with Pillow from the DejaVu fonts.

A tiny, self-contained data generator so that the bundled digits network can be trained,
tested and used for transfer learning (digits -> letters) without any download.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

DIGITS = "0123456789"
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
FONT_FILES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSansCondensed.ttf",
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSerifCondensed.ttf",
)


def find_fonts() -> list[Path]:
    """Paths of the DejaVu fonts found on this machine (empty when none are installed)."""
    found = []
    for folder in FONT_DIRS:
        for name in FONT_FILES:
            if (folder / name).is_file():
                found.append(folder / name)
        if found:
            break
    return found


def _font(path: Path, size: int, cache: dict) -> ImageFont.FreeTypeFont:
    key = (path, size)
    if key not in cache:
        cache[key] = ImageFont.truetype(str(path), size)
    return cache[key]


def render_glyph(
    char: str,
    font_path: Path,
    rng: np.random.Generator,
    size: int = 28,
    max_rotation: float = 15.0,
    noise: float = 0.05,
    font_cache: dict | None = None,
) -> tuple[np.ndarray, float]:
    """One glyph as a (size, size) float32 image in [0, 1] (white on black) and its rotation."""
    cache = {} if font_cache is None else font_cache
    canvas = size * 2
    font = _font(font_path, int(canvas * rng.uniform(0.55, 0.8)), cache)
    img = Image.new("L", (canvas, canvas), 0)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = draw.textbbox((0, 0), char, font=font)
    x = (canvas - (right - left)) / 2 - left
    y = (canvas - (bottom - top)) / 2 - top
    draw.text((x, y), char, fill=255, font=font)
    angle = float(rng.uniform(-max_rotation, max_rotation))
    img = img.rotate(angle, resample=Image.BILINEAR)
    # Crop a square around the glyph with a random margin (scale) and offset (shift).
    box = img.getbbox() or (0, 0, canvas, canvas)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    extent = max(box[2] - box[0], box[3] - box[1]) * rng.uniform(1.2, 1.6)
    cx += rng.uniform(-0.1, 0.1) * extent
    cy += rng.uniform(-0.1, 0.1) * extent
    half = extent / 2
    img = img.crop((int(cx - half), int(cy - half), int(cx + half), int(cy + half)))
    img = img.resize((size, size), Image.BILINEAR)
    arr = np.asarray(img, dtype=np.float32) / 255.0
    if noise > 0:
        arr = arr + rng.normal(0.0, noise, arr.shape).astype(np.float32)
    return np.clip(arr, 0.0, 1.0), angle


def render_dataset(
    chars: str = DIGITS,
    per_char: int = 100,
    seed: int = 0,
    size: int = 28,
    max_rotation: float = 15.0,
    noise: float = 0.05,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images (N, size, size, 1), integer labels (index into ``chars``) and rotation angles."""
    fonts = find_fonts()
    if not fonts:
        raise FileNotFoundError(
            f"expected DejaVu fonts in one of {[str(d) for d in FONT_DIRS]}; found none "
            "(install fonts-dejavu-core)"
        )
    rng = np.random.default_rng(seed)
    cache: dict = {}
    n = len(chars) * per_char
    images = np.empty((n, size, size, 1), dtype=np.float32)
    labels = np.empty(n, dtype=np.int64)
    angles = np.empty(n, dtype=np.float32)
    i = 0
    for _ in range(per_char):
        for label, char in enumerate(chars):
            font = fonts[int(rng.integers(len(fonts)))]
            img, angle = render_glyph(char, font, rng, size, max_rotation, noise, cache)
            images[i, :, :, 0], labels[i], angles[i] = img, label, angle
            i += 1
    order = rng.permutation(n)
    return images[order], labels[order], angles[order]
