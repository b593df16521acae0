"""Preprocessing: derived from the Input, resize modes, channel conversion, preprocess_input."""

from __future__ import annotations

import numpy as np
import pytest

from designer.data.preprocess import (
    PreprocessConfig,
    convert_channels_numpy,
    convert_channels_tf,
    derive_preprocess,
    describe_preprocess,
    preprocess_input_for,
    rescale_batch,
    resize_numpy,
    resize_tf,
)
from designer.data.summary import DataError


def test_derive_from_input_shape_and_zoo_module() -> None:
    p = derive_preprocess((None, 32, 32, 3))
    assert p.image_size == (32, 32) and p.channels == 3 and p.rescale == "unit"
    z = derive_preprocess((224, 224, 3), zoo_module="mobilenet_v2")
    assert z.rescale == "preprocess_input"
    out = rescale_batch(np.full((1, 2, 2, 3), 255.0, np.float32), z)
    assert np.allclose(out, 1.0)  # MobileNetV2 scales to -1..1
    r = rescale_batch(np.zeros((1, 2, 2, 3), np.float32), derive_preprocess((8, 8, 3), "resnet50"))
    assert np.allclose(r[0, 0, 0], [-103.939, -116.779, -123.68])  # caffe-style mean subtraction
    with pytest.raises(DataError, match="keras.applications module"):
        preprocess_input_for("resnet5000")
    with pytest.raises(DataError, match="image Input"):
        derive_preprocess((100,))


def test_describe_lists_the_steps() -> None:
    cfg = PreprocessConfig((32, 32), 3, "pad")
    steps = describe_preprocess(cfg, {"28x28x1": 10}, channels=1)
    assert steps[0].startswith("resize to 32x32") and "grey to RGB" in steps[1]
    assert "0..1" in steps[2]
    assert describe_preprocess(cfg, {"32x32x3": 5}, channels=3) == [
        "values scaled to 0..1 (divided by 255)"
    ]


@pytest.mark.parametrize("mode", ["stretch", "crop", "pad"])
def test_resize_modes_numpy_and_tf_agree_on_shape(mode) -> None:
    img = np.zeros((20, 40, 3), np.uint8)
    img[:, 10:30] = 255  # a white band in the middle
    a = resize_numpy(img, (16, 16), mode)
    b = np.asarray(resize_tf(img, (16, 16), mode))
    assert a.shape == b.shape == (16, 16, 3)
    if mode == "crop":  # the centre square is kept: all white
        assert a.min() > 200 and b.min() > 200
    if mode == "pad":  # black bars above and below
        assert a[0].max() == 0 and b[0].max() == 0


def test_channel_conversion() -> None:
    grey = np.full((2, 2, 1), 100, np.uint8)
    assert convert_channels_numpy(grey, 3).shape == (2, 2, 3)
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[..., 1] = 255
    assert convert_channels_numpy(rgb, 1)[0, 0, 0] == 150  # 0.587 * 255
    assert tuple(convert_channels_tf(np.float32(rgb), 1).shape) == (2, 2, 1)
    with pytest.raises(DataError, match="1 or 3 channels"):
        PreprocessConfig(channels=2).validate()
