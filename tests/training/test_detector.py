"""Object detection, model side: the detection head as graph layers, GraphDetector (KerasHub's
anchors, label encoder, losses and NMS) training, predicting, saving; COCO mAP."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from designer.core.analysis import analyze, shape_only_scope
from designer.core.build import build_model, graph_from_model
from designer.core.detection_head import (
    BOX_OUTPUT,
    CLASS_OUTPUT,
    FPN_GROUP,
    HEADS_GROUP,
    DetectionHeadError,
    anchor_rows,
    detection_head_for,
    find_feature_nodes,
    plan_detection_head_for,
    tag_detection_groups,
)
from designer.core.edits import apply_edits
from designer.core.graph import LayerGraph
from designer.training.detection_metrics import DetectionMetrics, coco_map
from designer.training.detector import (
    DetectorError,
    DetectorSpec,
    DetectorSpecError,
    GraphDetector,
    detection_batches,
)
from designer.zoo.classic.tiny_detector import build_tiny_detector_graph, tiny_backbone_graph

SIZE = 64
STAGES = ((8, 1), (8, 1), (8, 1), (12, 1), (12, 1), (12, 1))
HEAD = {"fpn_filters": 8, "head_convs": 1, "head_filters": 8}


def small_spec(**changes) -> DetectorSpec:
    values = {"num_classes": 2, "class_names": ("a", "b"), "image_size": (SIZE, SIZE)}
    values.update(changes)
    return DetectorSpec(**values)


def tiny_graph(num_classes: int = 2, anchors: int = 9):
    return build_tiny_detector_graph(
        (SIZE, SIZE, 3), num_classes, STAGES, anchors_per_location=anchors, **HEAD
    )


def small_classifier(size: int = SIZE) -> LayerGraph:
    """A small CNN classifier: conv/pool stages to stride 32, global pooling, softmax."""
    g = LayerGraph()
    src = g.add("Input", shape=[size, size, 3])
    for _ in range(5):
        conv = g.add("Conv2D", filters=8, kernel_size=3, padding="same", activation="relu")
        g.connect(src, conv)
        pool = g.add("MaxPooling2D", pool_size=2, padding="same")
        g.connect(conv, pool)
        src = pool
    last = g.add("Conv2D", filters=8, kernel_size=3, padding="same", activation="relu")
    g.connect(src, last)
    for type_name, params in (
        ("GlobalAveragePooling2D", {}),
        ("Dropout", {"rate": 0.2}),
        ("Dense", {"units": 5, "activation": "softmax"}),
    ):
        nid = g.add(type_name, params=params)
        g.connect(last, nid)
        last = nid
    return g


def sample_data(n: int = 4, seed: int = 0):
    """Images with bright squares and their boxes (one or two per image, one with none)."""
    rng = np.random.default_rng(seed)
    images = rng.random((n, SIZE, SIZE, 3)).astype("float32") * 0.2
    boxes, labels = [], []
    for i in range(n):
        b, lab = [], []
        for _ in range(0 if i == n - 1 else 1 + i % 2):
            s = int(rng.integers(10, 30))
            x, y = (int(v) for v in rng.integers(0, SIZE - s, 2))
            images[i, y : y + s, x : x + s] = 1.0
            b.append([x, y, x + s, y + s])
            lab.append(int(rng.integers(2)))
        boxes.append(b)
        labels.append(lab)
    return detection_batches(images, boxes, labels, max_boxes=3)


# ----------------------------------------------------------------------------- the head
def test_head_builds_from_graph_in_groups_with_two_named_outputs():
    graph, head = tiny_graph()
    groups = {n.group for n in graph.nodes}
    assert {"backbone", FPN_GROUP, HEADS_GROUP} <= groups
    assert all(graph.node(n).group == FPN_GROUP for n in head.fpn_nodes)
    assert all(graph.node(n).group == HEADS_GROUP for n in head.head_nodes)
    assert graph.output_nodes() == [head.box_output, head.class_output]
    assert graph.node(head.box_output).name == BOX_OUTPUT
    assert graph.node(head.class_output).name == CLASS_OUTPUT
    report = analyze(graph)
    assert report.ok, [i.message for i in report.errors]
    rows = anchor_rows((SIZE, SIZE), (3, 4, 5), 9)
    assert rows == small_spec().num_anchors() == (8 * 8 + 4 * 4 + 2 * 2) * 9
    assert report.nodes[head.box_output].shape == (None, rows, 4)
    assert report.nodes[head.class_output].shape == (None, rows, 2)
    model = build_model(graph)
    assert list(model.output_names) == [BOX_OUTPUT, CLASS_OUTPUT]


def test_feature_nodes_are_the_ends_of_the_strides():
    graph = tiny_backbone_graph((SIZE, SIZE, 3), STAGES)
    features = find_feature_nodes(graph, analyze(graph))
    assert [graph.node(features[k]).name for k in ("P3", "P4", "P5")] == [
        "stage4_relu1",
        "stage5_relu1",
        "stage6_relu1",
    ]
    tiny = LayerGraph()
    a = tiny.add("Input", shape=[16, 16, 3])
    b = tiny.add("Conv2D", filters=4, kernel_size=3, strides=2)
    tiny.connect(a, b)
    with pytest.raises(DetectionHeadError, match="strides 8, 16, 32"):
        find_feature_nodes(tiny)


def test_detection_head_replaces_the_classification_part_of_a_small_cnn_and_undoes():
    graph = small_classifier()
    before = graph.copy()
    edits, head = plan_detection_head_for(graph, 3, **HEAD)
    undo = apply_edits(graph, edits)
    types = {n.type for n in graph.nodes}
    assert not types & {"Dense", "Dropout", "GlobalAveragePooling2D"}
    assert [graph.node(n).name for n in graph.output_nodes()] == [BOX_OUTPUT, CLASS_OUTPUT]
    assert len(head.removed) == 3
    report = analyze(graph)
    assert report.ok, [i.message for i in report.errors]
    assert report.nodes[head.class_output].shape == (
        None,
        anchor_rows((SIZE, SIZE), (3, 4, 5), 9),
        3,
    )
    apply_edits(graph, undo)
    assert graph == before


def test_odd_input_sizes_still_give_one_row_per_anchor():
    graph = small_classifier(100)
    head = detection_head_for(graph, 2, **HEAD)
    report = analyze(graph)
    assert report.ok, [i.message for i in report.errors]
    rows = anchor_rows((100, 100), (3, 4, 5), 9)
    assert rows == (13 * 13 + 7 * 7 + 4 * 4) * 9
    assert report.nodes[head.box_output].shape == (None, rows, 4)


def test_detection_head_on_a_zoo_classification_backbone():
    from designer import zoo

    with shape_only_scope():
        model = zoo.build_model("resnet18", input_shape=(SIZE, SIZE, 3), num_classes=4)
    graph = graph_from_model(model, keep_weights=False)
    head = detection_head_for(graph, 4, **HEAD)
    report = analyze(graph)
    assert report.ok, [i.message for i in report.errors]
    names = [n.name for n in graph.nodes]
    assert not any(graph.node(n).type == "Dense" for n in map(lambda x: x.id, graph.nodes))
    laterals = [graph.node(n) for n in head.fpn_nodes if graph.node(n).name.endswith("lateral")]
    feeders = [graph.node(graph.predecessors(n.id)[0]).name for n in laterals]
    assert [f.split("_")[0] for f in feeders] == ["conv3", "conv4", "conv5"], feeders
    assert BOX_OUTPUT in names and CLASS_OUTPUT in names
    assert report.nodes[head.box_output].shape == (None, anchor_rows((SIZE, SIZE), (3, 4, 5), 9), 4)


def test_groups_come_back_after_a_keras_round_trip():
    graph, _ = tiny_graph()
    again = graph_from_model(build_model(graph), keep_weights=False)
    assert tag_detection_groups(again) == sum(
        1 for n in graph.nodes if n.group in (FPN_GROUP, HEADS_GROUP)
    )
    assert {n.name: n.group for n in again.nodes if n.group} == {
        n.name: n.group for n in graph.nodes if n.group in (FPN_GROUP, HEADS_GROUP)
    }


# ----------------------------------------------------------------------------- settings
def test_spec_round_trip_and_checks():
    spec = small_spec(anchor_size=1.5, aspect_ratios=(1.0,), num_scales=2)
    again = DetectorSpec.from_dict(spec.to_dict())
    assert again == spec and again.anchors_per_location == 2
    assert spec.anchor_sizes()["P3"] == [12, 16]
    for bad in ({"num_classes": 0}, {"iou_threshold": 2}, {"image_size": (64,)},
                {"bounding_box_format": "abc"}, {"class_names": ("only one",)}):  # fmt: skip
        with pytest.raises(DetectorSpecError):
            small_spec(**bad)


def test_anchor_count_must_match_the_head():
    graph, _ = tiny_graph(anchors=3)
    with pytest.raises(DetectorError, match="anchors per location"):
        GraphDetector.from_graph(graph, small_spec())  # 9 anchors per location


# ----------------------------------------------------------------------------- the model
@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    graph, _ = tiny_graph()
    model = GraphDetector.from_graph(graph, small_spec(score_threshold=0.0))
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x, y = sample_data()
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    return model, x, y, history.history


def test_detector_trains_a_step_with_finite_separate_losses(trained):
    _, _, _, history = trained
    for key in ("loss", "box_loss", "class_loss"):
        assert key in history and math.isfinite(history[key][-1]), history
    assert history["loss"][-1] == pytest.approx(
        history["box_loss"][-1] + history["class_loss"][-1], rel=1e-4
    )


def test_predict_gives_boxes_in_the_image(trained):
    model, x, _, _ = trained
    found = model.predict(x, verbose=0)
    assert set(found) == {"boxes", "confidence", "labels", "num_detections"}
    assert found["boxes"].shape == (len(x), 100, 4)
    valid = found["labels"] >= 0
    assert valid.any()
    boxes = found["boxes"][valid]
    assert (boxes >= 0).all() and (boxes <= SIZE).all()
    assert (boxes[:, 2] >= boxes[:, 0]).all() and (boxes[:, 3] >= boxes[:, 1]).all()
    assert set(np.unique(found["labels"][valid])) <= {0, 1}
    one = model.predict_on_batch(x[:2])  # traced without a known batch size
    np.testing.assert_allclose(one["boxes"], found["boxes"][:2], atol=1e-4)


def test_save_load_round_trip_predicts_the_same(trained, tmp_path):
    model, x, y, _ = trained
    path = tmp_path / "detector.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    assert isinstance(again, GraphDetector) and again.spec == model.spec
    a, b = model.predict(x, verbose=0), again.predict(x, verbose=0)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], atol=1e-5)
    assert np.isfinite(again.evaluate(x, y, verbose=0, return_dict=True)["box_loss"])


def test_metrics_callback_writes_map_into_the_logs(trained):
    model, x, y, _ = trained
    callback = DetectionMetrics((x, y), ("a", "b"))
    callback.set_model(model)
    logs: dict = {}
    callback.on_epoch_end(0, logs)
    assert set(logs) == {"val_map50", "val_map"} and 0 <= logs["val_map50"] <= 1


# ----------------------------------------------------------------------------- mAP
def test_coco_map_of_perfect_and_of_wrong_predictions():
    truth = [
        {"boxes": [[10, 10, 40, 40], [50, 50, 90, 80]], "labels": [0, 1]},
        {"boxes": [[0, 0, 20, 30]], "labels": [2]},
    ]
    perfect = [dict(t, confidence=[0.9] * len(t["labels"])) for t in truth]
    scores = coco_map(truth, perfect, ("circle", "square", "triangle"))
    assert scores == {"map50": pytest.approx(1.0), "map": pytest.approx(1.0)}
    wrong = [dict(p, labels=[(k + 1) % 3 for k in p["labels"]]) for p in perfect]
    assert coco_map(truth, wrong, 3) == {"map50": 0.0, "map": 0.0}
    batched = {  # predict's output: padded rows have label -1
        "boxes": np.array([[[10, 10, 40, 40], [-1, -1, -1, -1]]], "float32"),
        "confidence": np.array([[0.8, -1]], "float32"),
        "labels": np.array([[0, -1]]),
        "num_detections": np.array([1]),
    }
    half = coco_map([truth[0]], batched, 3)
    assert 0 < half["map50"] < 1
