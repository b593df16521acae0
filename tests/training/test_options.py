"""Options validation and round trip, task inference, schedules, devices and backends."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from designer.training import (
    OptionsError,
    TrainingOptions,
    available_backends,
    default_loss_for,
    describe_outputs,
    infer_task,
    plan_devices,
)
from designer.training.environment import check_backend, list_devices
from designer.training.optim import TrainingSchedule


def test_defaults_follow_matlab_and_round_trip_through_json():
    o = TrainingOptions()
    assert (o.solver, o.initial_learn_rate, o.momentum, o.mini_batch_size, o.max_epochs) == (
        "sgdm",
        0.01,
        0.9,
        128,
        30,
    )
    o2 = TrainingOptions(
        solver="adamw",
        schedule="piecewise",
        lr_factors={"fc": (0.0, 0.5)},
        metrics=["accuracy", "top5_accuracy"],
        validation_frequency="epoch",
        devices=["/cpu:0"],
        losses={"out": "mae"},
    )
    back = TrainingOptions.from_dict(json.loads(json.dumps(o2.to_dict())))
    assert back == o2 and back.lr_factors["fc"] == (0.0, 0.5)


def test_invalid_options_list_every_problem_with_expected_and_received():
    with pytest.raises(OptionsError) as err:
        TrainingOptions(solver="sgd", mini_batch_size=0, momentum=1.5, lr_factors={"a": (1, -1)})
    text = str(err.value)
    assert "solver: expected one of sgdm, adam" in text and "received 'sgd'" in text
    assert "mini_batch_size: expected an integer >= 1, received 0" in text
    assert "momentum" in text and "lr_factors['a']" in text
    with pytest.raises(OptionsError, match="validation_frequency"):
        TrainingOptions(validation_frequency="often")
    with pytest.raises(OptionsError, match="Unknown training option"):
        TrainingOptions.from_dict({"epochs": 3})
    with pytest.raises(OptionsError, match="newer"):
        TrainingOptions.from_dict({"version": 99})
    with pytest.raises(OptionsError, match="initial_learn_rate"):
        TrainingOptions().replace(initial_learn_rate=-1.0)


def _model(last, input_shape=(4,)):
    inp = keras.Input(input_shape)
    return keras.Model(inp, last(inp))


def test_task_inference_from_output_layer():
    soft = _model(lambda t: keras.layers.Dense(5, activation="softmax", name="o")(t))
    assert infer_task(soft) == "classification" and not describe_outputs(soft)[0].from_logits
    assert default_loss_for(soft) == {"o": "sparse_categorical_crossentropy"}
    assert default_loss_for(soft, sparse_labels=False) == {"o": "categorical_crossentropy"}
    separate = _model(lambda t: keras.layers.Activation("softmax")(keras.layers.Dense(3)(t)))
    assert infer_task(separate) == "classification"
    binary = _model(lambda t: keras.layers.Dense(1, activation="sigmoid")(t))
    assert infer_task(binary) == "binary" and default_loss_for(binary) == {
        binary.output_names[0]: "binary_crossentropy"
    }
    reg = _model(lambda t: keras.layers.Dense(1)(t))
    assert infer_task(reg) == "regression"
    assert list(default_loss_for(reg).values()) == ["mse"]
    logits = _model(lambda t: keras.layers.Dense(4, name="logits")(t))
    assert describe_outputs(logits)[0].from_logits
    assert default_loss_for(logits, "classification") == {
        "logits": "sparse_categorical_crossentropy"
    }
    seg = _model(lambda t: keras.layers.Conv2D(3, 1, activation="softmax")(t), (8, 8, 2))
    assert infer_task(seg) == "segmentation"
    with pytest.raises(ValueError, match="Expected a task"):
        default_loss_for(reg, "clustering")


@pytest.mark.parametrize("kind", ["none", "piecewise", "cosine", "exponential"])
def test_schedule_python_mirror_matches_tensor_formula(kind):
    s = TrainingSchedule(
        0.1,
        kind,
        steps_per_epoch=10,
        total_steps=100,
        warmup_steps=5,
        drop_factor=0.5,
        drop_period=2,
        decay_rate=0.8,
        min_learn_rate=0.001,
    )
    steps = [0, 4, 5, 14, 25, 60, 99]
    tensor = [float(s(np.array(k))) for k in steps]
    np.testing.assert_allclose(tensor, [s.at(k) for k in steps], rtol=1e-5)
    assert s.at(0) == pytest.approx(0.02) and s.at(4) == pytest.approx(0.1)


def test_devices_and_backends_are_reported():
    devices = list_devices()
    assert "/cpu:0" in devices["cpu"]
    plan = plan_devices("auto")
    assert plan.strategy == "default" and plan.message
    mirrored = plan_devices("multi-gpu", ["/cpu:0"])
    assert mirrored.strategy == "mirrored" and mirrored.devices == ["/cpu:0"]
    if not devices["gpu"]:
        with pytest.raises(RuntimeError, match="expects a GPU"):
            plan_devices("gpu")
    with pytest.raises(RuntimeError, match="Expected devices among"):
        plan_devices("multi-gpu", ["/gpu:7"])
    backends = available_backends()
    assert backends["tensorflow"] is True
    check_backend("tensorflow")
    with pytest.raises(RuntimeError, match="KERAS_BACKEND|not installed"):
        check_backend("jax" if keras.config.backend() != "jax" else "torch")
