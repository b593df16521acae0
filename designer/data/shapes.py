"""Generated shapes for object detection: circles, squares and triangles on textured grounds.

:func:`write_shapes_dataset` writes a COCO dataset (``images/*.png`` + ``annotations.json``);
the "shapes" data kind generates the same files once in the cache folder and opens them as a
:class:`~designer.data.detection.DetectionStore`, so the app can offer detection data without
any files from the user. Image ``i`` depends only on the seed and ``i`` (and the size), never
on how many images are made; every box is the tight box of its shape's pixels, and a shape
drawn later never hides more than half of an earlier one.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from designer.core.progress import ProgressReporter
from designer.data.base import DataConfig
from designer.data.detection import DetectionConfig, DetectionStore
from designer.data.summary import DataError

CLASSES = ("circle", "square", "triangle")
GENERATOR_VERSION = 1  # part of the cache folder's name: a change of drawing makes new files
_MIN_VISIBLE = 0.5  # the share of an earlier shape that must stay visible


@dataclass
class ShapesImage:
    """One generated picture, the ground it was drawn on, and its objects."""

    image: np.ndarray  # uint8 (size, size, 3)
    background: np.ndarray  # uint8 (size, size, 3): the image before any shape
    boxes: np.ndarray  # float32 (N, 4) x1 y1 x2 y2 px, tight around each shape's pixels
    labels: np.ndarray  # int32 (N,) indices into CLASSES
    areas: np.ndarray  # int64 (N,) pixels of each whole shape


def _colour(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 256, 3).astype(np.float64)


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Noise (smooth blotches and grain), a linear gradient, or stripes at a random angle."""
    kind = int(rng.integers(3))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    angle = rng.uniform(0, np.pi)
    along = xx * np.cos(angle) + yy * np.sin(angle)
    if kind == 0:
        coarse = rng.integers(0, 256, (4, 4, 3)).astype(np.uint8)
        smooth = np.asarray(
            Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC), np.float64
        )
        out = smooth * 0.7 + 40 + rng.normal(0, 18, (size, size, 3))
    elif kind == 1:
        share = (along - along.min()) / max(float(np.ptp(along)), 1.0)
        a, b = _colour(rng), _colour(rng)
        out = a * (1 - share[..., None]) + b * share[..., None] + rng.normal(0, 6, (size, size, 3))
    else:
        period = rng.uniform(6, 20) * size / 128
        bands = (np.floor(along / (period / 2)) % 2)[..., None]
        a, b = _colour(rng), _colour(rng)
        out = a * (1 - bands) + b * bands + rng.normal(0, 6, (size, size, 3))
    return np.clip(out, 0, 255).astype(np.uint8)


def _shape_mask(rng: np.random.Generator, label: int, size: int, extent: float) -> np.ndarray:
    """A bool (size, size) mask of one shape whose larger side is about ``extent`` pixels."""
    turn = rng.uniform(0, 2 * np.pi)
    if label == 0:
        points = None
    elif label == 1:
        corners = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float64) - 0.5
        points = corners @ _rotation(rng.uniform(0, np.pi / 4) if rng.random() < 0.5 else 0.0)
    else:
        angles = turn + np.array([0, 2 * np.pi / 3, 4 * np.pi / 3]) + rng.uniform(-0.3, 0.3, 3)
        points = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if points is not None:
        points = points - points.min(axis=0)
        points *= (extent - 1) / max(float(points.max()), 1e-6)
        w, h = points.max(axis=0) + 1
    else:
        w = h = extent
    x0 = rng.uniform(0, size - w)
    y0 = rng.uniform(0, size - h)
    canvas = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    if points is None:
        draw.ellipse([x0, y0, x0 + extent - 1, y0 + extent - 1], fill=255)
    else:
        draw.polygon([(float(x0 + px), float(y0 + py)) for px, py in points], fill=255)
    return np.asarray(canvas) > 0


def _rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, s], [-s, c]])


def _shape_colour(rng: np.random.Generator, ground: np.ndarray) -> np.ndarray:
    """Of a few random colours, the one farthest from (nearly) all ground pixels under the shape."""
    best, best_score = None, -1.0
    for _ in range(8):
        colour = rng.integers(0, 256, 3)
        score = float(np.percentile(np.abs(ground.astype(np.int64) - colour).sum(axis=1), 10))
        if score > best_score:
            best, best_score = colour, score
    assert best is not None
    return best.astype(np.uint8)


def render_shapes_image(
    seed: int, index: int, size: int = 128, max_objects: int = 4
) -> ShapesImage:
    """Image ``index`` of the shapes dataset of ``seed``: 1..max_objects shapes of 12 to 48 px
    (at size 128; in proportion otherwise) in random colours on a textured ground."""
    rng = np.random.default_rng([seed, index, size, GENERATOR_VERSION])
    background = _background(rng, size)
    image = background.copy()
    owner = np.full((size, size), -1, np.int64)
    masks: list[np.ndarray] = []
    labels: list[int] = []
    low, high = max(4.0, 12 * size / 128), max(6.0, 48 * size / 128)
    for _ in range(int(rng.integers(1, max_objects + 1))):
        for _try in range(30):
            label = int(rng.integers(len(CLASSES)))
            mask = _shape_mask(rng, label, size, rng.uniform(low, high))
            if not mask.any():
                continue
            hidden = [
                ((owner == j) & ~mask).sum() < _MIN_VISIBLE * m.sum() for j, m in enumerate(masks)
            ]
            if not any(hidden):
                break
        else:
            continue
        image[mask] = _shape_colour(rng, background[mask])
        owner[mask] = len(masks)
        masks.append(mask)
        labels.append(label)
    boxes = np.zeros((len(masks), 4), np.float32)
    for k, mask in enumerate(masks):
        ys, xs = np.nonzero(mask)
        boxes[k] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    areas = np.array([int(m.sum()) for m in masks], np.int64)
    return ShapesImage(image, background, boxes, np.array(labels, np.int32), areas)


def _check(images: int, size: int, max_objects: int) -> None:
    for name, value, low, high in (
        ("images", images, 1, 1_000_000),
        ("size", size, 32, 2048),
        ("max_objects", max_objects, 1, 64),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DataError(
                f"shapes dataset: expected {name} from {low} to {high}, received {value!r}"
            )


def write_shapes_dataset(
    folder: str | os.PathLike[str],
    images: int = 200,
    size: int = 128,
    seed: int = 0,
    max_objects: int = 4,
    progress: ProgressReporter | None = None,
) -> Path:
    """Write ``images`` generated pictures as ``folder/images/NNNNNN.png`` and their boxes as
    ``folder/annotations.json`` (COCO: bbox x, y, width, height; categories 1..3); return folder."""
    _check(images, size, max_objects)
    root = Path(folder)
    (root / "images").mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, object]] = []
    annotations: list[dict[str, object]] = []
    for i in range(images):
        sample = render_shapes_image(seed, i, size, max_objects)
        name = f"{i:06d}.png"
        Image.fromarray(sample.image).save(root / "images" / name)
        entries.append({"id": i + 1, "file_name": name, "width": size, "height": size})
        for box, label, area in zip(sample.boxes, sample.labels, sample.areas, strict=True):
            x1, y1, x2, y2 = (int(v) for v in box)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i + 1,
                    "category_id": int(label) + 1,
                    "bbox": [x1, y1, x2 - x1, y2 - y1],
                    "area": int(area),
                    "iscrowd": 0,
                }
            )
        if progress is not None and i % 32 == 0:
            progress(i, images, "drawing shapes")
    data = {
        "info": {
            "description": "shapes generated by Network Designer",
            "version": GENERATOR_VERSION,
            "seed": seed,
        },
        "images": entries,
        "annotations": annotations,
        "categories": [
            {"id": k + 1, "name": name, "supercategory": "shape"} for k, name in enumerate(CLASSES)
        ],
    }
    tmp = root / f".annotations.{uuid.uuid4().hex}.json"
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, root / "annotations.json")  # written last: its presence means complete
    if progress is not None:
        progress(images, images, "drawing shapes", force=True)
    return root


@dataclass(frozen=True)
class ShapesConfig(DataConfig):
    """Generated shapes (circle, square, triangle) with boxes, made once in the cache folder."""

    kind = "shapes"
    images: int = 200
    size: int = 128
    seed: int = 0
    max_objects: int = 4
    cache_dir: str | None = None  # None: $ND_CACHE_DIR, else the user's cache folder


def _cache_root() -> Path:
    """The application's cache folder (as designer.app.user_dirs finds it; data may not import app)."""
    if os.environ.get("ND_CACHE_DIR"):
        return Path(os.environ["ND_CACHE_DIR"])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "network-designer"


def shapes_folder(config: ShapesConfig) -> Path:
    """Where the dataset of ``config`` lives in the cache (one folder per set of parameters)."""
    root = Path(config.cache_dir) if config.cache_dir else _cache_root()
    name = f"v{GENERATOR_VERSION}-n{config.images}-s{config.size}-seed{config.seed}-m{config.max_objects}"
    return root / "shapes" / name


def ensure_shapes(config: ShapesConfig, progress: ProgressReporter | None = None) -> Path:
    """The cached dataset folder of ``config``, generated first when it is not there yet."""
    _check(config.images, config.size, config.max_objects)
    folder = shapes_folder(config)
    if (folder / "annotations.json").is_file():
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        if folder.exists():  # a folder left half-made by hand: made again
            shutil.rmtree(folder)
        tmp = folder.parent / f".{folder.name}.{uuid.uuid4().hex}"
        write_shapes_dataset(
            tmp, config.images, config.size, config.seed, config.max_objects, progress
        )
        try:
            os.rename(tmp, folder)
        except OSError:  # another process finished first: use its files
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        raise DataError(f"cannot write the shapes dataset to '{folder}': {exc}") from exc
    return folder


def open_shapes(config: ShapesConfig, progress: ProgressReporter | None = None) -> DetectionStore:
    """Generate (once) and open the shapes dataset of ``config`` as a detection store."""
    folder = ensure_shapes(config, progress)
    detection = DetectionConfig(
        path=str(folder), format="coco", annotations=str(folder / "annotations.json")
    )
    store = DetectionStore(detection, progress, shown_as=config)
    store.source = f"generated shapes (seed {config.seed}) in '{folder}'"
    return store
