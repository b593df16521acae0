"""FGSM and PGD on a trained digits model: accuracy under attack, epsilon boxes, refusals."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from designer.core.progress import Cancelled, CancelToken, ProgressEvent
from designer.data.preprocess import PreprocessConfig
from designer.insight.robustness import (
    RobustnessError,
    ValueRange,
    accuracy_curve,
    fgsm,
    parse_epsilons,
    pgd,
    sample_arrays,
    value_range,
)
from tests.insight.digits import digits_model, digits_split, trained_digits_model

EPSILONS = [0.0, 0.01, 0.03, 0.05, 0.1, 0.2]


@pytest.fixture(scope="module")
def digits():
    """A model trained on 1400 digits, and the 397 held-out ones."""
    _, _, x, y = digits_split()
    return trained_digits_model(), x, y


@pytest.fixture(scope="module")
def curves(digits):
    """FGSM and PGD curves of the trained model on the held-out digits."""
    model, x, y = digits
    return {m: accuracy_curve(model, x, y, EPSILONS, m, examples=4) for m in ("fgsm", "pgd")}


def test_attacks_bring_accuracy_below_the_clean_accuracy(digits, curves):
    model, x, y = digits
    clean = float(np.mean(model.predict(x, verbose=0).argmax(1) == y))
    for method, curve in curves.items():
        assert curve.clean_accuracy == pytest.approx(clean)
        assert curve.clean_accuracy > 0.9, method
        at = dict(zip(curve.epsilons, curve.accuracy, strict=True))
        assert at[0.0] == curve.clean_accuracy  # epsilon 0 is the clean accuracy, exactly
        assert at[0.1] < curve.clean_accuracy - 0.2, (method, at)
        assert at[0.2] < 0.2, (method, at)


def test_accuracy_falls_as_epsilon_grows(curves):
    for method, curve in curves.items():
        acc = curve.accuracy
        assert all(b <= a + 0.01 for a, b in zip(acc, acc[1:], strict=False)), (method, acc)
        assert acc[-1] < acc[0]


def test_pgd_is_not_weaker_than_fgsm(curves):
    for f, p in zip(curves["fgsm"].accuracy, curves["pgd"].accuracy, strict=True):
        assert p <= f + 0.02


def test_adversarial_examples_stay_in_the_epsilon_box_and_the_value_range(digits):
    model, x, y = digits
    for adv in (fgsm(model, x, y, 0.1), pgd(model, x, y, 0.1, steps=5, seed=1)):
        assert adv.shape == x.shape and adv.dtype == np.float32
        assert np.abs(adv - x).max() <= 0.1 + 1e-6
        assert np.abs(adv - x).max() > 0.09  # the attack moved the pixels
        assert adv.min() >= 0.0 and adv.max() <= 1.0
    # Epsilon is a fraction of the range: the same attack in a 0..255 range moves 25.5.
    wide = pgd(model_scaled(model, 255.0), x * 255.0, y, 0.1, ValueRange(0.0, 255.0), steps=3)
    assert np.abs(wide - x * 255.0).max() <= 25.5 + 1e-3
    assert wide.min() >= 0.0 and wide.max() <= 255.0


def model_scaled(model, factor: float):
    """``model`` behind a layer dividing its input by ``factor``."""
    inp = keras.Input((8, 8, 1))
    return keras.Model(inp, model(keras.layers.Rescaling(1.0 / factor)(inp)))


def test_example_pairs_show_the_attack(curves):
    curve = curves["fgsm"]
    pairs = curve.examples_at(0.1)
    assert len(pairs) == 4 and not curve.examples_at(0.0)
    assert len(curve.examples) == 4 * 5  # for every epsilon above 0
    for pair in pairs:
        assert pair.clean.shape == pair.adversarial.shape == (8, 8, 1)
        assert np.abs(pair.adversarial - pair.clean).max() <= 0.1 + 1e-6
        assert pair.clean_prediction == pair.label  # correctly classified samples are shown
    big = curve.examples_at(0.2)
    assert any(p.fooled for p in big)


def test_logits_and_one_hot_labels_give_the_same_curve(digits, curves):
    model, x, y = digits
    logits = digits_model(logits=True)
    logits.set_weights(model.get_weights())
    one_hot = np.eye(10, dtype=np.float32)[y]
    curve = accuracy_curve(logits, x, one_hot, EPSILONS, "fgsm")
    assert curve.accuracy == pytest.approx(curves["fgsm"].accuracy, abs=0.01)
    assert curve.clean_accuracy == curves["fgsm"].clean_accuracy


def test_progress_reaches_the_end_and_cancel_stops(digits):
    model, x, y = digits
    events: list[ProgressEvent] = []
    accuracy_curve(model, x, y, [0.0, 0.1], "pgd", batch_size=100, progress=events.append, steps=3)
    assert events[-1].done == events[-1].total == 4 * (1 + 3)
    assert all(a.done <= b.done for a, b in zip(events, events[1:], strict=False))
    token = CancelToken()

    def cancel_soon(event: ProgressEvent) -> None:
        if event.done >= 2:
            token.cancel()

    with pytest.raises(Cancelled):
        accuracy_curve(model, x, y, [0.1], "pgd", batch_size=50, progress=cancel_soon, cancel=token)


def test_refusals_are_one_sentence(digits):
    model, x, y = digits
    inp = keras.Input((8, 8, 1))
    two = keras.Model(inp, [keras.layers.Flatten()(inp), keras.layers.Flatten()(inp)])
    seg = keras.Model(inp, keras.layers.Conv2D(3, 1, activation="softmax")(inp))
    tokens = keras.Input((5,), dtype="int32")
    text = keras.Model(
        tokens, keras.layers.Dense(2)(keras.layers.Flatten()(keras.layers.Embedding(10, 4)(tokens)))
    )
    cases = [
        (two, x, y, "one input and one output"),
        (seg, x, y, "(batch, classes)"),
        (text, np.zeros((3, 5)), np.zeros(3), "int32"),
        (model, x[:, :4], y, "shaped"),
        (model, x, y + 0.5, "fractional"),
        (model, x, y[:10], "one class label"),
        (model, x, y + 10, "10 classes"),
    ]
    for net, xs, ys, words in cases:
        with pytest.raises(RobustnessError) as info:
            accuracy_curve(net, xs, ys, [0.1])
        message = str(info.value)
        assert words in message and "\n" not in message, message
    with pytest.raises(RobustnessError, match="method"):
        accuracy_curve(model, x, y, [0.1], "deepfool")


def test_epsilons_are_parsed_and_checked():
    assert parse_epsilons("0.1, 0, 0.01,0.1") == [0.0, 0.01, 0.1]
    assert parse_epsilons([0.03]) == [0.03]
    for bad in ("", "0, fast", "-0.1", "2"):
        with pytest.raises(RobustnessError):
            parse_epsilons(bad)


def test_value_range_follows_the_preprocessing():
    assert value_range(PreprocessConfig(rescale="unit")).to_list() == [0.0, 1.0]
    assert value_range(PreprocessConfig(rescale="symmetric")).to_list() == [-1.0, 1.0]
    assert value_range(PreprocessConfig(rescale="none")).to_list() == [0.0, 255.0]
    tf_mode = PreprocessConfig(rescale="preprocess_input", preprocess_module="mobilenet_v2")
    assert value_range(tf_mode).to_list() == pytest.approx([-1.0, 1.0])
    caffe = PreprocessConfig(
        (224, 224), 3, rescale="preprocess_input", preprocess_module="resnet50"
    )
    low, high = value_range(caffe).to_list()
    assert low == pytest.approx([-103.939, -116.779, -123.68])  # BGR, mean subtracted
    assert high == pytest.approx([255 - 103.939, 255 - 116.779, 255 - 123.68])
    table = np.array([[-3.0, 2.0], [1.0, 5.0]])
    assert value_range(None, table).to_list() == [-3.0, 5.0]
    assert value_range(None).to_list() == [0.0, 1.0]


def test_samples_come_from_the_datastore_preprocessed_as_for_training():
    from designer.data.builtin import SklearnDigitsConfig
    from designer.data.registry import open_datastore

    store = open_datastore(SklearnDigitsConfig())
    x, y = sample_arrays(store, np.arange(100, 400), PreprocessConfig((8, 8), 1), 50, seed=3)
    assert x.shape == (50, 8, 8, 1) and y.shape == (50,)
    assert x.min() >= 0.0 and x.max() <= 1.0 and x.max() > 0.9
    again, _ = sample_arrays(store, np.arange(100, 400), PreprocessConfig((8, 8), 1), 50, seed=3)
    np.testing.assert_array_equal(x, again)
    everything, labels = sample_arrays(store, np.arange(10), None)
    assert everything.max() > 1.0 and list(labels) == list(store.labels[:10])  # 0..255 kept
