"""COCO mean average precision with pycocotools, for boxes in pixels (no Keras: the
results of a run are read without it).

Boxes are ``xyxy`` unless told; labels are class indices from 0, and rows with a negative
label are padding (as :func:`designer.training.detector.detection_batches` makes them and as
``GraphDetector.predict`` returns them).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

MAP50, MAP = "map50", "map"


def _per_image(data: Any, score_key: str | None = None) -> list[dict[str, np.ndarray]]:
    """A list of per-image dicts (boxes (n, 4), labels (n,), scores (n,)) from a list of
    dicts or from one dict of batched arrays; padding rows (label < 0) dropped."""
    if isinstance(data, dict):
        boxes = np.asarray(data["boxes"], "float64")
        items = [
            {k: np.asarray(v)[i] for k, v in data.items() if k != "num_detections"}
            for i in range(len(boxes))
        ]
    else:
        items = list(data)
    out = []
    for item in items:
        boxes = np.asarray(item.get("boxes", []), "float64").reshape(-1, 4)
        labels = np.asarray(item.get("labels", []), "float64").reshape(-1)
        key = score_key or next((k for k in ("confidence", "scores") if k in item), None)
        scores = np.asarray(item[key], "float64").reshape(-1) if key else np.ones(len(labels))
        keep = labels >= 0
        out.append(
            {"boxes": boxes[keep], "labels": labels[keep].astype(int), "scores": scores[keep]}
        )
    return out


def _to_xywh(boxes: np.ndarray, box_format: str) -> np.ndarray:
    if box_format == "xyxy":
        x1, y1, x2, y2 = boxes.T
    elif box_format == "yxyx":
        y1, x1, y2, x2 = boxes.T
    elif box_format == "xywh":
        return boxes.copy()
    else:
        raise ValueError(f"box_format expects 'xyxy', 'yxyx' or 'xywh'; received {box_format!r}")
    return np.stack([x1, y1, x2 - x1, y2 - y1], axis=-1)


def coco_map(
    ground_truth: Any,
    predictions: Any,
    class_names: Sequence[str] | int,
    box_format: str = "xyxy",
) -> dict[str, float]:
    """COCO box mAP: ``{"map50": AP at IoU 0.5, "map": AP averaged over IoU 0.5:0.95}``.

    ``ground_truth`` and ``predictions``: one entry per image, each a dict with ``boxes`` and
    ``labels`` (predictions also ``confidence`` or ``scores``), or one dict of batched arrays
    (GraphDetector.predict's output). With no ground-truth box at all, both are 0.
    """
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    names = [str(i) for i in range(class_names)] if isinstance(class_names, int) else class_names
    truth, found = _per_image(ground_truth), _per_image(predictions)
    if len(truth) != len(found):
        raise ValueError(
            f"coco_map expects predictions for each of the {len(truth)} images; received "
            f"{len(found)}"
        )
    images: list[dict] = []
    annotations: list[dict] = []
    detections: list[dict] = []
    for image_id, (gt, pred) in enumerate(zip(truth, found, strict=True), start=1):
        images.append({"id": image_id})
        for box, label in zip(_to_xywh(gt["boxes"], box_format), gt["labels"], strict=True):
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": int(label) + 1,
                    "bbox": [float(v) for v in box],
                    "area": float(max(box[2], 0.0) * max(box[3], 0.0)),
                    "iscrowd": 0,
                }
            )
        for box, label, score in zip(
            _to_xywh(pred["boxes"], box_format), pred["labels"], pred["scores"], strict=True
        ):
            detections.append(
                {
                    "image_id": image_id,
                    "category_id": int(label) + 1,
                    "bbox": [float(v) for v in box],
                    "score": float(score),
                }
            )
    if not annotations or not detections:
        return {MAP50: 0.0, MAP: 0.0}
    categories = [{"id": i + 1, "name": str(n)} for i, n in enumerate(names)]
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        coco = COCO()
        coco.dataset = {"images": images, "annotations": annotations, "categories": categories}
        coco.createIndex()
        results = coco.loadRes(detections)
        evaluator = COCOeval(coco, results, "bbox")
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    stats = evaluator.stats
    return {MAP50: max(float(stats[1]), 0.0), MAP: max(float(stats[0]), 0.0)}


def predict_all(model: Any, data: Any) -> tuple[list[dict], list[dict]]:
    """Ground truth and the detector's predictions, per image, for ``data``: an iterable of
    (images, {"boxes", "labels"}) batches (a tf.data.Dataset), or one such pair of arrays."""
    batches: Iterable[Any]
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[1], dict):
        batches = [data]
    else:
        batches = data
    truth: list[dict] = []
    found: list[dict] = []
    for x, y in batches:
        pred = model.predict_on_batch(x)
        truth += _per_image({"boxes": np.asarray(y["boxes"]), "labels": np.asarray(y["labels"])})
        found += _per_image({k: np.asarray(v) for k, v in pred.items()})
    return truth, found
