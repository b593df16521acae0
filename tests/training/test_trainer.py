"""Trainer runs on tiny real Keras models: reporting, controls, guards, outputs, devices."""

from __future__ import annotations

import json
import os
import threading
import time

import keras
import numpy as np
import pytest

from designer.training import Status, Trainer, TrainingOptions, TrainingSink
from designer.training.recording import RecordingSink

from .util import blobs, classifier, weights_of

FAST = {
    "solver": "adam",
    "initial_learn_rate": 0.01,
    "mini_batch_size": 16,
    "l2_regularization": 0.0,
}


def opts(**kw) -> TrainingOptions:
    return TrainingOptions(**{**FAST, **kw})


def test_metrics_arrive_in_order_and_batch_values_recover_epoch_means():
    x, y = blobs(100)
    sink = RecordingSink()
    result = Trainer(
        classifier(),
        (x, y),
        (x[:40], y[:40]),
        opts(max_epochs=2, validation_frequency=4, shuffle="never"),
        sink,
    ).run()
    it = np.array(sink.iterations)
    assert list(it) == list(range(1, 15))  # ceil(100/16) = 7 per epoch
    assert [s.status for s in sink.statuses] == [Status.STARTING, Status.RUNNING, Status.FINISHED]
    assert list(sink.val_iterations) == [4, 8, 12, 14]
    assert sink.infos[0].iterations_per_epoch == 7 and sink.infos[0].total_iterations == 14
    # Per-batch values weighted by batch sizes give back Keras' epoch mean.
    sizes = np.array([16] * 6 + [4])
    for epoch in range(2):
        batch_loss = np.array(sink.loss)[epoch * 7 : (epoch + 1) * 7]
        assert np.isclose((batch_loss * sizes).sum() / 100, result.epochs[epoch]["loss"], rtol=1e-4)
        acc = np.array(sink.metrics["accuracy"])[epoch * 7 : (epoch + 1) * 7]
        assert np.isclose((acc * sizes).sum() / 100, result.epochs[epoch]["accuracy"], atol=1e-4)
    assert result.status == "finished" and result.stop_reason == "max_epochs"
    assert result.final["val_loss"] == sink.val_metrics["loss"][-1]
    assert sink.last_point.eta == 0 and sink.last_point.samples_per_second > 0


def test_result_is_json_and_writes_csv(tmp_path):
    x, y = blobs(64)
    result = Trainer(
        classifier(), (x, y), (x, y), opts(max_epochs=2, validation_frequency="epoch")
    ).run()
    data = json.loads(result.to_json())
    assert data["stop_reason"] == "max_epochs" and len(data["epochs"]) == 2
    assert set(result.summary()) >= {"epochs", "final", "best", "seconds", "samples_per_second"}
    assert result.best["val_loss"]["value"] <= result.epochs[0]["val_loss"]
    result.write_csv(str(tmp_path / "epochs.csv"))
    result.write_csv(str(tmp_path / "iters.csv"), level="iteration")
    lines = (tmp_path / "epochs.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,iteration,learning_rate") and "val_loss" in lines[0]
    assert len(lines) == 3
    assert len((tmp_path / "iters.csv").read_text().splitlines()) == 1 + 8


class StopAfter(TrainingSink):
    def __init__(self, k: int, action):
        self.k, self.action, self.points = k, action, []

    def on_iteration(self, point):
        self.points.append(point)
        if point.iteration == self.k:
            self.action()


def test_stop_from_sink_mid_epoch_keeps_network():
    x, y = blobs(160)
    model = classifier()
    before = weights_of(model, "out")
    trainer = Trainer(model, (x, y), None, opts(max_epochs=5))
    sink = StopAfter(3, trainer.stop)
    trainer.sink = sink
    result = trainer.run()
    assert [p.iteration for p in sink.points] == [1, 2, 3]
    assert result.status == "stopped" and result.stop_reason == "stopped"
    assert "iteration 3" in result.message
    assert not np.array_equal(before[0], weights_of(model, "out")[0])


def test_stop_from_another_thread():
    x, y = blobs(400)
    started = threading.Event()

    class Signal(TrainingSink):
        def on_iteration(self, point):
            started.set()
            time.sleep(0.01)

    trainer = Trainer(classifier(), (x, y), None, opts(max_epochs=50), Signal())
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("r", trainer.run()))
    worker.start()
    assert started.wait(60)
    trainer.stop()
    worker.join(60)
    result = out["r"]
    assert result.stop_reason == "stopped"
    assert len(result.iterations["iteration"]) < 25 * 50


def test_pause_blocks_between_batches_and_resume_continues():
    x, y = blobs(64)
    stamps = {}
    trainer = Trainer(classifier(), (x, y), None, opts(max_epochs=1))

    class PauseAt2(RecordingSink):
        def on_iteration(self, point):
            super().on_iteration(point)
            stamps[point.iteration] = (time.perf_counter(), point.elapsed)
            if point.iteration == 2:
                trainer.pause()
                threading.Timer(0.6, trainer.resume).start()

    sink = PauseAt2()
    trainer.sink = sink
    result = trainer.run()
    statuses = [s.status for s in sink.statuses]
    assert statuses == [
        Status.STARTING,
        Status.RUNNING,
        Status.PAUSED,
        Status.RUNNING,
        Status.FINISHED,
    ]
    assert stamps[3][0] - stamps[2][0] >= 0.55  # really waited
    assert stamps[3][1] - stamps[2][1] < 0.5  # pause not counted as training time
    assert result.status == "finished" and len(stamps) == 4


def test_early_stopping_restores_best():
    x, y = blobs(96, classes=2)
    # Validation labels are the opposite of the training labels: val loss only gets worse.
    model = classifier(classes=2)
    result = Trainer(
        model,
        (x, y),
        (x, 1 - y),
        opts(max_epochs=30, validation_frequency="epoch", validation_patience=2, shuffle="never"),
    ).run()
    assert result.stop_reason == "early_stopping" and result.status == "stopped"
    assert len(result.epochs) == 3
    best = result.best["val_loss"]["value"]
    assert best == result.epochs[0]["val_loss"]
    model.compile(loss="sparse_categorical_crossentropy")
    assert np.isclose(
        model.evaluate(x, 1 - y, verbose=0, return_dict=True)["loss"], best, rtol=1e-4
    )


def test_checkpoints_every_n_epochs_and_best_only(tmp_path):
    x, y = blobs(48)
    Trainer(
        classifier(),
        (x, y),
        None,
        opts(max_epochs=4, checkpoint_dir=str(tmp_path / "a"), checkpoint_every=2),
    ).run()
    assert sorted(os.listdir(tmp_path / "a")) == ["epoch_002.keras", "epoch_004.keras"]
    reloaded = keras.saving.load_model(str(tmp_path / "a" / "epoch_004.keras"))
    assert reloaded.output_shape == (None, 3)
    Trainer(
        classifier(),
        (x, y),
        (x, y),
        opts(
            max_epochs=2,
            validation_frequency="epoch",
            checkpoint_dir=str(tmp_path / "b"),
            checkpoint_best_only=True,
        ),
    ).run()
    assert os.listdir(tmp_path / "b") == ["best.keras"]


def regressor() -> keras.Model:
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])


def test_nan_in_data_stops_with_explanation():
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = x[:, :1].copy()
    y[3, 0] = np.nan
    sink = RecordingSink()
    result = Trainer(regressor(), (x, y), None, opts(max_epochs=3, shuffle="never"), sink).run()
    assert result.stop_reason == "nan" and result.status == "failed"
    assert "iteration 1" in result.message and "learning rate" in result.message
    assert list(sink.iterations) == [1]
    assert sink.statuses[-1].status == Status.FAILED


def test_huge_learning_rate_is_caught():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 4)).astype("float32") * 100
    y = (x.sum(axis=1, keepdims=True) * 100).astype("float32")
    result = Trainer(
        regressor(),
        (x, y),
        None,
        TrainingOptions(solver="sgdm", initial_learn_rate=10.0, max_epochs=20, mini_batch_size=16),
    ).run()
    assert result.stop_reason == "nan"
    assert "NaN" in result.message or "infinite" in result.message


def test_regression_task_learns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="y")])
    result = Trainer(
        model,
        (x, y),
        (x, y),
        opts(max_epochs=15, initial_learn_rate=0.05, validation_frequency="epoch"),
    ).run()
    assert "rmse" in result.final and "accuracy" not in result.final
    assert result.final["val_rmse"] < 0.5 * result.epochs[0]["val_rmse"]


def test_two_output_network_reports_per_output():
    x, y = blobs(64)
    keras.utils.set_random_seed(0)
    inp = keras.Input((6,))
    h = keras.layers.Dense(8, activation="relu")(inp)
    cls = keras.layers.Dense(3, activation="softmax", name="cls")(h)
    reg = keras.layers.Dense(1, name="reg")(h)
    model = keras.Model(inp, [cls, reg])
    target = x[:, :1] * 2.0
    sink = RecordingSink()
    result = Trainer(
        model,
        (x, {"cls": y, "reg": target}),
        (x, {"cls": y, "reg": target}),
        opts(max_epochs=2, validation_frequency="epoch"),
        sink,
    ).run()
    assert {"cls_loss", "reg_loss", "cls_accuracy", "reg_rmse"} <= set(sink.metrics)
    assert {"cls_loss", "reg_rmse", "cls_accuracy"} <= set(sink.val_metrics)
    assert sink.infos[0].outputs == ["cls", "reg"] and "reg_rmse" in sink.infos[0].metrics
    assert result.status == "finished"


def test_failure_inside_fit_is_reported_with_memory_hint():
    x, y = blobs(32)

    class Boom(TrainingSink):
        def on_iteration(self, point):
            raise MemoryError("simulated allocation failure")

    result = Trainer(classifier(), (x, y), None, opts(max_epochs=1), Boom()).run()
    assert result.stop_reason == "out_of_memory" and result.status == "failed"
    assert "smaller mini-batch" in result.message


def test_dataset_input_and_tensorboard(tmp_path):
    import tensorflow as tf

    x, y = blobs(64)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    sink = RecordingSink()
    result = Trainer(
        classifier(),
        ds,
        ds,
        opts(
            max_epochs=2,
            validation_frequency="epoch",
            schedule="cosine",
            tensorboard_dir=str(tmp_path / "tb"),
        ),
        sink,
    ).run()
    assert sink.infos[0].iterations_per_epoch == 4 and sink.infos[0].batch_size == 16
    assert result.samples_per_second > 0 and len(sink.iterations) == 8
    assert sink.learning_rate[0] == pytest.approx(0.01) and sink.learning_rate[-1] < 0.002
    assert any("events" in f for _, _, fs in os.walk(tmp_path / "tb") for f in fs)


def test_mirrored_strategy_on_cpu_trains_original_model():
    x, y = blobs(64)
    model = classifier()
    before = weights_of(model, "hidden")
    trainer = Trainer(
        model,
        (x, y),
        None,
        opts(max_epochs=1, execution_environment="multi-gpu", devices=["/cpu:0"]),
    )
    result = trainer.run()
    assert trainer.plan.strategy == "mirrored" and "MirroredStrategy" in result.device
    assert result.status == "finished"
    assert not np.array_equal(before[0], weights_of(model, "hidden")[0])


def test_l2_regularisation_raises_loss_and_is_removed_afterwards():
    x, y = blobs(32)
    plain = Trainer(classifier(), (x, y), None, opts(max_epochs=1, shuffle="never")).run()
    model = classifier()
    heavy = Trainer(
        model,
        (x, y),
        None,
        opts(max_epochs=1, shuffle="never", l2_regularization=10.0, l2_factors={"out": 0.0}),
    ).run()
    assert heavy.iterations["loss"][0] > plain.iterations["loss"][0] + 1.0
    assert all(v.regularizer is None for v in model.trainable_weights)


def test_config_errors_are_clear():
    x, y = blobs(32)
    with pytest.raises(ValueError, match="validation data"):
        Trainer(classifier(), (x, y), None, opts(validation_patience=3)).run()
    with pytest.raises(ValueError, match="classification output"):
        Trainer(classifier(), (x, y), None, opts(losses={"out": "mse"}, metrics=["accuracy"])).run()


def test_mixed_precision_trains_a_half_precision_clone_and_copies_back():
    x, y = blobs(32)
    model = classifier()
    before = weights_of(model, "hidden")
    trainer = Trainer(model, (x, y), None, opts(max_epochs=1, mixed_precision="bfloat16"))
    assert trainer.run().status == "finished"
    work = trainer.working_model
    assert work is not model and work.get_layer("hidden").dtype_policy.name == "mixed_bfloat16"
    assert work.get_layer("out").dtype_policy.name == "float32"
    assert model.get_layer("hidden").dtype_policy.name == "float32"
    assert not np.array_equal(before[0], weights_of(model, "hidden")[0])


def test_pydataset_input():
    x, y = blobs(64)

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 16 : (i + 1) * 16], y[i * 16 : (i + 1) * 16]

    sink = RecordingSink()
    result = Trainer(
        classifier(), Batches(), Batches(), opts(max_epochs=2, validation_frequency=3), sink
    ).run()
    assert result.status == "finished" and sink.infos[0].iterations_per_epoch == 4
    assert list(sink.val_iterations) == [3, 6, 8]
