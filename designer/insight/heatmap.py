"""Heat maps as pictures: a colour map, the overlay on the image, a colour bar, a PNG. No Qt.

Everything works on NumPy arrays and Pillow images, so the CLI writes the same picture the
GUI shows (the GUI turns the Pillow image into a pixmap).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Control points (position, red, green, blue) of the colour maps, interpolated to 256 steps.
_POINTS = {
    # OpenCV's COLORMAP_JET, the usual Grad-CAM colours: blue (cold) to red (hot).
    "jet": [
        (0.0, 0, 0, 128),
        (0.125, 0, 0, 255),
        (0.375, 0, 255, 255),
        (0.625, 255, 255, 0),
        (0.875, 255, 0, 0),
        (1.0, 128, 0, 0),
    ],
    # Matplotlib's inferno (perceptually uniform, readable in grey), sampled.
    "inferno": [
        (0.0, 0, 0, 4),
        (0.25, 87, 16, 110),
        (0.5, 188, 55, 84),
        (0.75, 249, 142, 9),
        (1.0, 252, 255, 164),
    ],
    "gray": [(0.0, 0, 0, 0), (1.0, 255, 255, 255)],
}
COLORMAPS = tuple(_POINTS)
BAR_WIDTH = 16  # pixels of the colour bar strip


def colormap_table(name: str = "jet") -> np.ndarray:
    """The colour map ``name`` (one of COLORMAPS) as a (256, 3) uint8 table."""
    if name not in _POINTS:
        raise ValueError(f"expected a colour map among {COLORMAPS}, received '{name}'")
    points = np.asarray(_POINTS[name], np.float64)
    steps = np.linspace(0.0, 1.0, 256)
    channels = [np.interp(steps, points[:, 0], points[:, k]) for k in (1, 2, 3)]
    return np.clip(np.stack(channels, axis=-1) + 0.5, 0, 255).astype(np.uint8)


def colorize(heat: np.ndarray, colormap: str = "jet") -> np.ndarray:
    """A heat map (H, W) with values in [0, 1] as colours, uint8 (H, W, 3)."""
    table = colormap_table(colormap)
    values = np.nan_to_num(np.clip(np.asarray(heat, np.float64), 0.0, 1.0))
    return table[np.round(values * 255).astype(np.int64)]


def to_rgb(image: np.ndarray) -> np.ndarray:
    """Any image array (H, W), (H, W, 1|3|4), uint8 or float, as uint8 RGB for display: floats
    in [0, 1] are scaled by 255, other float ranges are stretched to 0..255."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"expected an image shaped (H, W, channels), received {arr.shape}")
    arr = arr[..., :1] if arr.shape[-1] == 2 else arr[..., :3]
    if arr.dtype != np.uint8:
        values = np.nan_to_num(arr.astype(np.float64))
        low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
        if low >= 0.0 and high <= 1.0:
            values = values * 255.0
        elif low < 0.0 or high > 255.0:
            values = (values - low) * (255.0 / max(high - low, 1e-12))
        arr = np.clip(values + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(arr, 3, axis=-1) if arr.shape[-1] == 1 else arr


def _resize(arr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a uint8 RGB image or a float (H, W) map to ``size`` (height, width)."""
    if arr.shape[:2] == tuple(size):
        return arr
    height, width = size
    if arr.dtype == np.uint8:
        pil = Image.fromarray(arr).resize((width, height), Image.Resampling.BILINEAR)
        return np.asarray(pil)
    pil = Image.fromarray(np.ascontiguousarray(arr, np.float32))
    return np.asarray(pil.resize((width, height), Image.Resampling.BILINEAR))


def overlay(
    image: np.ndarray, heat: np.ndarray, alpha: float = 0.5, colormap: str = "jet"
) -> np.ndarray:
    """The image with the coloured heat map blended over it, uint8 RGB at the image's size
    (the heat map is resized to it when the sizes differ)."""
    rgb = to_rgb(image).astype(np.float64)
    heat = _resize(np.asarray(heat, np.float32), rgb.shape[:2])
    colours = colorize(heat, colormap).astype(np.float64)
    alpha = float(np.clip(alpha, 0.0, 1.0))
    return np.clip(rgb * (1 - alpha) + colours * alpha + 0.5, 0, 255).astype(np.uint8)


def colorbar(height: int, width: int = BAR_WIDTH, colormap: str = "jet") -> np.ndarray:
    """A vertical colour bar, hot (1) at the top and cold (0) at the bottom, uint8 RGB."""
    values = np.linspace(1.0, 0.0, max(height, 2))[:, None].repeat(width, axis=1)
    return colorize(values, colormap)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (OSError, TypeError):  # Pillow without FreeType: its small bitmap font
        return ImageFont.load_default()


def render(
    image: np.ndarray,
    heat: np.ndarray,
    title: str | None = None,
    alpha: float = 0.5,
    colormap: str = "jet",
    min_size: int = 256,
) -> Image.Image:
    """The picture of an explanation: the overlay (enlarged so that its shorter side has at
    least ``min_size`` pixels), a colour bar labelled 0 to 1 on its right, ``title`` above."""
    shown = overlay(image, heat, alpha, colormap)
    height, width = shown.shape[:2]
    scale = max(1.0, min_size / max(1, min(height, width)))
    size = (round(height * scale), round(width * scale))
    if scale > 1.0:  # enlarge image and heat map apart: a blend of enlarged parts is smoother
        big = _resize(to_rgb(image), size)
        shown = overlay(big, _resize(np.asarray(heat, np.float32), size), alpha, colormap)
    height, width = shown.shape[:2]
    font = _font(max(11, min(18, height // 22)))
    line = int(font.getbbox("Ag")[3]) + 6
    top = line + 4 if title else 6
    labels = ("1.0", "0.5", "0.0")
    label_width = max(int(font.getlength(t)) for t in labels) + 8
    title_width = int(font.getlength(title)) + 6 if title else 0
    canvas_width = max(width + 12 + BAR_WIDTH + label_width, title_width)
    canvas = Image.new("RGB", (canvas_width, height + top + 6), "white")
    canvas.paste(Image.fromarray(shown), (0, top))
    bar_left = width + 8
    canvas.paste(Image.fromarray(colorbar(height, BAR_WIDTH, colormap)), (bar_left, top))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((bar_left - 1, top - 1, bar_left + BAR_WIDTH, top + height), outline="black")
    for k, text in enumerate(labels):
        y = top + round(k * (height - 1) / 2)
        draw.line((bar_left + BAR_WIDTH, y, bar_left + BAR_WIDTH + 3, y), fill="black")
        draw.text((bar_left + BAR_WIDTH + 5, y), text, fill="black", font=font, anchor="lm")
    if title:
        draw.text((2, 2), title, fill="black", font=font)
    return canvas


def save_png(
    path: str | os.PathLike[str],
    image: np.ndarray,
    heat: np.ndarray,
    title: str | None = None,
    alpha: float = 0.5,
    colormap: str = "jet",
) -> Path:
    """Write :func:`render`'s picture to ``path`` as PNG (through a temporary file, so that a
    failed write leaves no half picture); returns the path."""
    path = Path(path)
    picture = render(image, heat, title, alpha, colormap)
    partial = path.with_name(f".{path.name}.partial")
    try:
        picture.save(partial, format="PNG")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path
