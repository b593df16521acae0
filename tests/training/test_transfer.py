"""Two-phase transfer learning and feature extraction on a tiny backbone with BatchNorm."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from designer.training import TrainingOptions
from designer.training.features import measure_feature_speedup, train_head_on_features
from designer.training.recording import RecordingSink
from designer.training.transfer import TwoPhaseTrainer

from .util import blobs

BACKBONE = ("conv", "bn", "pool")


def tiny_cnn(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inp = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inp)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.GlobalAveragePooling2D(name="pool")(h)
    h = keras.layers.Dense(6, activation="relu", name="fc")(h)
    out = keras.layers.Dense(3, activation="softmax", name="out")(h)
    return keras.Model(inp, out)


def images(n: int = 64):
    x, y = blobs(n, features=64)
    return x.reshape(n, 8, 8, 1), y


def state(model, names):
    return {n: [np.array(w) for w in model.get_layer(n).get_weights()] for n in names}


def same(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


OPTS = TrainingOptions(
    solver="adam",
    initial_learn_rate=0.01,
    mini_batch_size=16,
    l2_regularization=0.0,
    validation_frequency="epoch",
)


def test_two_phase_freezes_then_fine_tunes_with_continuous_iterations():
    x, y = images()
    model = tiny_cnn()
    start = state(model, BACKBONE + ("out",))
    snapshots = {}

    class Spy(RecordingSink):
        def on_phase(self, event):
            super().on_phase(event)
            snapshots[event.name] = state(model, BACKBONE + ("out",))

    sink = Spy()
    trainer = TwoPhaseTrainer(
        model, (x, y), (x, y), OPTS, frozen="pool", phase1_epochs=2, phase2_epochs=2, sink=sink
    )
    result = trainer.run()
    after1 = snapshots["fine-tune"]
    for n in BACKBONE:  # conv kernel, BN gamma/beta and moving statistics untouched
        assert same(start[n], after1[n]), n
    assert not same(start["out"], after1["out"])
    end = state(model, BACKBONE)
    assert not same(after1["conv"], end["conv"])  # phase 2 trains the backbone
    assert same(after1["bn"], end["bn"])  # BatchNorm kept frozen in inference mode
    its = list(sink.iterations)
    assert its == list(range(1, 17))  # 4 per epoch, 2 + 2 epochs, continuous
    assert [(p.name, p.first_iteration) for p in sink.phases] == [("frozen", 1), ("fine-tune", 9)]
    assert sink.learning_rate[8] == pytest.approx(0.001) and sink.learning_rate[0] == pytest.approx(
        0.01
    )
    assert [s.status.value for s in sink.statuses] == [
        "starting",
        "running",
        "running",
        "running",
        "finished",
    ]
    assert [e.epoch for e in sink.epochs] == [1, 2, 3, 4]
    assert result.phase2 is not None and result.last.status == "finished"
    assert all(la.trainable for la in model.layers)  # flags restored


def test_unfreeze_last_n_only_unfreezes_the_tail():
    x, y = images(32)
    model = tiny_cnn()
    trainer = TwoPhaseTrainer(
        model,
        (x, y),
        None,
        OPTS.replace(validation_frequency=50),
        frozen=["conv", "bn"],
        phase1_epochs=1,
        phase2_epochs=1,
        unfreeze_last=4,
    )
    assert [la.name for la in trainer.phase2_layers()] == ["bn"]
    before = state(model, ("conv",))
    trainer.run()
    assert same(before["conv"], state(model, ("conv",))["conv"])


def test_feature_extraction_trains_head_and_writes_back_into_full_model():
    x, y = images()
    model = tiny_cnn()
    before = state(model, BACKBONE + ("fc", "out"))
    result = train_head_on_features(model, "pool", (x, y), (x, y), OPTS.replace(max_epochs=3))
    after = state(model, BACKBONE + ("fc", "out"))
    assert all(same(before[n], after[n]) for n in BACKBONE)
    assert not same(before["out"], after["out"]) and not same(before["fc"], after["fc"])
    assert result.status == "finished" and len(result.epochs) == 3
    # The full model now scores what the head scored on the features.
    model.compile(loss="sparse_categorical_crossentropy")
    loss = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert loss == pytest.approx(result.final["val_loss"], rel=1e-4)
    assert all(la.trainable for la in model.layers)


def test_feature_extraction_refuses_augmentation_and_measures_speedup():
    x, y = images(32)
    keras.utils.set_random_seed(0)
    inp = keras.Input((8, 8, 1))
    h = keras.layers.RandomFlip(name="flip")(inp)
    h = keras.layers.Flatten(name="flat")(h)
    model = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(h))
    with pytest.raises(ValueError, match="augmentation layers \\['flip'\\]"):
        train_head_on_features(model, "flat", (x, y))
    with pytest.raises(ValueError, match="data is augmented"):
        train_head_on_features(tiny_cnn(), "pool", (x, y), augmented=True)
    cnn = tiny_cnn()
    start = cnn.get_weights()
    figures = measure_feature_speedup(cnn, "pool", (x, y), OPTS.replace(max_epochs=1))
    assert figures["full_seconds"] > 0 and figures["feature_seconds"] > 0
    assert all(np.array_equal(a, b) for a, b in zip(start, cnn.get_weights(), strict=True))
