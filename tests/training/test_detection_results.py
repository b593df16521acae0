"""Per-image errors of a detector (missed objects, false detections) and mAP per class."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from designer.app.settings import DetectionSection, ProjectSettings, SettingsError
from designer.training.detection_results import box_iou, detection_results, match_image
from designer.training.detector_spec import DetectorSpec


def truth(boxes, labels):
    return {"boxes": np.asarray(boxes, "float32").reshape(-1, 4), "labels": np.asarray(labels)}


def found(boxes, labels, scores):
    return {**truth(boxes, labels), "scores": np.asarray(scores, "float32")}


def test_iou_of_equal_disjoint_and_half_overlapping_boxes() -> None:
    a = np.array([[0, 0, 10, 10]], "float32")
    b = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [5, 0, 15, 10]], "float32")
    np.testing.assert_allclose(box_iou(a, b), [[1.0, 0.0, 1 / 3]], rtol=1e-6)


def test_a_found_a_missed_a_false_and_a_wrong_class() -> None:
    gt = truth([[0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 30, 30]], [0, 1, 2])
    pred = found(
        [[1, 1, 10, 10], [80, 80, 90, 90], [20, 20, 30, 30], [0, 0, 10, 10]],
        [0, 1, 1, 0],
        [0.9, 0.8, 0.7, 0.3],  # the last is below the threshold: not shown, no error
    )
    image = match_image(0, gt, pred)
    assert len(image.boxes) == 3
    assert image.missed == [1, 2]  # the second object, and the third (found as class 1)
    assert image.false == [1, 2]  # the box at 80..90, the wrong class at 20..30
    assert image.errors == 4


def test_one_object_is_found_once() -> None:
    gt = truth([[0, 0, 10, 10]], [0])
    pred = found([[0, 0, 10, 10], [0, 0, 10, 11]], [0, 0], [0.9, 0.8])
    image = match_image(0, gt, pred)
    assert image.missed == [] and image.false == [1]


def test_the_result_sorts_worst_first_and_gives_ap_per_class() -> None:
    perfect = truth([[0, 0, 10, 10]], [0])
    gts = [perfect, truth([[0, 0, 10, 10], [30, 30, 40, 40]], [0, 1])]
    preds = [found([[0, 0, 10, 10]], [0], [0.9]), found([[0, 0, 10, 10]], [0], [0.9])]
    result = detection_results(gts, preds, ["a", "b"])
    assert [im.index for im in result.images] == [1, 0]
    assert result.missed == 1 and result.false_detections == 0 and result.objects == 3
    assert result.per_class_ap50["a"] > 0.99 and result.per_class_ap50["b"] == 0.0
    assert 0.4 < result.map50 < 0.6
    assert result.to_dict()["missed"] == 1


boxes = st.lists(
    st.tuples(
        st.floats(0, 100), st.floats(0, 100), st.floats(1, 50), st.floats(1, 50), st.integers(0, 2)
    ),
    max_size=6,
)


@settings(max_examples=40, deadline=None)
@given(boxes, st.floats(0.0, 1.0))
def test_perfect_detections_have_no_errors_and_counts_add_up(objects, score) -> None:
    xyxy = [[x, y, x + w, y + h] for x, y, w, h, _ in objects]
    labels = [c for *_, c in objects]
    gt = truth(xyxy, labels)
    image = match_image(0, gt, found(xyxy, labels, [1.0] * len(labels)))
    assert image.missed == [] and image.false == []
    shifted = found(
        [[x + 200, y, x2 + 200, y2] for x, y, x2, y2 in xyxy], labels, [score] * len(labels)
    )
    image = match_image(0, gt, shifted)
    shown = len(labels) if score >= 0.5 else 0
    assert len(image.missed) == len(labels) and len(image.false) == shown


specs = st.fixed_dictionaries(
    {"num_classes": st.integers(-1, 5)},
    optional={
        "iou_threshold": st.floats(-1, 2, allow_nan=False),
        "anchor_size": st.floats(-1, 8, allow_nan=False),
        "aspect_ratios": st.lists(st.floats(-1, 3, allow_nan=False), max_size=3),
        "image_size": st.lists(st.integers(-5, 300), max_size=3),
        "bounding_box_format": st.sampled_from(["xyxy", "yxyx", "nope"]),
    },
)


@settings(max_examples=60, deadline=None)
@given(specs)
def test_a_detection_section_is_refused_or_saves_and_reloads_equal(data) -> None:
    try:
        settings_ = ProjectSettings.from_dict({"detection": data})
    except SettingsError as exc:
        assert str(exc).startswith("detection")
        return
    plain = settings_.to_dict()["detection"]
    again = ProjectSettings.from_dict({"detection": plain})
    assert again == settings_
    assert again.detection == DetectionSection(DetectorSpec.from_dict(plain))
