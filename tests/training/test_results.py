"""Confusion matrix, per-class scores, cell indices, error-first samples, regression results."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from designer.training.results import (
    classification_results,
    confusion_from_predictions,
    regression_results,
)


def test_confusion_matrix_on_known_predictions():
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    scores = np.array(
        [
            [0.9, 0.05, 0.05],  # 0 -> 0
            [0.6, 0.3, 0.1],  # 0 -> 0
            [0.2, 0.7, 0.1],  # 0 -> 1 (error, conf 0.7)
            [0.1, 0.8, 0.1],  # 1 -> 1
            [0.05, 0.05, 0.9],  # 1 -> 2 (error, conf 0.9)
            [0.1, 0.1, 0.8],  # 2 -> 2
            [0.3, 0.1, 0.6],  # 2 -> 2
            [0.2, 0.3, 0.5],  # 2 -> 2
        ]
    )
    r = confusion_from_predictions(y_true, scores, ["a", "b", "c"])
    np.testing.assert_array_equal(r.matrix, [[2, 1, 0], [0, 1, 1], [0, 0, 3]])
    np.testing.assert_allclose(r.precision, [1.0, 0.5, 0.75])
    np.testing.assert_allclose(r.recall, [2 / 3, 0.5, 1.0])
    np.testing.assert_allclose(r.f1, [0.8, 0.5, 6 / 7])
    assert r.accuracy == pytest.approx(6 / 8)
    np.testing.assert_array_equal(r.indices(0, 1), [2])
    np.testing.assert_array_equal(r.indices(2, 2), [5, 6, 7])
    samples = r.samples()
    assert [(s.index, s.correct) for s in samples[:2]] == [(4, False), (2, False)]
    assert samples[2].index == 7 and samples[2].confidence == pytest.approx(0.5)
    assert r.to_dict()["matrix"][1] == [0, 1, 1]
    one_hot = np.eye(3)[y_true]
    assert np.array_equal(confusion_from_predictions(one_hot, scores).matrix, r.matrix)
    with pytest.raises(ValueError, match="Expected 3 class names"):
        confusion_from_predictions(y_true, scores, ["a"])


def test_classification_results_from_a_model_and_a_dataset():
    import tensorflow as tf

    # A fixed linear model: class = argmax of the first three inputs.
    inp = keras.Input((3,))
    out = keras.layers.Dense(3, activation="softmax", use_bias=False)(inp)
    model = keras.Model(inp, out)
    model.layers[-1].set_weights([np.eye(3, dtype="float32") * 10])
    x = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], dtype="float32")
    y = np.array([0, 1, 1, 2])
    r = classification_results(model, (x, y))
    np.testing.assert_array_equal(r.y_pred, [0, 1, 2, 0])
    np.testing.assert_array_equal(r.matrix, [[1, 0, 0], [0, 1, 1], [1, 0, 0]])
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(3)
    np.testing.assert_array_equal(classification_results(model, ds).matrix, r.matrix)


def test_regression_results():
    inp = keras.Input((2,))
    model = keras.Model(inp, keras.layers.Dense(1, use_bias=False)(inp))
    model.layers[-1].set_weights([np.array([[1.0], [1.0]], dtype="float32")])
    x = np.array([[1, 2], [3, 4]], dtype="float32")
    r = regression_results(model, (x, np.array([3.0, 5.0])))
    np.testing.assert_allclose(r.y_pred.ravel(), [3, 7])
    assert r.rmse == pytest.approx(np.sqrt(2.0)) and r.mae == pytest.approx(1.0)
