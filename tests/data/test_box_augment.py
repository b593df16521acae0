"""Box-aware augmentation: every geometric transform moves the boxes with the pixels (real
Keras layers on images whose objects are known colour blocks)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designer.data.augment import AugmentConfig
from designer.data.box_augment import MIN_SIDE, BoxAugmenter, preview_box_augmentation

RED, GREEN = 0, 1  # the channel each object is drawn in


def _picture():
    """A 64x64 image with a red block and a green block, their boxes and labels."""
    image = np.zeros((64, 64, 3), np.uint8)
    image[10:20, 30:50, RED] = 255
    image[40:60, 5:15, GREEN] = 255
    boxes = np.array([[30, 10, 50, 20], [5, 40, 15, 60]], np.float32)
    return image, boxes, np.array([RED, GREEN], np.int32)


def _extent(image, channel):
    """The xyxy extent of the pixels of one object's colour, None when it left the image."""
    other = 1 - channel
    mask = (image[..., channel] > 128) & (image[..., other] < 128)
    ys, xs = np.where(mask)
    if len(xs) == 0:
        return None
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


@pytest.mark.parametrize(
    "config",
    [
        AugmentConfig(flip_x=True, flip_y=True),
        AugmentConfig(rotation=15),
        AugmentConfig(translate_x=0.3, translate_y=0.3),
        AugmentConfig(zoom=0.3),
        AugmentConfig(scale=(0.7, 1.4)),
        AugmentConfig(random_crop=0.7),  # Keras' RandomCrop moves boxes wrongly: done by zoom
        AugmentConfig(shear_x=0.2, shear_y=0.2),
        AugmentConfig(
            flip_x=True, rotation=10, translate_x=0.2, zoom=0.2, brightness=0.1, contrast=0.1
        ),
    ],
    ids=["flip", "rotation", "translation", "zoom", "scale", "crop", "shear", "mixed"],
)
def test_the_boxes_follow_the_pixels(config):
    image, boxes, labels = _picture()
    copies = preview_box_augmentation(config, image, boxes, labels, versions=8, seed=5)
    moved = 0
    for picture, new_boxes, new_labels in copies:
        assert picture.shape == image.shape and picture.dtype == np.uint8
        for channel in (RED, GREEN):
            extent = _extent(picture, channel)
            kept = new_boxes[new_labels == channel]
            if extent is None or (extent[2] - extent[0]) < MIN_SIDE:
                assert len(kept) == 0  # an object that left the image lost its box
                continue
            if len(kept) == 0:  # only a sliver is left, under the smallest box kept
                assert min(extent[2] - extent[0], extent[3] - extent[1]) <= MIN_SIDE + 2
                continue
            box = kept[0]
            if config.rotation or config.shear_x:  # the box encloses the turned object
                assert (box[:2] <= extent[:2] + 1.6).all() and (box[2:] >= extent[2:] - 1.6).all()
                area = (box[2] - box[0]) * (box[3] - box[1])
                assert area <= 2.5 * (extent[2] - extent[0]) * (extent[3] - extent[1])
            else:
                np.testing.assert_allclose(box, extent, atol=1.6)
            moved += int(np.abs(box - boxes[channel]).max() > 1)
    assert moved > 0  # the transform did something


def test_the_same_seed_gives_the_same_copies_and_no_transform_none():
    image, boxes, labels = _picture()
    config = AugmentConfig(flip_x=True, translate_x=0.2, zoom=0.2)
    a = preview_box_augmentation(config, image, boxes, labels, versions=3, seed=1)
    b = preview_box_augmentation(config, image, boxes, labels, versions=3, seed=1)
    for (ia, ba, la), (ib, bb, lb) in zip(a, b, strict=True):
        np.testing.assert_array_equal(ia, ib)
        np.testing.assert_array_equal(ba, bb)
        np.testing.assert_array_equal(la, lb)
    plain = preview_box_augmentation(AugmentConfig(), image, boxes, labels, versions=2)
    np.testing.assert_array_equal(plain[0][0], image)
    np.testing.assert_array_equal(plain[0][1], boxes)


def test_padding_stays_padding_and_the_input_is_not_changed():
    image, boxes, labels = _picture()
    padded_boxes = np.concatenate([boxes, -np.ones((2, 4), np.float32)])[None]
    padded_labels = np.array([[RED, GREEN, -1, -1]], np.int32)
    keep_boxes, keep_labels = padded_boxes.copy(), padded_labels.copy()
    augmenter = BoxAugmenter(AugmentConfig(flip_x=True, translate_x=0.1, seed=2))
    _, out_boxes, out_labels = augmenter(
        image[None].astype(np.float32), padded_boxes, padded_labels
    )
    out_boxes, out_labels = np.asarray(out_boxes), np.asarray(out_labels)
    assert out_labels[0, 2:].tolist() == [-1, -1]
    assert (out_boxes[0, 2:] == -1).all()
    np.testing.assert_array_equal(padded_boxes, keep_boxes)  # Keras writes into its input
    np.testing.assert_array_equal(padded_labels, keep_labels)


@settings(max_examples=15, deadline=None)
@given(
    rotation=st.sampled_from([0.0, 20.0]),
    translate=st.floats(0.0, 0.5),
    zoom=st.floats(0.0, 0.5),
    flip=st.booleans(),
    seed=st.integers(0, 1000),
    corners=st.lists(
        st.tuples(st.floats(0, 58), st.floats(0, 58), st.floats(3, 30), st.floats(3, 30)),
        min_size=1,
        max_size=4,
    ),
)
def test_any_boxes_stay_inside_the_image(rotation, translate, zoom, flip, seed, corners):
    boxes = np.array([[x, y, min(x + w, 64), min(y + h, 64)] for x, y, w, h in corners])
    labels = np.arange(len(boxes), dtype=np.int32) % 3
    image = np.full((64, 64, 3), 90, np.uint8)
    config = AugmentConfig(flip_x=flip, rotation=rotation, translate_x=translate, zoom=zoom)
    for _, out, out_labels in preview_box_augmentation(config, image, boxes, labels, 2, seed):
        assert out.shape[1] == 4 and len(out) == len(out_labels) <= len(boxes)
        assert (out >= 0).all() and (out[:, [0, 2]] <= 64).all() and (out[:, [1, 3]] <= 64).all()
        assert (out[:, 2] - out[:, 0] >= MIN_SIDE).all() and (
            out[:, 3] - out[:, 1] >= MIN_SIDE
        ).all()
        assert set(out_labels.tolist()) <= set(labels.tolist())
