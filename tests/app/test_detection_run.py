"""A detection project trained through the ordinary project run: the detector's settings
section, the GraphDetector prepare_run makes, its losses and mAP in the run, the results
with per-image errors, and ``main.py train`` on generated shapes (real Keras, tiny data)."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from designer.app.detection_setup import DetectionSetupError, project_detector, project_spec
from designer.app.project import Project, load_project, save_project
from designer.app.project_run import (
    ProjectRunError,
    evaluate_run,
    prepare_run,
    run_results,
    store_results,
)
from designer.app.settings import DetectionSection, ProjectSettings, SettingsError
from designer.cli import main
from designer.core.build import build_model
from designer.training.detection_results import DetectionResult
from designer.training.detector import GraphDetector
from designer.training.detector_spec import DESIGNER_DEFAULTS, DetectorSpec
from designer.training.trainer import DETECTOR_METRICS, Trainer, TrainingConfigError
from designer.zoo.classic.tiny_detector import build_tiny_detector_graph

SMALL_STAGES = ((8, 1), (8, 1), (16, 1), (16, 1), (16, 1), (16, 1))
HEAD = {"fpn_filters": 16, "head_convs": 1, "head_filters": 16}


def detector_graph(classes: int = 3, size: int = 64):
    graph, _ = build_tiny_detector_graph((size, size, 3), classes, SMALL_STAGES, **HEAD)
    return graph


def shapes_project(images: int = 24, size: int = 64, classes: int = 3, **training) -> Project:
    options = {"max_epochs": 1, "mini_batch_size": 8, "solver": "adam", "initial_learn_rate": 2e-3}
    return Project.from_sections(
        detector_graph(classes, size),
        "shapes",
        data={
            "source": {"kind": "shapes", "images": images, "size": size, "seed": 1},
            "split": {"mode": "percent", "validation_percent": 25.0},
        },
        training={**options, **training},
    )


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ND_CACHE_DIR", str(tmp_path / "cache"))


# --- the settings section --------------------------------------------------------------
def test_the_detection_section_is_left_out_until_set_and_round_trips(tmp_path) -> None:
    project = shapes_project()
    assert "detection" not in project.settings.to_dict()
    spec = DetectorSpec(num_classes=3, class_names=("a", "b", "c"), image_size=(64, 64))
    project.settings = project.settings.replace(detection=DetectionSection(spec))
    again = load_project(save_project(project, tmp_path / "p.ndproj"))
    assert again.settings == project.settings
    assert again.settings.detection.spec == spec


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ({"num_classes": 0}, "num_classes"),
        ({"num_classes": 2, "iou_threshold": 3}, "iou_threshold"),
        ({"anchor_size": 2}, "num_classes"),
        ([1, 2], "dictionary"),
    ],
)
def test_a_bad_detection_section_is_refused_by_name(section, words) -> None:
    with pytest.raises(SettingsError, match=words) as info:
        ProjectSettings.from_dict({"detection": section})
    assert "detection" in str(info.value)


# --- the spec of a project's network -------------------------------------------------------
def test_the_designer_defaults_follow_the_network_and_the_data() -> None:
    project = shapes_project()
    spec = project_spec(project, build_model(project.graph), ["circle", "square", "triangle"])
    assert spec.image_size == (64, 64) and spec.num_classes == 3
    assert spec.class_names == ("circle", "square", "triangle")
    assert spec.anchor_size == DESIGNER_DEFAULTS["anchor_size"]
    assert spec.box_variance == DESIGNER_DEFAULTS["box_variance"]


def test_a_set_section_wins_over_the_defaults() -> None:
    project = shapes_project()
    stored = DetectorSpec(num_classes=3, image_size=(64, 64), anchor_size=3.0, iou_threshold=0.6)
    project.settings = project.settings.replace(detection=DetectionSection(stored))
    spec = project_spec(project, build_model(project.graph))
    assert (spec.anchor_size, spec.iou_threshold) == (3.0, 0.6)


def test_classes_that_do_not_fit_the_class_head_are_named() -> None:
    project = shapes_project(classes=2)
    with pytest.raises(DetectionSetupError, match="predicts 2 classes.*has 3"):
        project_spec(project, build_model(project.graph), ["circle", "square", "triangle"])


def test_a_classifier_on_detection_data_is_refused_with_what_to_do() -> None:
    project = shapes_project()
    g = project.graph
    for node in list(g.nodes):
        if node.type != "Input":
            g.remove(node.id)
    src = g.nodes[0].id
    flat = g.add("Flatten", "flat")
    out = g.add("Dense", "out", units=3, activation="softmax")
    g.connect(src, flat)
    g.connect(flat, out)
    with pytest.raises(ProjectRunError, match="Detection head"):
        prepare_run(project)


# --- a run ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("ND_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    keras.utils.set_random_seed(0)
    project = shapes_project(images=24)
    run = prepare_run(project)
    events: list = []

    class Sink:
        def on_start(self, info):
            events.append(info)

    result = Trainer(run.model, run.data.train, run.data.validation, run.options, Sink()).run()
    yield project, run, result, events
    mp.undo()


def test_prepare_run_makes_a_detector_with_the_data_classes(trained) -> None:
    _, run, _, _ = trained
    assert isinstance(run.model, GraphDetector)
    assert run.model.spec.class_names == ("circle", "square", "triangle")
    assert run.data.task == "detection"


def test_the_run_logs_both_losses_and_the_validation_map(trained) -> None:
    _, _, result, events = trained
    assert result.status == "finished", result.message
    assert events[0].metrics == list(DETECTOR_METRICS)
    for key in ("loss", "box_loss", "class_loss", "val_loss", "val_map50", "val_map"):
        assert key in result.final, key
    assert 0.0 <= result.final["val_map50"] <= 1.0
    row = result.epochs[0]
    assert {"box_loss", "class_loss", "val_map50"} <= set(row)
    total = row["box_loss"] + row["class_loss"]
    assert row["loss"] == pytest.approx(total, rel=0.05)


def test_the_results_list_each_images_errors_worst_first(trained) -> None:
    project, run, result, _ = trained
    evaluation = evaluate_run(run)
    assert isinstance(evaluation, DetectionResult)
    assert len(evaluation.images) == run.data.num_validation
    errors = [im.errors for im in evaluation.images]
    assert errors == sorted(errors, reverse=True)
    first = evaluation.images[0]
    assert first.image is not None and first.image.shape == (64, 64, 3)
    assert evaluation.objects == sum(len(im.truth_labels) for im in evaluation.images) > 0
    summary = run_results(result, evaluation).detection
    assert summary is not None and summary["objects"] == evaluation.objects
    assert summary["missed"] + summary["false_detections"] == sum(errors)


def test_the_trained_weights_and_results_save_and_come_back(trained, tmp_path) -> None:
    project, run, result, _ = trained
    copy = Project(project.graph.copy(), project.name, project.settings)
    assert store_results(copy, run, result, evaluate_run(run)) > 10
    again = load_project(save_project(copy, tmp_path / "det.ndproj"))
    assert again.settings == copy.settings
    detector = project_detector(again)
    x = np.random.default_rng(0).random((2, 64, 64, 3)).astype("float32")
    ours = detector.network(x)
    theirs = run.model.network(x)
    for key in ("bbox_regression", "cls_logits"):
        np.testing.assert_allclose(np.asarray(ours[key]), np.asarray(theirs[key]), atol=1e-5)
    assert detector.spec.class_names == ("circle", "square", "triangle")


def test_mixed_precision_is_refused_for_a_detector(trained) -> None:
    _, run, _, _ = trained
    options = run.options.replace(mixed_precision="bfloat16")
    with pytest.raises(TrainingConfigError, match="full precision"):
        Trainer(run.model, run.data.train, run.data.validation, options).run()


# --- the command line -------------------------------------------------------------------------
def test_train_cli_trains_a_detector_and_saves_it(tmp_path, capsys) -> None:
    path = save_project(shapes_project(images=16), tmp_path / "det.json")
    out = tmp_path / "out"
    code = main(["train", str(path), "--epochs", "1", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert {"val_map50", "val_map", "box_loss", "class_loss"} <= set(summary["final"])
    model = keras.saving.load_model(out / "model.keras")
    assert isinstance(model, GraphDetector)
    assert model.spec.class_names == ("circle", "square", "triangle")
