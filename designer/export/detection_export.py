"""Exporting a detector: the raw network, plus its decoding and non-max suppression. No Qt.

A detector is a GraphDetector (designer.training.detector), known here by what it has
(``network``, ``spec``, ``decode_predictions``): export does not import training.

- SavedModel: ``serving_default`` gives the raw outputs (checked like any export); a second
  signature ``detect`` takes ``images`` and gives ``boxes``, ``scores``, ``labels`` and
  ``num_detections`` (padding rows -1) from the detector's own decode_predictions.
- ONNX: the raw outputs (box deltas, class logits) and two files beside the model,
  ``<name>.anchors.npy`` and ``<name>.detector.json`` (the DetectorSpec); the decoding is
  the separate numpy step :func:`decode_numpy`.

Both are checked against the detector's own decoding (its predict step, run eagerly) on
the export's random batch (the detector's NMS is graph-safe: designer.training.detector's
``graph_safe_nms``).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from designer.export.report import ExportError
from designer.export.signature import (
    input_names,
    input_specs,
    model_input,
    output_names,
    random_batch,
)

BOX_OUTPUT, CLASS_OUTPUT = "bbox_regression", "cls_logits"  # as designer.training's
DETECT_KEY = "detect"
FORMATS = ("savedmodel", "onnx")  # the formats that get decoding (a signature or sidecars)
ANCHORS_SUFFIX, SPEC_SUFFIX = ".anchors.npy", ".detector.json"
BOX_RTOL = 1e-3  # box tolerance, relative to the largest box coordinate (at least 1 px)
SCORE_ATOL = 1e-4
SAVEDMODEL_NOTE = (
    f"SavedModel signature {DETECT_KEY!r} includes decoding and non-max suppression "
    "(images -> boxes, scores, labels, num_detections); serving_default gives the raw outputs"
)
ONNX_NOTE = (
    "ONNX outputs raw box deltas and class logits; decode with "
    "designer.export.detection_export.decode_numpy and the .anchors.npy/.detector.json files"
)


# --------------------------------------------------------------------------- the numpy step
# Numpy only from here to the next rule: copy these functions to decode without the designer.
_MAX_LOG_SCALE = math.log(1000.0 / 16)  # the clamp of the size deltas before exp
_IOU_EPSILON = 1e-8  # KerasHub adds it to the union


def _setting(spec: Any, name: str) -> Any:
    """A detector setting from a DetectorSpec or its dict (the .detector.json file)."""
    return spec[name] if isinstance(spec, dict) else getattr(spec, name)


def to_xyxy(boxes: np.ndarray, fmt: str) -> np.ndarray:
    """Boxes (..., 4) in pixel format ``fmt`` as xyxy."""
    a, b, c, d = np.moveaxis(boxes, -1, 0)
    if fmt == "xyxy":
        parts = (a, b, c, d)
    elif fmt == "yxyx":
        parts = (b, a, d, c)
    elif fmt == "xywh":
        parts = (a, b, a + c, b + d)
    elif fmt == "center_xywh":
        parts = (a - c / 2, b - d / 2, a + c / 2, b + d / 2)
    elif fmt == "center_yxhw":
        parts = (b - d / 2, a - c / 2, b + d / 2, a + c / 2)
    else:
        raise ValueError(f"unknown box format {fmt!r}")
    return np.stack(parts, axis=-1)


def from_xyxy(boxes: np.ndarray, fmt: str) -> np.ndarray:
    """xyxy boxes (..., 4) in pixel format ``fmt``."""
    x1, y1, x2, y2 = np.moveaxis(boxes, -1, 0)
    w, h = x2 - x1, y2 - y1
    parts = {
        "xyxy": (x1, y1, x2, y2),
        "yxyx": (y1, x1, y2, x2),
        "xywh": (x1, y1, w, h),
        "center_xywh": (x1 + w / 2, y1 + h / 2, w, h),
        "center_yxhw": (y1 + h / 2, x1 + w / 2, h, w),
    }
    if fmt not in parts:
        raise ValueError(f"unknown box format {fmt!r}")
    return np.stack(parts[fmt], axis=-1)


def decode_boxes(box_deltas: np.ndarray, anchors: np.ndarray, spec: Any) -> np.ndarray:
    """Box deltas (batch, anchors, 4) -> boxes in the spec's format, in input pixels."""
    fmt = _setting(spec, "bounding_box_format")
    height, width = _setting(spec, "image_size")
    deltas = np.asarray(box_deltas, np.float32) * np.asarray(_setting(spec, "box_variance"), "f4")
    deltas[..., 2:] = np.minimum(deltas[..., 2:], np.float32(_MAX_LOG_SCALE))
    corners = to_xyxy(np.asarray(anchors, np.float32), fmt)
    size = corners[..., 2:] - corners[..., :2]
    centre = corners[..., :2] + size / 2
    xy = deltas[..., :2] * size + centre
    wh = np.exp(deltas[..., 2:]) * size
    boxes = from_xyxy(np.concatenate([xy - wh / 2, xy + wh / 2], axis=-1), fmt)
    if fmt in ("xyxy", "yxyx"):  # kept inside the image, as the detector does
        limits = [width, height] * 2 if fmt == "xyxy" else [height, width] * 2
        boxes = np.clip(boxes, 0.0, np.asarray(limits, np.float32))
    return boxes.astype(np.float32)


def box_iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of one yxyx box with each of ``others`` (n, 4), as KerasHub computes it."""
    top, left = np.maximum(box[:2], others[:, :2]).T
    bottom, right = np.minimum(box[2:], others[:, 2:]).T
    inter = np.maximum(right - left, 0) * np.maximum(bottom - top, 0)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / (area + areas - inter + np.float32(_IOU_EPSILON))


def nms_indices(
    boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, score_threshold: float, limit: int
) -> np.ndarray:
    """Greedy non-max suppression over all classes at once, as KerasHub's: boxes (n, 4)
    yxyx with score > ``score_threshold``, best first; a box goes when its IoU with a kept
    box is >= ``iou_threshold``; a box counts only if a coordinate is > 0; at most ``limit``."""
    order = np.argsort(scores, kind="stable")[::-1]  # ties: the later anchor first
    order = order[scores[order] > score_threshold]
    kept: list[int] = []
    found: list[int] = []
    for i in order:
        if len(found) == limit:
            break
        if kept and np.any(box_iou(boxes[i], boxes[kept]) >= iou_threshold):
            continue
        kept.append(int(i))
        if np.any(boxes[i] > 0):
            found.append(int(i))
    return np.asarray(found, dtype=np.int64)


def decode_numpy(
    box_deltas: np.ndarray, cls_logits: np.ndarray, anchors: np.ndarray, spec: Any
) -> list[dict[str, np.ndarray]]:
    """Raw detector outputs -> per image ``{"boxes" (n, 4), "scores" (n,), "labels" (n,)}``,
    best first, as the detector's predict step gives them: boxes in input pixels in the
    spec's ``bounding_box_format`` (xyxy unless set otherwise), score the highest class
    probability, label its class, one NMS over all classes. ``spec``: a DetectorSpec or the
    dict of its .detector.json file."""
    fmt = _setting(spec, "bounding_box_format")
    boxes = decode_boxes(box_deltas, anchors, spec)
    probs = np.exp(-np.logaddexp(0.0, -np.asarray(cls_logits, np.float32)))  # sigmoid
    results = []
    for image_boxes, image_probs in zip(boxes, probs, strict=True):
        yxyx = from_xyxy(to_xyxy(image_boxes, fmt), "yxyx")
        scores = image_probs.max(axis=-1)
        keep = nms_indices(
            yxyx,
            scores,
            float(_setting(spec, "iou_threshold")),
            float(_setting(spec, "score_threshold")),
            int(_setting(spec, "max_detections")),
        )
        results.append(
            {
                "boxes": image_boxes[keep].reshape(-1, 4),
                "scores": scores[keep],
                "labels": image_probs[keep].argmax(axis=-1).astype(np.int64),
            }
        )
    return results


# --------------------------------------------------------------------------- anchors, files
def anchors_array(spec: Any) -> np.ndarray:
    """The detector's anchors (anchors, 4) in its box format: KerasHub's AnchorGenerator on
    the spec's image size, levels P{min}..P{max} one after the other, as GraphDetector."""
    import keras_hub

    height, width = _setting(spec, "image_size")
    generator = keras_hub.layers.AnchorGenerator(
        _setting(spec, "bounding_box_format"),
        min_level=_setting(spec, "min_level"),
        max_level=_setting(spec, "max_level"),
        num_scales=_setting(spec, "num_scales"),
        aspect_ratios=list(_setting(spec, "aspect_ratios")),
        anchor_size=_setting(spec, "anchor_size"),
    )
    levels = generator(np.zeros((1, int(height), int(width), 3), np.float32))
    parts = [keras.ops.convert_to_numpy(a) for a in levels.values()]
    return np.concatenate(parts, axis=0).astype(np.float32)


def is_detector(model: Any) -> bool:
    """True for a GraphDetector (a model with a network, a spec and decode_predictions)."""
    return (
        isinstance(model, keras.Model)
        and isinstance(getattr(model, "network", None), keras.Model)
        and hasattr(model, "spec")
        and callable(getattr(model, "decode_predictions", None))
    )


def sidecar_paths(path: Path) -> tuple[Path, Path]:
    """``<name>.anchors.npy`` and ``<name>.detector.json`` beside ``path`` (``<name>.onnx``)."""
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return path.with_name(stem + ANCHORS_SUFFIX), path.with_name(stem + SPEC_SUFFIX)


def write_sidecars(detector: Any, path: Path) -> None:
    """Write the anchors and the detector settings beside ``path``."""
    anchors_file, spec_file = sidecar_paths(path)
    np.save(anchors_file, anchors_array(detector.spec))
    spec_file.write_text(json.dumps(detector.spec.to_dict(), indent=2) + "\n", encoding="utf-8")


def _split_outputs(names: list[str], outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(box deltas, class logits) among the raw outputs, by name (else in that order)."""
    pairs = dict(zip(names, outputs, strict=True))
    if BOX_OUTPUT in pairs and CLASS_OUTPUT in pairs:
        return pairs[BOX_OUTPUT], pairs[CLASS_OUTPUT]
    return outputs[0], outputs[1]


# --------------------------------------------------------------------------- SavedModel
def detect_outputs(detector: Any, images: tf.Tensor) -> dict[str, tf.Tensor]:
    """The ``detect`` signature: the detector's decoding and NMS (padding rows: -1)."""
    found = detector.decode_predictions(detector.network(images, training=False), images)
    return {
        "boxes": found["boxes"],
        "scores": found["confidence"],
        "labels": found["labels"],
        "num_detections": found["num_detections"],
    }


def write_savedmodel(detector: Any, path: Path) -> list[str]:
    """A SavedModel with the raw ``serving_default`` and the decoding ``detect`` signature."""
    network = detector.network
    specs = input_specs(network)
    names = output_names(network)
    image_spec = tf.TensorSpec(specs[0].shape, specs[0].dtype, name="images")

    def serve(*xs: tf.Tensor) -> dict[str, tf.Tensor]:
        outs = keras.tree.flatten(network(model_input(network, list(xs)), training=False))
        return dict(zip(names, outs, strict=True))

    def detect(images: tf.Tensor) -> dict[str, tf.Tensor]:
        return detect_outputs(detector, images)

    archive = keras.export.ExportArchive()
    archive.track(network)
    archive.add_endpoint("serve", serve, input_signature=specs)  # first: serving_default
    archive.add_endpoint(DETECT_KEY, detect, input_signature=[image_spec])
    with contextlib.redirect_stdout(io.StringIO()):  # write_out prints a summary otherwise
        archive.write_out(str(path), verbose=False)
    return [SAVEDMODEL_NOTE]


def run_detect(path: Path, images: np.ndarray) -> list[dict[str, np.ndarray]]:
    """Load the SavedModel and run its ``detect`` signature: per image boxes/scores/labels."""
    loaded = tf.saved_model.load(str(path))
    if DETECT_KEY not in loaded.signatures:
        raise ExportError(
            f"Expected a {DETECT_KEY!r} signature in the SavedModel, "
            f"but it has {sorted(loaded.signatures)}."
        )
    found = loaded.signatures[DETECT_KEY](images=tf.constant(images))
    return unpad({k: v.numpy() for k, v in found.items()}, score_key="scores")


def unpad(found: dict[str, np.ndarray], score_key: str = "confidence") -> list[dict[str, Any]]:
    """Padded detections (batch, max_detections, ...) -> per image dicts of n rows."""
    counts = np.asarray(found["num_detections"]).reshape(-1)
    return [
        {
            "boxes": np.asarray(found["boxes"][i][:n], np.float32).reshape(-1, 4),
            "scores": np.asarray(found[score_key][i][:n], np.float32),
            "labels": np.asarray(found["labels"][i][:n]).astype(np.int64),
        }
        for i, n in enumerate(int(c) for c in counts)
    ]


# --------------------------------------------------------------------------- ONNX
def write_onnx(detector: Any, path: Path, opset: int | None) -> list[str]:
    """The raw network as ONNX, with the anchors and settings files beside it."""
    from designer.export import onnx_export

    notes = onnx_export.write_onnx(detector.network, path, opset)
    write_sidecars(detector, path)
    return [*notes, ONNX_NOTE]


def run_decoded_onnx(path: Path, network: keras.Model, images: np.ndarray) -> list[dict]:
    """Run the ONNX model with onnxruntime and decode it with the files beside it."""
    from designer.export import onnx_export

    outputs = onnx_export.run_onnx(path, [images], input_names(network))
    deltas, logits = _split_outputs(output_names(network), outputs)
    anchors_file, spec_file = sidecar_paths(path)
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    return decode_numpy(deltas, logits, np.load(anchors_file), spec)


# --------------------------------------------------------------------------- writing, checking
def write(detector: Any, fmt: str, path: Path, opset: int | None = None) -> list[str]:
    """Write ``fmt`` (one of FORMATS) for ``detector`` at ``path``; notes for the report."""
    if fmt == "savedmodel":
        return write_savedmodel(detector, path)
    return write_onnx(detector, path, opset)


@dataclass(frozen=True)
class DetectionCheck:
    """How the exported decoding agreed with the detector's own."""

    passed: bool
    runtime: str
    detections: int
    max_box_diff: float
    max_score_diff: float
    tolerance: float
    problem: str = ""

    def note(self) -> str:
        """One line for the report."""
        verdict = "agree" if self.passed else "DISAGREE"
        weak = "" if self.detections else "; weak check: no box scored above the threshold"
        return (
            f"detections via {self.runtime} {verdict} with the detector's: "
            f"{self.detections} boxes, max |box difference| {self.max_box_diff:.3g} px "
            f"(tolerance {self.tolerance:.3g}), max |score difference| {self.max_score_diff:.3g}"
            + (f"; {self.problem}" if self.problem else "")
            + weak
        )


def reference_detections(detector: Any, images: np.ndarray) -> list[dict[str, np.ndarray]]:
    """What the detector finds in ``images``: its predict step, run eagerly."""
    found = detector.decode_predictions(detector(images, training=False), images)
    return unpad({k: keras.ops.convert_to_numpy(v) for k, v in found.items()})


def check(detector: Any, fmt: str, path: Path, batch: int = 2) -> DetectionCheck:
    """Run the artefact's decoding on the export's random batch; compare with the detector's."""
    images = random_batch(detector.network, batch)[0]
    expected = reference_detections(detector, images)
    if fmt == "savedmodel":
        actual, runtime = run_detect(path, images), f"SavedModel {DETECT_KEY!r}"
    else:
        actual, runtime = run_decoded_onnx(path, detector.network, images), "onnx + decode_numpy"
    return compare_detections(expected, actual, runtime)


def match_image(expected: dict, actual: dict) -> tuple[float, float, str]:
    """(max box diff, max score diff, problem) for one image's detections, in any order."""
    n, m = len(expected["boxes"]), len(actual["boxes"])
    if n != m:
        return math.inf, math.inf, f"expected {n} detections, got {m}"
    if not n:
        return 0.0, 0.0, ""
    dist = np.abs(expected["boxes"][:, None, :] - actual["boxes"][None, :, :]).max(axis=-1)
    pair = _pairs(dist)
    box_diff = float(dist[np.arange(n), pair].max())
    score_diff = float(np.abs(expected["scores"] - actual["scores"][pair]).max())
    if np.any(expected["labels"] != actual["labels"][pair]):
        return box_diff, score_diff, "labels differ"
    return box_diff, score_diff, ""


def _pairs(dist: np.ndarray) -> np.ndarray:
    """For each row the nearest column not taken yet, the closest rows first (a permutation,
    also when boxes repeat)."""
    pair = np.zeros(len(dist), dtype=np.int64)
    free = np.ones(dist.shape[1], dtype=bool)
    for i in np.argsort(dist.min(axis=1), kind="stable"):
        j = np.flatnonzero(free)[np.argmin(dist[i, free])]
        pair[i], free[j] = j, False
    return pair


def compare_detections(expected: list[dict], actual: list[dict], runtime: str) -> DetectionCheck:
    """Compare per-image detections: same counts and labels, boxes and scores within tolerance."""
    if len(expected) != len(actual):
        raise ExportError(f"Expected {len(expected)} images from {runtime}, got {len(actual)}.")
    scale = max([1.0] + [float(np.abs(e["boxes"]).max()) for e in expected if len(e["boxes"])])
    tol = BOX_RTOL * scale
    worst_box = worst_score = 0.0
    problems = []
    for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
        box_diff, score_diff, problem = match_image(e, a)
        worst_box, worst_score = max(worst_box, box_diff), max(worst_score, score_diff)
        if problem:
            problems.append(f"image {i}: {problem}")
    passed = not problems and worst_box <= tol and worst_score <= SCORE_ATOL
    return DetectionCheck(
        passed=passed,
        runtime=runtime,
        detections=sum(len(e["boxes"]) for e in expected),
        max_box_diff=worst_box,
        max_score_diff=worst_score,
        tolerance=tol,
        problem="; ".join(problems),
    )
