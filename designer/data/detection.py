"""Object-detection datastores: images with boxes from COCO JSON, Pascal VOC XML or YOLO labels.

A sample is ``(image, {"boxes": float32 (N, 4) x1 y1 x2 y2 in pixels, "labels": int32 (N,)})``.
Every box is checked against the size of its image file: boxes reaching outside are clipped,
empty or inverted ones dropped, and each kind of repair is listed as a problem; images without
boxes stay in the store as background images.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from designer.core.progress import ProgressReporter
from designer.data.base import DataConfig
from designer.data.detection_formats import (
    Annotations,
    Issues,
    RawRecord,
    coco_files,
    looks_like_coco,
    read_coco,
    read_voc,
    read_yolo,
    voc_folder,
)
from designer.data.imageio import load_image, majority_channels, scan_images, size_counts
from designer.data.images import _check_channels, _ImageFileStore
from designer.data.summary import DataError, DataSummary, Problem

FORMATS = ("auto", "coco", "voc", "yolo")
_FORMAT_NAMES = {"coco": "COCO", "voc": "Pascal VOC", "yolo": "YOLO"}


@dataclass(frozen=True)
class DetectionConfig(DataConfig):
    """A detection dataset: a folder (or a COCO file) in COCO, Pascal VOC or YOLO layout."""

    kind = "detection"
    path: str = ""  # the dataset folder, or a COCO annotation file
    format: str = "auto"  # auto, coco, voc or yolo
    annotations: str | None = None  # COCO: the instances JSON (None: found in path)
    images_path: str | None = None  # COCO: the folder file names are relative to (None: found)
    class_names: tuple[str, ...] | None = None  # fixes class order/subset (YOLO: the names)
    channels: int | None = None  # None: the most common channel count of the files


@dataclass(frozen=True, eq=False)
class DetectionRecord:
    """One usable image: its file, size and checked boxes (x1, y1, x2, y2 px) with classes."""

    path: str
    width: int
    height: int
    boxes: np.ndarray  # float32 (N, 4)
    labels: np.ndarray  # int32 (N,)


def _has_voc(root: Path) -> bool:
    folder = voc_folder(root)
    xmls = sorted(folder.glob("*.xml"))[:1] if folder.is_dir() else []
    if not xmls:
        return False
    try:
        with open(xmls[0], "rb") as fh:
            return b"<annotation" in fh.read(4096)
    except OSError:
        return False


def _has_yolo(root: Path) -> bool:
    if not (root / "images").is_dir() or not (root / "labels").is_dir():
        return False
    for _where, _dirs, files in os.walk(root / "labels"):
        if any(f.lower().endswith(".txt") for f in files):
            return True
    return False


def find_layout(path: str) -> tuple[str, str | None] | None:
    """``(format, COCO file or None)`` when ``path`` holds a detection dataset, else None: a
    COCO JSON (the path, in the folder or in ``annotations/``), VOC XML files (in the folder or
    ``Annotations/``), or YOLO ``images/`` with ``labels/*.txt``."""
    p = Path(path)
    if p.is_file():
        return ("coco", str(p)) if p.suffix.lower() == ".json" and looks_like_coco(p) else None
    if not p.is_dir():
        return None
    jsons = coco_files(p)
    if jsons:
        return "coco", jsons[0]
    if _has_voc(p):
        return "voc", None
    if _has_yolo(p):
        return "yolo", None
    return None


def read_annotations(config: DetectionConfig) -> Annotations:
    """The raw annotations a config points at (the format found when it is "auto")."""
    if config.format not in FORMATS:
        raise DataError(
            f"expected a detection format among {list(FORMATS)}, received '{config.format}'"
        )
    fmt, annotations = config.format, config.annotations
    notes: list[str] = []
    if fmt == "auto" or (fmt == "coco" and not annotations):
        layout = find_layout(annotations or config.path)
        if layout is None or (fmt == "coco" and layout[0] != "coco"):
            want = "a COCO JSON" if fmt == "coco" else "COCO JSON, Pascal VOC XML or YOLO labels"
            raise DataError(f"expected {want} in '{config.path}', found none")
        fmt, annotations = layout
        if fmt == "coco":
            others = [f for f in coco_files(Path(annotations or "").parent) if f != annotations]
            if others:
                notes.append(
                    f"also found {len(others)} other COCO files; choose one as annotations"
                )
    if fmt == "coco":
        found = read_coco(str(annotations), config.images_path, config.class_names)
    elif fmt == "voc":
        found = read_voc(config.path, config.class_names)
    else:
        found = read_yolo(config.path, config.class_names)
    found.notes += notes
    return found


def _clean(
    raw: RawRecord, width: int, height: int, issues: Issues
) -> tuple[np.ndarray, np.ndarray]:
    """The record's boxes in pixels: not-finite and empty ones dropped, the rest clipped."""
    boxes = np.asarray(raw.boxes, np.float64).reshape(-1, 4)
    labels = np.asarray(raw.labels, np.int32).reshape(-1)
    name = f"'{os.path.basename(raw.path)}'"
    with np.errstate(all="ignore"):  # inf - inf in a hostile file is nan: dropped below
        if raw.normalised:
            cx, cy, w, h = boxes.T
            boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
            boxes *= np.array([width, height, width, height], np.float64)
        finite = np.isfinite(boxes).all(axis=1)
        issues.add("bad-box", raw.path, name, int((~finite).sum()))
        boxes, labels = boxes[finite], labels[finite]
        empty = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
        if empty.any():
            issues.add(
                "empty-box", raw.path, f"{name} box {_fmt(boxes[empty][0])}", int(empty.sum())
            )
        boxes, labels = boxes[~empty], labels[~empty]
        limit = np.array([width, height, width, height], np.float64)
        clipped = np.clip(boxes, 0.0, limit)
        moved = (clipped != boxes).any(axis=1)
        outside = (clipped[:, 2] <= clipped[:, 0]) | (clipped[:, 3] <= clipped[:, 1])
        if (moved & ~outside).any():
            first = boxes[moved & ~outside][0]
            issues.add(
                "box-clipped",
                raw.path,
                f"{name} box {_fmt(first)} in {width}x{height}",
                int((moved & ~outside).sum()),
            )
        if outside.any():
            first = boxes[outside][0]
            issues.add(
                "box-outside",
                raw.path,
                f"{name} box {_fmt(first)} in {width}x{height}",
                int(outside.sum()),
            )
    return clipped[~outside].astype(np.float32), labels[~outside]


def _fmt(box: np.ndarray) -> str:
    return "[" + ", ".join(f"{float(v):.4g}" for v in box) + "]"


class DetectionStore(_ImageFileStore):
    """Datastore of images with boxes; ``get`` returns ``(image, {"boxes", "labels"})``."""

    config: DataConfig
    task = "detection"

    def __init__(
        self,
        config: DetectionConfig,
        progress: ProgressReporter | None = None,
        shown_as: DataConfig | None = None,
    ) -> None:
        super().__init__()
        _check_channels(config.channels)
        self.detection_config = config
        self.config = shown_as or config  # the generated kinds (shapes) show their own config
        found = read_annotations(config)
        self.format = found.format
        self.source = found.source
        self.class_names = list(found.class_names)
        self._notes = [f"format: {_FORMAT_NAMES[found.format]} ({found.source})", *found.notes]
        what = f"{_FORMAT_NAMES[found.format]} annotations in '{found.source}'"
        if not found.records:
            raise DataError(f"expected images with {what}, found none{_first(found.issues)}")
        infos, problems = scan_images([r.path for r in found.records], progress)
        self._problems += problems
        records, kept = [], []
        for raw, info in zip(found.records, infos, strict=True):
            if info is None:
                continue
            if raw.declared is not None and raw.declared != (info.width, info.height):
                found.issues.add(
                    "size-mismatch",
                    raw.path,
                    f"'{os.path.basename(raw.path)}' is {info.width}x{info.height}, the "
                    f"annotation says {raw.declared[0]}x{raw.declared[1]}",
                )
            boxes, labels = _clean(raw, info.width, info.height, found.issues)
            records.append(DetectionRecord(raw.path, info.width, info.height, boxes, labels))
            kept.append(info)
        if not records:
            raise DataError(
                f"expected readable images with {what}, but all {len(infos)} images are "
                f"unreadable (e.g. '{found.records[0].path}')"
            )
        self._records = records
        self._paths = [r.path for r in records]
        self._sizes = size_counts(kept)
        self.channels = int(config.channels) if config.channels else majority_channels(kept)
        self._problems += found.issues.problems()

    @property
    def records(self) -> list[DetectionRecord]:
        """Per usable image: path, width, height, boxes and labels."""
        return list(self._records)

    def get(self, index: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Image (uint8 H, W, C) and its boxes (float32 (N, 4) x1 y1 x2 y2 px) and labels."""
        record = self._records[index]
        image = load_image(record.path, self.channels)
        if image.shape[:2] != (record.height, record.width):
            raise DataError(
                f"image '{record.path}' is now {image.shape[1]}x{image.shape[0]}; expected "
                f"{record.width}x{record.height} as when it was scanned"
            )
        return image, {"boxes": record.boxes.copy(), "labels": record.labels.copy()}

    def describe_target(self, y: Any) -> str:
        """ "2 circle, 1 square" for a sample's boxes ("no objects" for a background image)."""
        if not isinstance(y, dict) or "labels" not in y:
            return super().describe_target(y)
        counts = Counter(int(v) for v in np.asarray(y["labels"]).reshape(-1))
        if not counts:
            return "no objects"
        return ", ".join(
            f"{n} {self.class_names[k] if 0 <= k < len(self.class_names) else k}"
            for k, n in sorted(counts.items())
        )

    def summary(self) -> DataSummary:
        """Images, boxes per class, box sizes, images per class, problems."""
        labels = np.concatenate([r.labels for r in self._records])
        boxes = np.concatenate([r.boxes.reshape(-1, 4) for r in self._records])
        per_class = Counter(labels.tolist())
        boxes_per_class = {n: per_class.get(k, 0) for k, n in enumerate(self.class_names)}
        images_per_class = Counter(k for r in self._records for k in set(r.labels.tolist()))
        sizes: dict[str, float] = {}
        if len(boxes):
            for axis, values in (
                ("width", boxes[:, 2] - boxes[:, 0]),
                ("height", boxes[:, 3] - boxes[:, 1]),
            ):
                sizes[f"min_{axis}"] = round(float(values.min()), 2)
                sizes[f"median_{axis}"] = round(float(np.median(values)), 2)
                sizes[f"max_{axis}"] = round(float(values.max()), 2)
        problems = list(self._problems)
        empty = [n for n, c in boxes_per_class.items() if c == 0]
        if len(boxes) == 0:
            problems.append(
                Problem(
                    "no-boxes",
                    f"expected boxes in {self.source}, but none of its {len(self)} images has "
                    "a usable box",
                    severity="error",
                )
            )
        elif empty:
            problems.append(
                Problem(
                    "empty-class", f"classes without boxes: {', '.join(repr(n) for n in empty[:5])}"
                )
            )
        return DataSummary(
            kind=self.config.kind,
            task=self.task,
            num_samples=len(self),
            source=self.source,
            classes=list(self.class_names),
            class_counts={n: images_per_class.get(k, 0) for k, n in enumerate(self.class_names)},
            image_sizes=dict(self._sizes),
            imbalance_warning=_imbalance(boxes_per_class),
            problems=problems,
            notes=[*self._notes, "class counts are images holding the class"],
            boxes=int(len(boxes)),
            boxes_per_class=boxes_per_class,
            box_sizes=sizes,
            background_images=sum(1 for r in self._records if len(r.labels) == 0),
        )


def _imbalance(boxes_per_class: dict[str, int], ratio: float = 10.0) -> str | None:
    counts = {n: c for n, c in boxes_per_class.items() if c > 0}
    if len(counts) < 2:
        return None
    big = max(counts, key=lambda k: counts[k])
    small = min(counts, key=lambda k: counts[k])
    if counts[big] < ratio * counts[small]:
        return None
    return (
        f"classes are imbalanced: '{big}' has {counts[big]} boxes but '{small}' has "
        f"{counts[small]}; consider more images of the rare classes"
    )


def _first(issues: Issues) -> str:
    problems = issues.problems()
    return f" ({problems[0].message})" if problems else ""
