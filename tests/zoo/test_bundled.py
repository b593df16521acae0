"""The bundled digits network loads, classifies freshly generated digits, and is small."""

from __future__ import annotations

import numpy as np

from designer.zoo import build_model
from designer.zoo.bundled import DIGITS_MODEL, digits_metadata
from designer.zoo.glyphs import DIGITS, render_dataset


def test_bundled_digits_cnn_classifies_generated_digits():
    model = build_model("digits_cnn", weights="pretrained")
    x, y, _ = render_dataset(DIGITS, per_char=30, seed=12345)  # not the training seed
    accuracy = float(np.mean(np.argmax(model.predict(x, verbose=0), axis=1) == y))
    assert accuracy >= 0.95, accuracy


def test_bundled_file_is_small_and_documented():
    assert DIGITS_MODEL.stat().st_size < 1_000_000
    meta = digits_metadata()
    assert meta["classes"] == list(DIGITS) and meta["input_shape"] == [28, 28, 1]
    assert meta["heldout_accuracy"] >= 0.95 and meta["command"].startswith("python scripts/")


def test_feature_extractor_for_transfer_learning():
    features = build_model("digits_cnn", weights="pretrained", include_top=False)
    assert features.output_shape == (None, 128)
    letters, labels, _ = render_dataset("ABC", per_char=4, seed=3)
    assert features.predict(letters, verbose=0).shape == (12, 128)
    assert set(labels) == {0, 1, 2}


def test_glyph_generator_is_deterministic_and_in_range():
    a, la, angles = render_dataset("07", per_char=5, seed=7, max_rotation=10)
    b, lb, _ = render_dataset("07", per_char=5, seed=7, max_rotation=10)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert a.shape == (10, 28, 28, 1) and a.min() >= 0.0 and a.max() <= 1.0
    assert np.all(np.abs(angles) <= 10)
