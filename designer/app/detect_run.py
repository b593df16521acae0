"""Object detection on image files: the work of ``main.py detect`` without the command line.
No Qt.

The detector is a ``.keras`` GraphDetector (what ``train`` saves), a plain ``.keras`` network
with the two detection outputs (wrapped with the designer's default anchors, its classes
unnamed), or a project whose network is a detector (its weights and its preprocessing).
Each image is read as training reads it (the network's channels), resized and scaled as
training did (:func:`designer.data.detection_pipeline.load_sample`, then
:func:`designer.data.preprocess.rescale_batch`), and the boxes found are mapped back to the
pixels of the original image (:func:`designer.data.detection_pipeline.original_boxes`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from designer.core.progress import ProgressReporter
from designer.data.detection_pipeline import original_boxes
from designer.data.imageio import IMAGE_EXTENSIONS, is_image_file, load_image, probe_image
from designer.data.preprocess import PreprocessConfig, prepare_numpy, rescale_batch
from designer.data.summary import DataError, one_line
from designer.training.detector_spec import BOX_OUTPUT, CLASS_OUTPUT, designer_spec

if TYPE_CHECKING:
    import keras

    from designer.training.detector import GraphDetector

SUMMARY_FILE = "detections.json"
BATCH = 8  # images per predict call
UNNAMED = "classes unnamed: {} names no classes; they are numbered class 0, class 1, ..."


class DetectError(ValueError):
    """Input ``detect`` cannot use: no detector, no image (the message says which)."""


@dataclass
class Detector:
    """A detector ready for image files: the model, the preprocessing, the class names."""

    model: GraphDetector
    config: PreprocessConfig
    class_names: tuple[str, ...]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Detection:
    """One box found: xyxy pixels of the original image, its class and score."""

    box: tuple[float, float, float, float]
    class_index: int
    class_name: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data for detections.json."""
        return {
            "box": [round(float(v), 2) for v in self.box],
            "class": self.class_name,
            "class_index": self.class_index,
            "score": round(float(self.score), 4),
        }


@dataclass
class ImageResult:
    """The detections of one image file (``file`` relative to the input folder)."""

    file: str
    width: int
    height: int
    detections: list[Detection] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for detections.json."""
        return {
            "file": self.file,
            "width": self.width,
            "height": self.height,
            "detections": [d.to_dict() for d in self.detections],
        }


@dataclass
class DetectRun:
    """What a ``detect`` run found and skipped."""

    model: str
    score_threshold: float
    detector: Detector
    images: list[ImageResult] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The summary object: detections.json and ``--json``."""
        config = self.detector.config
        return {
            "model": self.model,
            "score_threshold": self.score_threshold,
            "class_names": list(self.detector.class_names),
            "preprocess": {"resize_mode": config.resize_mode, "rescale": config.rescale},
            "notes": list(self.detector.notes),
            "images": [item.to_dict() for item in self.images],
            "skipped": list(self.skipped),
        }


# ----------------------------------------------------------------------------- the detector
def open_detector(
    path: str | Path,
    allow_unsafe: bool = False,
    resize_mode: str | None = None,
    rescale: str | None = None,
) -> Detector:
    """The detector of a model file or a project, with its images' preprocessing
    (``resize_mode`` and ``rescale`` override it). ProjectError for the file, DetectError
    for a network that is no detector."""
    from designer.app.files import is_model_path

    if is_model_path(path):
        found = _file_detector(path, allow_unsafe)
    else:
        found = _project_detector(path, allow_unsafe)
    config = found.config
    found.config = dataclasses.replace(
        config, resize_mode=resize_mode or config.resize_mode, rescale=rescale or config.rescale
    )
    try:
        found.config.validate()
    except DataError as exc:
        raise DetectError(str(exc)) from exc
    return found


def _file_detector(path: str | Path, allow_unsafe: bool) -> Detector:
    """A .keras GraphDetector as it is; a plain network with the two outputs, wrapped."""
    from designer.app.files import load_model_file
    from designer.training.detector import DetectorError, GraphDetector  # registers the class

    model = load_model_file(path, allow_unsafe)
    if not isinstance(model, GraphDetector):
        spec = _plain_spec(model, Path(path).name)
        try:
            model = GraphDetector(model, spec, name=f"{model.name}_detector")
        except DetectorError as exc:
            raise DetectError(f"{Path(path).name}: {exc}") from exc
    height, width = model.spec.image_size
    channels = _channels(model.network)
    if channels is None:
        shape = tuple(model.network.inputs[0].shape[1:])
        raise DetectError(
            f"{Path(path).name}: a detector takes images (height, width, 1 or 3); its input "
            f"is {shape}"
        )
    config = PreprocessConfig((height, width), channels, "stretch", "unit")
    return _detector(model, config, "the model file")


def _plain_spec(model: keras.Model, name: str) -> Any:
    """The designer's default detector settings for a network with the two outputs."""
    from designer.app.detection_setup import (
        DetectionSetupError,
        anchors_per_location,
        detection_outputs,
    )

    found = detection_outputs(model)
    if found is None:
        raise DetectError(not_a_detector(name, _outputs_of(model)))
    boxes, logits = found
    size = tuple(model.inputs[0].shape[1:3])
    if len(size) != 2 or None in size:
        raise DetectError(f"{name}: a detector needs a fixed input size; the input is {size}")
    image_size = (int(size[0]), int(size[1]))
    classes = int(logits.shape[-1])
    try:
        per = anchors_per_location(int(boxes.shape[1]), image_size, [3, 4, 5])
    except DetectionSetupError as exc:
        raise DetectError(f"{name}: {exc}") from exc
    return designer_spec(classes, (), image_size, per)


def _project_detector(path: str | Path, allow_unsafe: bool) -> Detector:
    """The project's network with its weights as a detector, and the project's preprocessing."""
    from designer.app.data_settings import effective_preprocess
    from designer.app.detection_setup import DetectionSetupError, project_detector
    from designer.app.files import open_path

    project = open_path(path, allow_unsafe)
    try:
        model = project_detector(project)
    except DetectionSetupError as exc:
        raise DetectError(_project_refusal(project, Path(path).name, exc)) from exc
    config, reason = effective_preprocess(project, tuple(model.network.inputs[0].shape[1:]))
    if config is None:
        raise DetectError(f"{Path(path).name}: {reason}")
    return _detector(model, config, "the project (detection settings, last run, data)")


def _project_refusal(project: Any, name: str, exc: Exception) -> str:
    """The message for a project whose network is no detector (naming its outputs)."""
    graph = project.graph
    outputs = [graph.node(n).name for n in graph.output_nodes()]
    if sorted(outputs) != sorted([BOX_OUTPUT, CLASS_OUTPUT]):
        return not_a_detector(name, [f"'{o}'" for o in outputs])
    return f"{name}: {one_line(str(exc))}"


def not_a_detector(name: str, outputs: list[str]) -> str:
    """One sentence: ``name`` is no detector, its outputs, what a detector needs."""
    listed = ", ".join(outputs) or "none"
    return (
        f"{name} is not a detector: its outputs are {listed}; a detector needs two outputs, "
        f"'{BOX_OUTPUT}' (anchors x 4) and '{CLASS_OUTPUT}' (anchors x classes), as the zoo's "
        "'Tiny detector' or Replace Head > Detection head make"
    )


def _outputs_of(model: keras.Model) -> list[str]:
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != len(model.outputs):
        names = [t.name for t in model.outputs]
    return [f"'{n}' {tuple(t.shape)}" for n, t in zip(names, model.outputs, strict=True)]


def _channels(network: keras.Model) -> int | None:
    shape = tuple(network.inputs[0].shape)
    return int(shape[-1]) if len(shape) == 4 and shape[-1] in (1, 3) else None


def _detector(model: GraphDetector, config: PreprocessConfig, where: str) -> Detector:
    """A Detector with the spec's class names; numbered, with a note, when it has none."""
    spec = model.spec
    if spec.class_names:
        return Detector(model, config, tuple(spec.class_names))
    numbered = tuple(f"class {i}" for i in range(spec.num_classes))
    return Detector(model, config, numbered, [UNNAMED.format(where)])


def with_threshold(detector: Detector, score: float) -> Detector:
    """``detector`` keeping boxes of ``score`` and more (its non-max suppression's threshold)."""
    from designer.training.detector import GraphDetector

    model = detector.model
    if model.spec.score_threshold == score:
        return detector
    spec = dataclasses.replace(model.spec, score_threshold=float(score))
    again = GraphDetector(model.network, spec, name=model.name)
    return dataclasses.replace(detector, model=again)


# ----------------------------------------------------------------------------- the images
def image_files(
    source: str | Path, out_dir: str | Path
) -> tuple[list[tuple[Path, str]], list[dict[str, str]]]:
    """(path, name relative to the source) of every image under ``source`` (or ``source``
    itself), and the files skipped as no image; files under ``out_dir`` are left out.
    DetectError when there is no image file at all."""
    source, inside = Path(source), Path(out_dir).resolve()
    if not source.exists():
        raise DetectError(f"cannot detect in {source}: no such file or folder")
    if inside.exists() and not inside.is_dir():
        raise DetectError(f"--out expects a folder; {out_dir} is a file")
    if source.is_file():
        if not is_image_file(source):
            raise DetectError(f"{source.name} is not an image file ({_expected()})")
        if (inside / source.name) == source.resolve():
            raise DetectError(f"--out {out_dir} would overwrite {source}: choose another folder")
        return [(source, source.name)], []
    if inside == source.resolve():
        raise DetectError(f"--out {out_dir} would overwrite the images: choose another folder")
    found: list[tuple[Path, str]] = []
    skipped: list[dict[str, str]] = []
    for root, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(f for f in files if not f.startswith(".")):
            path = Path(root) / name
            if path.resolve().is_relative_to(inside):
                continue
            rel = path.relative_to(source).as_posix()
            if is_image_file(path):
                found.append((path, rel))
            else:
                skipped.append({"file": rel, "reason": f"not an image file ({_expected()})"})
    if not found:
        others = f"; {len(skipped)} other files" if skipped else ""
        raise DetectError(f"no image files in {source} ({_expected()}{others})")
    return found, skipped


def _expected() -> str:
    return "expected " + ", ".join(IMAGE_EXTENSIONS)


def _read(path: Path, channels: int | None) -> np.ndarray:
    """The uint8 (H, W, C) pixels of a whole image file; DataError for a damaged one."""
    probe_image(str(path))
    return load_image(str(path), channels)


def network_batch(pixels: list[np.ndarray], config: PreprocessConfig) -> np.ndarray:
    """Images as the network saw them in training: resized, float32, then rescaled."""
    batch = np.stack([prepare_numpy(p, config).astype(np.float32) for p in pixels])
    return np.asarray(rescale_batch(batch, config), np.float32)


def predict(detector: Detector, pixels: list[np.ndarray]) -> list[list[Detection]]:
    """The detections of each image, boxes in the pixels of that image."""
    model, config = detector.model, detector.config
    found = model.predict_on_batch(network_batch(pixels, config))
    boxes = np.asarray(found["boxes"], np.float32)
    fmt = model.spec.bounding_box_format
    if fmt != "xyxy":
        import keras

        boxes = np.asarray(keras.utils.bounding_boxes.convert_format(boxes, fmt, "xyxy"))
    labels, scores = np.asarray(found["labels"]), np.asarray(found["confidence"])
    counts = np.asarray(found["num_detections"]).reshape(-1)
    target = model.spec.image_size
    out = []
    for i, image in enumerate(pixels):
        n = int(counts[i])
        keep = labels[i, :n] >= 0
        mapped = original_boxes(boxes[i, :n][keep], image.shape[:2], target, config.resize_mode)
        rows = zip(mapped, labels[i, :n][keep], scores[i, :n][keep], strict=True)
        out.append([_detection(detector, box, int(k), float(s)) for box, k, s in rows])
    return out


def _detection(detector: Detector, box: np.ndarray, index: int, score: float) -> Detection:
    x1, y1, x2, y2 = (float(v) for v in box)
    return Detection((x1, y1, x2, y2), index, _name(detector, index), score)


def _name(detector: Detector, index: int) -> str:
    names = detector.class_names
    return names[index] if 0 <= index < len(names) else f"class {index}"


def draw(detector: Detector, pixels: np.ndarray, found: list[Detection], target: Path) -> None:
    """Write ``pixels`` with the boxes of ``found`` drawn to ``target`` (its format)."""
    from PIL import Image

    from designer.data.box_drawing import draw_boxes

    boxes = np.asarray([d.box for d in found], np.float32).reshape(-1, 4)
    picture = draw_boxes(
        pixels,
        boxes,
        [d.class_index for d in found],
        detector.class_names,
        scores=[d.score for d in found],
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() in (".jpg", ".jpeg"):
        Image.fromarray(picture).save(target, quality=95)
    else:
        Image.fromarray(picture).save(target)


def detect_images(
    detector: Detector,
    files: list[tuple[Path, str]],
    out_dir: str | Path,
    run: DetectRun,
    progress: ProgressReporter | None = None,
) -> DetectRun:
    """Detect in every file, draw each picture into ``out_dir`` (same relative name) and
    add the results to ``run``; damaged files go to ``run.skipped``."""
    out_dir = Path(out_dir)
    total = len(files)
    for start in range(0, total, BATCH):
        if progress is not None:
            progress(start, total, f"detecting: {start} of {total} images")
        loaded = []
        for path, rel in files[start : start + BATCH]:
            try:
                loaded.append((rel, _read(path, detector.config.channels)))
            except DataError as exc:
                run.skipped.append({"file": rel, "reason": one_line(str(exc))})
        if not loaded:
            continue
        results = predict(detector, [pixels for _, pixels in loaded])
        for (rel, pixels), found in zip(loaded, results, strict=True):
            draw(detector, pixels, found, out_dir / rel)
            height, width = pixels.shape[:2]
            run.images.append(ImageResult(rel, int(width), int(height), found))
    if progress is not None:
        progress(total, total, f"detected: {total} images", force=True)
    run.skipped.sort(key=lambda item: item["file"])
    return run


def write_summary(run: DetectRun, out_dir: str | Path) -> Path:
    """Write ``detections.json`` into ``out_dir``; its path."""
    path = Path(out_dir) / SUMMARY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run.to_dict(), indent=1) + "\n", encoding="utf-8")
    return path
