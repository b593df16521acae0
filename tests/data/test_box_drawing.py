"""Boxes drawn on images: each class in its colour, labels above the box, missed boxes dashed."""

from __future__ import annotations

import numpy as np

from designer.data.box_drawing import MISSED, class_colours, draw_boxes


def test_boxes_are_drawn_in_their_class_colours_with_labels():
    image = np.full((96, 128), 40, np.uint8)  # grey: drawn on as RGB
    boxes = np.array([[20, 40, 60, 80], [70, 30, 120, 90], [0, 0, 0, 0]], np.float32)
    out = draw_boxes(image, boxes, [0, 1, -1], ["circle", "square"], scores=[0.9, 0.6, 0.1])
    assert out.shape == (96, 128, 3) and out.dtype == np.uint8
    colours = class_colours(2)
    assert colours[0] != colours[1] and (0, 0, 0) not in colours
    assert tuple(out[60, 20]) == colours[0]  # the left edge of box 0
    assert tuple(out[60, 120]) == colours[1]  # the right edge of box 1
    assert tuple(out[60, 40]) == (40, 40, 40)  # inside: untouched
    label_strip = out[28:40, 20:60].reshape(-1, 3)
    assert (label_strip == colours[0]).all(axis=1).mean() > 0.3  # its label's background
    assert (np.asarray(image) == 40).all()  # the input is not drawn on


def test_missed_boxes_are_dashed_white():
    image = np.zeros((64, 64, 3), np.uint8)
    out = draw_boxes(image, np.array([[10, 10, 50, 50]]), [0], ["a"], dashed=[True], width=1)
    edge = out[50, 10:50]
    white = (edge == MISSED).all(axis=1)
    assert 0.3 < white.mean() < 0.8  # dashes and gaps
