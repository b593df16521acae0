"""Per-layer learn-rate factors are applied for real during training."""

from __future__ import annotations

import keras
import numpy as np

from designer.training import Trainer, TrainingOptions
from designer.training.optim import LRFactorMixin

from .util import blobs, classifier, weights_of


def sgd(**kw) -> TrainingOptions:
    base = {
        "solver": "sgdm",
        "momentum": 0.0,
        "initial_learn_rate": 0.1,
        "mini_batch_size": 32,
        "max_epochs": 1,
        "shuffle": "never",
        "l2_regularization": 0.0,
    }
    return TrainingOptions(**{**base, **kw})


def one_step(factors: dict, solver_kw: dict | None = None):
    """Train one batch from the same start; return (before, after) of both layers."""
    x, y = blobs(32)
    model = classifier(seed=3)
    before = {n: weights_of(model, n) for n in ("hidden", "out")}
    Trainer(model, (x, y), None, sgd(lr_factors=factors, **(solver_kw or {}))).run()
    after = {n: weights_of(model, n) for n in ("hidden", "out")}
    return model, before, after


def test_factor_zero_is_bit_identical_and_factor_one_changes():
    model, before, after = one_step({"hidden": (0.0, 0.0)})
    assert isinstance(model.optimizer, LRFactorMixin)
    for b, a in zip(before["hidden"], after["hidden"], strict=True):
        assert np.array_equal(b, a)
    for b, a in zip(before["out"], after["out"], strict=True):
        assert not np.array_equal(b, a)


def test_factor_tenth_moves_a_tenth_under_plain_sgd():
    _, b1, a1 = one_step({})
    _, b2, a2 = one_step({"hidden": (0.1, 0.1)})
    for full_b, full_a, tenth_b, tenth_a in zip(
        b1["hidden"], a1["hidden"], b2["hidden"], a2["hidden"], strict=True
    ):
        assert np.array_equal(full_b, tenth_b)  # same start
        step_full, step_tenth = full_a - full_b, tenth_a - tenth_b
        assert np.abs(step_full).max() > 1e-4
        np.testing.assert_allclose(step_tenth, 0.1 * step_full, rtol=1e-3, atol=1e-7)
    # The other layer, at factor 1, takes the same step in both runs.
    np.testing.assert_allclose(a1["out"][0], a2["out"][0], rtol=1e-5)


def test_weight_and_bias_factors_are_separate_and_work_with_adam():
    _, before, after = one_step({"out": (1.0, 0.0)}, {"solver": "adam"})
    kernel_b, bias_b = before["out"]
    kernel_a, bias_a = after["out"]
    assert np.array_equal(bias_a, bias_b) and not np.array_equal(kernel_a, kernel_b)


def test_model_with_factor_optimizer_saves_and_loads(tmp_path):
    model, _, _ = one_step({"hidden": (0.5, 0.5)})
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.optimizer.lr_factors == model.optimizer.lr_factors
