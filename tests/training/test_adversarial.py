"""Adversarial training (a share of every batch replaced by FGSM examples) as a training option."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from designer.insight.robustness import accuracy_curve
from designer.training import adversarial
from designer.training.adversarial import install_adversarial, is_adversarial, mix_batch
from designer.training.options import OptionsError, TrainingOptions
from designer.training.trainer import Trainer, TrainingConfigError
from tests.insight.digits import digits_model, digits_split


def options(**changes) -> TrainingOptions:
    """Adam for 10 epochs in batches of 64, no L2, fixed seed."""
    base = dict(
        solver="adam",
        initial_learn_rate=0.01,
        max_epochs=10,
        mini_batch_size=64,
        l2_regularization=0.0,
        validation_frequency="epoch",
        seed=0,
    )
    return TrainingOptions(**{**base, **changes})


def test_the_asked_share_of_a_batch_is_replaced_by_fgsm_examples():
    x, y, _, _ = digits_split()
    model = digits_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    batch, labels = x[:64], y[:64]
    mixed, count = mix_batch(model, batch, labels, None, 0.1, 0.25)
    mixed = np.asarray(mixed)
    assert int(count) == 16 and mixed.shape == batch.shape
    moved = np.abs(mixed - batch).reshape(64, -1).max(axis=1)
    assert np.all(moved[:16] > 0.09) and np.all(moved[:16] <= 0.1 + 1e-6)
    np.testing.assert_array_equal(mixed[16:], batch[16:])  # the rest is untouched
    assert mixed.min() >= 0.0 and mixed.max() <= 1.0  # clipped into the batch's range
    everything, count = mix_batch(model, batch, labels, None, 0.1, 1.0)
    assert int(count) == 64 and not np.any(np.all(np.asarray(everything) == batch, axis=(1, 2, 3)))


def test_training_runs_the_adversarial_step_and_removes_it_after(monkeypatch):
    x, y, _, _ = digits_split()
    calls = []
    real = adversarial.mix_batch
    monkeypatch.setattr(adversarial, "mix_batch", lambda *a: calls.append(a[4:]) or real(*a))
    model = digits_model()
    result = Trainer(
        model,
        (x[:256], y[:256]),
        None,
        options(max_epochs=1, adversarial_epsilon=0.05, adversarial_ratio=0.5),
    ).run()
    assert result.status == "finished"
    assert calls and calls[0] == (0.05, 0.5)  # traced into the training step
    assert not is_adversarial(model)  # the model trains plainly again after the run
    calls.clear()
    assert (
        Trainer(model, (x[:256], y[:256]), None, options(max_epochs=1)).run().status == "finished"
    )
    assert not calls


def test_adversarial_training_raises_accuracy_under_fgsm():
    x, y, x_test, y_test = digits_split()
    under_attack = {}
    for epsilon in (0.0, 0.1):
        model = digits_model()
        result = Trainer(model, (x, y), None, options(adversarial_epsilon=epsilon)).run()
        assert result.status == "finished"
        curve = accuracy_curve(model, x_test, y_test, [0.0, 0.1], "fgsm")
        assert curve.clean_accuracy > 0.9
        under_attack[epsilon] = curve.accuracy[-1]
    # Measured: about 0.47 after plain training, 0.73 after adversarial training.
    assert under_attack[0.1] > under_attack[0.0] + 0.1, under_attack


def test_options_are_checked_and_kept():
    opts = TrainingOptions(adversarial_epsilon=0.03, adversarial_ratio=0.25)
    assert TrainingOptions.from_dict(opts.to_dict()) == opts
    assert TrainingOptions().adversarial_epsilon == 0.0  # off by default
    for bad in ({"adversarial_epsilon": -0.1}, {"adversarial_ratio": 1.5}):
        with pytest.raises(OptionsError, match=next(iter(bad))):
            TrainingOptions(**bad)


def test_networks_that_cannot_be_attacked_are_refused_before_training():
    inp = keras.Input((4,))
    two = keras.Model(inp, [keras.layers.Dense(2)(inp), keras.layers.Dense(3)(inp)])
    with pytest.raises(ValueError, match="one input and one output"):
        install_adversarial(two, 0.1, 0.5)
    tokens = keras.Input((5,), dtype="int32")
    text = keras.Model(
        tokens, keras.layers.Dense(2)(keras.layers.Flatten()(keras.layers.Embedding(9, 3)(tokens)))
    )
    data = (np.zeros((8, 5), np.int32), np.zeros(8, np.int64))
    with pytest.raises(TrainingConfigError, match="numeric inputs"):
        Trainer(text, data, None, options(max_epochs=1, adversarial_epsilon=0.1)).run()


def test_options_without_adversarial_training_are_written_as_before() -> None:
    from designer.training.options import TrainingOptions

    plain = TrainingOptions().to_dict()
    assert "adversarial_epsilon" not in plain and "adversarial_ratio" not in plain
    assert TrainingOptions.from_dict(plain) == TrainingOptions()
    mixed = TrainingOptions(adversarial_epsilon=0.1, adversarial_ratio=0.25)
    assert TrainingOptions.from_dict(mixed.to_dict()) == mixed
