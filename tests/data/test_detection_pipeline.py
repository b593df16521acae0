"""The detection training pipeline on generated shapes: images resized with their boxes,
padded box rows, augmentation on the training split only, the split through
make_training_data (real tf.data, real Keras box layers)."""

from __future__ import annotations

import numpy as np
import pytest

from designer.data.augment import AugmentConfig
from designer.data.detection_pipeline import pad_boxes, resize_boxes
from designer.data.pipeline import make_training_data
from designer.data.preprocess import PreprocessConfig, prepare_numpy
from designer.data.registry import open_datastore
from designer.data.shapes import ShapesConfig
from designer.data.splits import SplitConfig


@pytest.fixture
def shapes(tmp_path):
    return open_datastore(ShapesConfig(images=24, size=96, cache_dir=str(tmp_path)))


@pytest.mark.parametrize("mode", ["stretch", "pad", "crop"])
def test_boxes_are_resized_with_the_image(mode):
    image = np.zeros((100, 200, 3), np.uint8)
    image[20:40, 110:150, 0] = 255  # a red block right of the centre
    out = prepare_numpy(image, PreprocessConfig((64, 64), 3, mode))
    ys, xs = np.where(out[..., 0] > 127)
    box = resize_boxes(np.array([[110, 20, 150, 40]]), (100, 200), (64, 64), mode)[0]
    np.testing.assert_allclose(box, [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], atol=1.2)


def test_pad_boxes_keeps_the_first_objects_and_pads_with_minus_one():
    boxes, labels = pad_boxes(np.array([[1, 2, 3, 4], [5, 6, 7, 8]]), np.array([2, 0]), 3)
    assert labels.tolist() == [2, 0, -1] and boxes[2].tolist() == [-1, -1, -1, -1]
    boxes, labels = pad_boxes(np.array([[1, 2, 3, 4], [5, 6, 7, 8]]), np.array([2, 0]), 1)
    assert labels.tolist() == [2] and boxes.tolist() == [[1, 2, 3, 4]]


def test_the_training_data_of_a_detection_store(shapes):
    data = make_training_data(
        shapes,
        SplitConfig(validation_percent=25.0, seed=0),
        PreprocessConfig((64, 64), 3, "stretch", "unit"),
        AugmentConfig(flip_x=True, zoom=0.2, seed=3),
        batch_size=4,
    )
    assert data.task == "detection" and data.class_names == ["circle", "square", "triangle"]
    assert data.num_train == 18 and data.num_validation == 6
    rows = max(len(r.labels) for r in shapes.records)
    for part in (data.train, data.validation):
        images, target = next(iter(part))
        assert images.shape == (4, 64, 64, 3) and float(np.max(images)) <= 1.0
        boxes, labels = np.asarray(target["boxes"]), np.asarray(target["labels"])
        assert boxes.shape == (4, rows, 4) and labels.shape == (4, rows)
        real = labels >= 0
        assert real.any(axis=1).all()  # every shapes image holds an object
        assert (boxes[real] >= 0).all() and (boxes[real] <= 64).all()
        assert (boxes[~real] == -1).all()
    # Validation is not augmented: its boxes are the store's, resized.
    index = int(np.sort(np.asarray(data_validation_indices(shapes)))[0])
    _, target = shapes.get(index)
    expected = resize_boxes(target["boxes"], (96, 96), (64, 64), "stretch")
    images, first = next(iter(data.validation))
    got = np.asarray(first["boxes"])[0][np.asarray(first["labels"])[0] >= 0]
    np.testing.assert_allclose(np.sort(got, axis=0), np.sort(expected, axis=0), atol=1e-3)


def data_validation_indices(store):
    from designer.data.splits import split_for

    return split_for(
        SplitConfig(validation_percent=25.0, seed=0), len(store), store.labels
    ).validation


@pytest.mark.parametrize("mode", ["stretch", "pad", "crop"])
def test_original_boxes_undo_the_resize(mode):
    from designer.data.detection_pipeline import original_boxes

    boxes = np.array([[60, 30, 140, 70], [80, 10, 120, 90]], np.float32)  # inside any crop
    there = resize_boxes(boxes, (100, 200), (64, 64), mode)
    np.testing.assert_allclose(original_boxes(there, (100, 200), (64, 64), mode), boxes, atol=1e-3)
