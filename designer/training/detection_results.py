"""What a trained detector got right and wrong on the validation images: COCO mAP overall
and per class, and per image the objects it missed and the detections that match no object
(false detections), worst images first. No Qt, no Keras (the predictions come in as arrays).

A detection found an object when it has the object's class, a score of at least
``score_threshold`` and an IoU of at least ``iou_threshold`` with it; each object is found by
one detection at most (the best-scoring first, as COCO matches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from designer.training.coco_eval import MAP, MAP50, coco_map

SCORE_THRESHOLD = 0.5
IOU_THRESHOLD = 0.5


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every xyxy box of ``a`` (n, 4) with every one of ``b`` (m, 4): (n, m)."""
    a = np.asarray(a, "float64").reshape(-1, 4)
    b = np.asarray(b, "float64").reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


@dataclass
class ImageDetections:
    """One validation image: its objects, the detections kept, and which are errors."""

    index: int  # position in the validation data
    truth_boxes: np.ndarray  # (n, 4) xyxy pixels of the network's input
    truth_labels: np.ndarray  # (n,)
    boxes: np.ndarray  # (m, 4) detections with score >= the threshold
    labels: np.ndarray  # (m,)
    scores: np.ndarray  # (m,)
    missed: list[int] = field(default_factory=list)  # rows of truth nobody found
    false: list[int] = field(default_factory=list)  # rows of the detections that found nothing
    image: np.ndarray | None = None  # uint8 pixels as the network saw them, when attached

    @property
    def errors(self) -> int:
        """Missed objects plus false detections."""
        return len(self.missed) + len(self.false)


def match_image(
    index: int,
    truth: dict[str, np.ndarray],
    found: dict[str, np.ndarray],
    score_threshold: float = SCORE_THRESHOLD,
    iou_threshold: float = IOU_THRESHOLD,
) -> ImageDetections:
    """Match one image's detections (score >= ``score_threshold``) to its objects."""
    keep = np.asarray(found["scores"]) >= score_threshold
    order = np.argsort(-np.asarray(found["scores"])[keep], kind="stable")
    boxes = np.asarray(found["boxes"], "float32").reshape(-1, 4)[keep][order]
    labels = np.asarray(found["labels"]).astype(int)[keep][order]
    scores = np.asarray(found["scores"], "float32")[keep][order]
    t_boxes = np.asarray(truth["boxes"], "float32").reshape(-1, 4)
    t_labels = np.asarray(truth["labels"]).astype(int)
    iou = box_iou(boxes, t_boxes)
    taken = np.zeros(len(t_boxes), bool)
    false = []
    for i in range(len(boxes)):
        candidates = np.where((t_labels == labels[i]) & ~taken & (iou[i] >= iou_threshold))[0]
        if len(candidates):
            taken[candidates[np.argmax(iou[i, candidates])]] = True
        else:
            false.append(i)
    missed = [int(j) for j in np.where(~taken)[0]]
    return ImageDetections(index, t_boxes, t_labels, boxes, labels, scores, missed, false)


@dataclass
class DetectionResult:
    """mAP on the validation data, per class, and every image's errors (worst first)."""

    class_names: list[str]
    map50: float
    map: float
    per_class_ap50: dict[str, float]
    images: list[ImageDetections]  # most errors first, then by position
    score_threshold: float = SCORE_THRESHOLD

    @property
    def missed(self) -> int:
        """Objects missed in all images."""
        return sum(len(im.missed) for im in self.images)

    @property
    def false_detections(self) -> int:
        """Detections that match no object, in all images."""
        return sum(len(im.false) for im in self.images)

    @property
    def objects(self) -> int:
        """Objects in all images."""
        return sum(len(im.truth_labels) for im in self.images)

    def to_dict(self) -> dict[str, Any]:
        """The summary kept in the project's results (no boxes, no pixels)."""
        return {
            "class_names": list(self.class_names),
            "map50": self.map50,
            "map": self.map,
            "per_class_ap50": dict(self.per_class_ap50),
            "images": len(self.images),
            "objects": self.objects,
            "missed": self.missed,
            "false_detections": self.false_detections,
            "score_threshold": self.score_threshold,
        }


def detection_results(
    truth: Sequence[dict[str, np.ndarray]],
    found: Sequence[dict[str, np.ndarray]],
    class_names: Sequence[str],
    score_threshold: float = SCORE_THRESHOLD,
) -> DetectionResult:
    """The result of per-image ground truth and detections (as ``predict_all`` gives them)."""
    names = [str(n) for n in class_names]
    overall = coco_map(truth, found, names)
    per_class = {}
    for c, name in enumerate(names):
        only_truth = [_only(t, c) for t in truth]
        if not any(len(t["labels"]) for t in only_truth):
            continue
        per_class[name] = coco_map(only_truth, [_only(f, c) for f in found], names)[MAP50]
    images = [
        match_image(i, t, f, score_threshold)
        for i, (t, f) in enumerate(zip(truth, found, strict=True))
    ]
    images.sort(key=lambda im: (-im.errors, im.index))
    return DetectionResult(names, overall[MAP50], overall[MAP], per_class, images, score_threshold)


def _only(item: dict[str, np.ndarray], label: int) -> dict[str, np.ndarray]:
    keep = np.asarray(item["labels"]).astype(int) == label
    return {
        k: np.asarray(v)[keep] if len(np.asarray(v)) == len(keep) else v for k, v in item.items()
    }
