"""Boxes drawn on images, a colour per class: for ``detect``'s pictures, the detection
results and the data previews (Pillow; the GUI shows the same pixels)."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from designer.data.fonts import find_fonts
from designer.data.segmentation import default_colormap

MISSED = (255, 255, 255)  # a ground-truth box that no detection found: white, dashed
MIN_LABELLED_SIDE = 96  # pixels: smaller pictures get boxes without their class names


def class_colours(num_classes: int) -> list[tuple[int, int, int]]:
    """A distinct, visible RGB colour per class (the segmentation palette without black)."""
    return default_colormap(num_classes + 1)[1:]


@functools.cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    fonts = sorted(find_fonts(), key=lambda path: ("Sans" not in path, "Bold" in path, path))
    if fonts:  # a plain sans-serif face reads best at small sizes
        return ImageFont.truetype(fonts[0], size)
    return ImageFont.load_default()


def draw_boxes(
    image: np.ndarray,
    boxes: np.ndarray,
    labels: Sequence[int] | np.ndarray,
    class_names: Sequence[str],
    scores: Sequence[float] | np.ndarray | None = None,
    dashed: Sequence[bool] | None = None,
    width: int | None = None,
) -> np.ndarray:
    """``image`` (uint8 HxW or HxWxC) with xyxy pixel ``boxes`` drawn in their class colours,
    each labelled with its class name (and score); ``dashed`` marks boxes drawn dashed in
    white (ground truth a detector missed). Returns a new uint8 RGB array."""
    picture = Image.fromarray(_rgb(image))
    draw = ImageDraw.Draw(picture)
    colours = class_colours(max(len(class_names), 1))
    side = max(picture.size)
    line = width or max(1, round(side / 160))
    font = _font(max(9, round(side / 32)))
    for i, (box, label) in enumerate(zip(np.asarray(boxes).reshape(-1, 4), labels, strict=True)):
        label = int(label)
        x1, y1, x2, y2 = (float(v) for v in box)
        if label < 0 or x2 <= x1 or y2 <= y1:
            continue
        name = class_names[label] if label < len(class_names) else f"class {label}"
        missed = bool(dashed[i]) if dashed is not None else False
        colour = MISSED if missed else colours[label % len(colours)]
        if missed:
            _dashed_rectangle(draw, (x1, y1, x2, y2), colour, line)
        else:
            draw.rectangle((x1, y1, x2, y2), outline=colour, width=line)
        if side < MIN_LABELLED_SIDE:  # a thumbnail: the colour says the class
            continue
        text = name if scores is None else f"{name} {float(scores[i]):.2f}"
        left, top, right, bottom = draw.textbbox((x1, y1), text, font=font)
        lift = bottom - top + 2
        y = y1 - lift if y1 - lift >= 0 else y1
        draw.rectangle((x1, y, x1 + right - left + 4, y + lift), fill=colour)
        draw.text((x1 + 2, y + 1 - (top - y1)), text, fill=_ink(colour), font=font)
    return np.asarray(picture)


def _rgb(image: np.ndarray) -> np.ndarray:
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    return np.ascontiguousarray(arr[..., :3])


def _ink(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white text, whichever reads on ``colour``."""
    r, g, b = colour
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


def _dashed_rectangle(
    draw: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    colour: tuple[int, int, int],
    width: int,
    dash: float = 4.0,
) -> None:
    x1, y1, x2, y2 = box
    for (ax, ay), (bx, by) in (
        ((x1, y1), (x2, y1)),
        ((x2, y1), (x2, y2)),
        ((x2, y2), (x1, y2)),
        ((x1, y2), (x1, y1)),
    ):
        length = max(abs(bx - ax), abs(by - ay))
        steps = max(1, int(length // (2 * dash)))
        for k in range(steps + 1):
            t0, t1 = (
                min(2 * k * dash / max(length, 1e-6), 1.0),
                min((2 * k + 1) * dash / max(length, 1e-6), 1.0),
            )
            if t0 >= 1.0:
                break
            draw.line(
                (
                    ax + (bx - ax) * t0,
                    ay + (by - ay) * t0,
                    ax + (bx - ax) * t1,
                    ay + (by - ay) * t1,
                ),
                fill=colour,
                width=width,
            )
