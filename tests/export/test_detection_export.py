"""Exporting a detector: anchors, the numpy decoding step, the SavedModel ``detect``
signature, the ONNX sidecar files and the CLI, with real Keras, TensorFlow and onnxruntime."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from designer.app.export_job import ExportRequest, run_export
from designer.app.project import Project, save_project
from designer.app.settings import DetectionSection, ProjectSettings
from designer.cli.main import main
from designer.core.build import build_model
from designer.core.progress import ProgressReporter
from designer.export import detection_export as de
from designer.export.exporter import export_model
from designer.export.onnx_export import run_onnx
from designer.training.detector import GraphDetector
from designer.training.detector_spec import DetectorSpec, designer_spec
from designer.training.options import TrainingOptions
from designer.zoo.classic.tiny_detector import build_tiny_detector_graph

SIZE = 64
STAGES = ((8, 1), (8, 1), (8, 1), (12, 1), (12, 1), (12, 1))
HEAD = {"fpn_filters": 8, "head_convs": 1, "head_filters": 8}


def tiny_graph():
    graph, _ = build_tiny_detector_graph((SIZE, SIZE, 3), 2, STAGES, **HEAD)
    return graph


def spread(network: keras.Model, seed: int = 1) -> keras.Model:
    """Random kernels large enough for varied boxes and scores (fresh heads predict the
    anchors with nearly equal scores)."""
    rng = np.random.default_rng(seed)
    for v in network.weights:
        if len(v.shape) >= 2:
            fan_in = int(np.prod(v.shape[:-1]))
            v.assign(rng.normal(0, 1.5 / np.sqrt(fan_in), v.shape).astype("float32"))
    return network


def spec(**changes) -> DetectorSpec:
    return designer_spec(2, ("circle", "square"), (SIZE, SIZE), 9, **changes)


@pytest.fixture(scope="module")
def network() -> keras.Model:
    return spread(build_model(tiny_graph()))


@pytest.fixture(scope="module")
def detector(network) -> GraphDetector:
    return GraphDetector(network, spec(score_threshold=0.05, max_detections=20))


def images(n: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, SIZE, SIZE, 3)).astype("float32")


def raw_outputs(detector: GraphDetector, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out = detector(x, training=False)
    return np.asarray(out["bbox_regression"]), np.asarray(out["cls_logits"])


def assert_same(expected: list[dict], actual: list[dict], box_tol: float = 1e-3) -> None:
    """Same detections per image (sorted), boxes and scores within tolerances."""
    assert len(expected) == len(actual)
    for e, a in zip(expected, actual, strict=True):
        assert len(e["boxes"]) == len(a["boxes"])
        ke, ka = np.lexsort(e["boxes"].T[::-1]), np.lexsort(a["boxes"].T[::-1])
        np.testing.assert_allclose(a["boxes"][ka], e["boxes"][ke], atol=box_tol * SIZE)
        np.testing.assert_allclose(a["scores"][ka], e["scores"][ke], atol=1e-5)
        np.testing.assert_array_equal(a["labels"][ka], e["labels"][ke])


# --- anchors and the numpy step ---------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xyxy", "center_yxhw"])
def test_anchors_array_equals_the_detectors_anchors(network, fmt) -> None:
    s = spec(bounding_box_format=fmt)
    det = GraphDetector(network, s)
    theirs = keras.ops.concatenate(list(det.anchor_generator(images(1)).values()), axis=0)
    ours = de.anchors_array(s)
    assert ours.shape == (s.num_anchors(), 4) and ours.dtype == np.float32
    np.testing.assert_array_equal(ours, keras.ops.convert_to_numpy(theirs))


def test_decode_numpy_reproduces_predict(detector) -> None:
    x = images(3)
    found = de.decode_numpy(
        *raw_outputs(detector, x), de.anchors_array(detector.spec), detector.spec
    )
    predicted = de.unpad(detector.predict(x, batch_size=3, verbose=0))
    assert sum(len(f["boxes"]) for f in found) > 10
    assert_same(predicted, found)
    assert all(np.all(np.diff(f["scores"]) <= 0) for f in found)  # best first
    assert all(np.all(f["scores"] > 0.05) and set(f["labels"]) <= {0, 1} for f in found)


@pytest.mark.parametrize("fmt", ["xyxy", "center_xywh"])
def test_decode_numpy_with_many_candidates_and_a_spec_dict(network, fmt) -> None:
    """Score threshold 0: every anchor is a candidate and 100 boxes are kept per image."""
    det = GraphDetector(network, spec(score_threshold=0.0, bounding_box_format=fmt))
    x = images(2, seed=3)
    found = de.decode_numpy(
        *raw_outputs(det, x), de.anchors_array(det.spec), json.loads(json.dumps(det.spec.to_dict()))
    )
    assert [len(f["boxes"]) for f in found] == [100, 100]
    assert_same(de.reference_detections(det, x), found)
    assert_same(de.unpad(det.predict(x, batch_size=2, verbose=0)), found)


def test_nms_indices_is_kerashubs_nms() -> None:
    """Against KerasHub's NonMaxSuppression run eagerly, across its 512-box tiles."""
    import keras_hub

    rng = np.random.default_rng(0)
    corner = rng.uniform(0, 60, (2, 700, 2))
    boxes = np.concatenate([corner, corner + rng.uniform(2, 30, (2, 700, 2))], -1).astype("f4")
    logits = rng.normal(-2, 2, (2, 700, 3)).astype("f4")
    nms = keras_hub.layers.NonMaxSuppression(
        bounding_box_format="xyxy", from_logits=True, iou_threshold=0.5, confidence_threshold=0.1
    )
    theirs = de.unpad({k: keras.ops.convert_to_numpy(v) for k, v in nms(boxes, logits).items()})
    scores = 1 / (1 + np.exp(-logits))
    for b in range(2):
        keep = de.nms_indices(de.from_xyxy(boxes[b], "yxyx"), scores[b].max(-1), 0.5, 0.1, 100)
        np.testing.assert_array_equal(boxes[b][keep], theirs[b]["boxes"])


def test_compare_detections_pairs_boxes_in_any_order() -> None:
    one = {"boxes": np.array([[0, 0, 9, 9], [5, 5, 20, 20]], "f4"), "scores": np.array([0.9, 0.8])}
    one["labels"] = np.array([0, 1])
    swapped = {k: v[::-1].copy() for k, v in one.items()}
    assert de.compare_detections([one], [swapped], "x").passed
    relabelled = {**swapped, "labels": np.array([0, 0])}
    fewer = {k: v[:1] for k, v in one.items()}
    assert "labels differ" in de.compare_detections([one], [relabelled], "x").problem
    assert "expected 2 detections, got 1" in de.compare_detections([one], [fewer], "x").problem
    twice = {k: np.concatenate([v, v]) for k, v in one.items()}  # repeated (zero-area) boxes
    assert de.compare_detections([twice], [{k: v[::-1] for k, v in twice.items()}], "x").passed
    moved = {**swapped, "boxes": swapped["boxes"] + np.float32(0.5)}
    assert not de.compare_detections([one], [moved], "x").passed


# --- the exports ------------------------------------------------------------------------
def test_savedmodel_has_a_detect_signature_matching_predict(detector, tmp_path: Path) -> None:
    report = export_model(detector, "savedmodel", tmp_path / "det")
    assert report.passed and de.SAVEDMODEL_NOTE in report.warnings
    assert any("agree with the detector's" in w for w in report.warnings)
    loaded = tf.saved_model.load(str(tmp_path / "det"))
    assert {"serving_default", "detect"} <= set(loaded.signatures)
    x = images(3, seed=5)
    raw = loaded.signatures["serving_default"](image=tf.constant(x))
    np.testing.assert_allclose(raw["cls_logits"].numpy(), raw_outputs(detector, x)[1], atol=1e-5)
    out = loaded.signatures["detect"](images=tf.constant(x))
    assert out["boxes"].shape == (3, 20, 4) and out["scores"].shape == (3, 20)
    found = de.unpad({k: v.numpy() for k, v in out.items()}, score_key="scores")
    assert sum(len(f["boxes"]) for f in found) > 10
    assert_same(de.unpad(detector.predict(x, batch_size=3, verbose=0)), found)


def test_onnx_writes_sidecars_and_decodes_like_predict(detector, tmp_path: Path) -> None:
    report = export_model(detector, "onnx", tmp_path / "det.onnx")
    anchors_file, spec_file = tmp_path / "det.anchors.npy", tmp_path / "det.detector.json"
    assert report.passed and de.ONNX_NOTE in report.warnings
    assert sorted(report.extra_files) == sorted([str(anchors_file), str(spec_file)])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "det.anchors.npy",
        "det.detector.json",
        "det.onnx",
    ]
    settings = json.loads(spec_file.read_text())
    assert DetectorSpec.from_dict(settings) == detector.spec
    np.testing.assert_array_equal(np.load(anchors_file), de.anchors_array(detector.spec))
    x = images(3, seed=7)
    deltas, logits = run_onnx(tmp_path / "det.onnx", [x], ["image"])
    found = de.decode_numpy(deltas, logits, np.load(anchors_file), settings)
    assert sum(len(f["boxes"]) for f in found) > 10
    assert_same(de.unpad(detector.predict(x, batch_size=3, verbose=0)), found)


def test_other_formats_export_the_network_alone(detector, tmp_path: Path) -> None:
    report = export_model(detector, "keras", tmp_path / "det.keras")
    assert report.passed and not report.extra_files
    assert keras.saving.load_model(tmp_path / "det.keras").output_names == [
        "bbox_regression",
        "cls_logits",
    ]


def test_the_export_job_exports_a_detector_with_the_projects_settings(tmp_path: Path) -> None:
    settings = ProjectSettings().replace(detection=DetectionSection(spec(score_threshold=0.3)))
    request = ExportRequest("onnx", str(tmp_path / "job.onnx"))
    reporter = ProgressReporter(None, None)
    outcome = run_export(request, tiny_graph(), TrainingOptions(), reporter, settings)
    assert not outcome.failure and de.ONNX_NOTE in outcome.report.warnings
    written = json.loads((tmp_path / "job.detector.json").read_text())
    assert written["score_threshold"] == 0.3 and written["class_names"] == ["circle", "square"]
    plain = ExportRequest("onnx", str(tmp_path / "plain.onnx"))  # no settings: raw outputs
    outcome = run_export(plain, tiny_graph(), TrainingOptions(), reporter)
    assert outcome.report.passed and not outcome.report.extra_files


def test_cli_export_of_a_detector_project_writes_the_sidecars(tmp_path: Path) -> None:
    project = Project(tiny_graph(), "tiny")
    project.settings = project.settings.replace(detection=DetectionSection(spec()))
    path = save_project(project, tmp_path / "tiny.ndproj")
    out = tmp_path / "cli.onnx"
    code = main(["export", str(path), "--format", "onnx", "--out", str(out), "--json"])
    assert code == 0
    assert (tmp_path / "cli.anchors.npy").is_file() and (tmp_path / "cli.detector.json").is_file()
    stored = DetectorSpec.from_dict(json.loads((tmp_path / "cli.detector.json").read_text()))
    assert stored == spec()


def test_cli_plain_export_of_a_detector_network_with_bad_settings(tmp_path: Path) -> None:
    """Detection settings that do not fit the heads leave a plain export, with a note."""
    from designer.cli.export import add_export_arguments
    from designer.cli.export import run_export as cli_export

    parser = argparse.ArgumentParser()
    add_export_arguments(parser)
    args = parser.parse_args(["--format", "onnx", "--out", str(tmp_path / "p.onnx"), "--json"])
    project = Project(tiny_graph(), "tiny")
    project.settings = project.settings.replace(detection=DetectionSection(spec(num_scales=2)))
    stream = io.StringIO()
    assert cli_export(build_model(project.graph), args, stream, project) == 0
    data = json.loads(stream.getvalue())
    assert data["passed"] and not data["extra_files"]
    assert any("raw detector outputs only" in w for w in data["warnings"])
