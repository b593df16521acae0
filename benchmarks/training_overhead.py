"""Overhead of the Trainer with a GUI-like sink against a plain ``model.fit`` script.

Same small CNN (same initial weights), same 10,000 generated 28x28 images, same batch size
and optimizer; runs alternate (plain, trainer, plain, ...). Throughput is measured over
epochs 2..E (epoch 1 includes graph tracing in both). Prints both and their ratio (target
>= 0.97).

    .venv/bin/python benchmarks/training_overhead.py [--runs 3] [--epochs 3]
    .venv/bin/python benchmarks/training_overhead.py --feature-extraction
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras
import numpy as np

from designer.training import RecordingSink, Trainer, TrainingOptions
from designer.training.features import measure_feature_speedup

BATCH = 128


def make_data(n: int = 10_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Generated 28x28 images: class k has a bright bar at a class-specific place, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    x = rng.normal(0, 0.3, size=(n, 28, 28, 1)).astype("float32")
    for k in range(10):
        rows = slice(2 + 2 * k, 5 + 2 * k)
        x[y == k, rows, 4:24, 0] += 1.0
    return x, y.astype("int64")


def make_cnn() -> keras.Model:
    """Conv(8)-Pool-Conv(16)-Pool-Flatten-Dense(10, softmax)."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(8, 3, activation="relu")(inp)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Conv2D(16, 3, activation="relu")(h)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.Flatten()(h)
    out = keras.layers.Dense(10, activation="softmax")(h)
    return keras.Model(inp, out)


def fresh(template: keras.Model) -> keras.Model:
    model = keras.models.clone_model(template)
    model.set_weights(template.get_weights())
    return model


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


class EpochClock(keras.callbacks.Callback):
    """Wall and CPU time at each epoch end (no batch hooks, so no per-batch work)."""

    def __init__(self) -> None:
        super().__init__()
        self.ends: list[tuple[float, float]] = []

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(_clock())


class GuiLikeSink(RecordingSink):
    """Records every point, redraws (snapshots) at most every 0.1 s; clocks epoch ends."""

    def __init__(self) -> None:
        super().__init__(on_update=lambda s: s.snapshot(), min_interval=0.1)
        self.ends: list[tuple[float, float]] = []

    def on_epoch(self, summary):
        self.ends.append(_clock())
        super().on_epoch(summary)


def _rates(n: int, epochs: int, ends: list[tuple[float, float]]) -> tuple[float, float]:
    """(samples per wall second, samples per CPU second) over epochs 2..E."""
    samples = n * (epochs - 1)
    return samples / (ends[-1][0] - ends[0][0]), samples / (ends[-1][1] - ends[0][1])


def run_plain(template, x, y, epochs) -> tuple[float, float]:
    """Throughput of a plain fit over epochs 2..E."""
    model = fresh(template)
    model.compile(
        optimizer=keras.optimizers.Adam(0.001),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    clock = EpochClock()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True, callbacks=[clock])
    return _rates(len(x), epochs, clock.ends)


def run_trainer(template, x, y, epochs) -> tuple[float, float]:
    """Throughput of the Trainer with a recording, throttled sink over epochs 2..E."""
    model = fresh(template)
    sink = GuiLikeSink()
    options = TrainingOptions(
        solver="adam",
        initial_learn_rate=0.001,
        mini_batch_size=BATCH,
        max_epochs=epochs,
        shuffle="every-epoch",
        l2_regularization=0.0,
        metrics=["accuracy"],
    )
    Trainer(model, (x, y), None, options, sink).run()
    assert len(sink.iterations) == epochs * int(np.ceil(len(x) / BATCH))
    return _rates(len(x), epochs, sink.ends)


def callback_cost(calls: int = 20_000) -> float:
    """Microseconds per iteration spent in the progress callback + GUI-like sink alone."""
    from designer.training.callback import ProgressCallback, TrainingControl

    cb = ProgressCallback(
        GuiLikeSink(),
        TrainingControl(),
        epochs=1,
        iterations_per_epoch=calls,
        batch_size=BATCH,
        num_samples=calls * BATCH,
        learning_rate=lambda i: 0.001,
    )
    cb.set_model(make_cnn())
    cb.on_train_begin()
    cb.on_epoch_begin(0)
    logs = {"loss": 0.5, "accuracy": 0.8}
    t = time.perf_counter()
    for b in range(calls):
        cb.on_train_batch_end(b, logs)
    return (time.perf_counter() - t) / calls * 1e6


def overhead(runs: int, epochs: int) -> None:
    x, y = make_data()
    template = make_cnn()
    plain, trainer = [], []
    for r in range(runs):
        # Alternate which goes first, so warm-up and load drift hit both alike.
        order = (run_plain, run_trainer) if r % 2 == 0 else (run_trainer, run_plain)
        for fn in order:
            (plain if fn is run_plain else trainer).append(fn(template, x, y, epochs))
        print(
            f"run {r + 1}: plain fit {plain[-1][0]:7.0f}/s wall {plain[-1][1]:7.0f}/s CPU | "
            f"trainer+sink {trainer[-1][0]:7.0f}/s wall {trainer[-1][1]:7.0f}/s CPU",
            flush=True,
        )
    cost = callback_cost()
    batch_us = BATCH / statistics.median(r[0] for r in plain) * 1e6
    print(
        f"callback + sink cost: {cost:.1f} us per iteration = {cost / batch_us:.2%} of a "
        f"{batch_us / 1000:.1f} ms batch"
    )
    for i, what in ((0, "wall"), (1, "CPU")):
        p = statistics.median(r[i] for r in plain)
        t = statistics.median(r[i] for r in trainer)
        print(
            f"median samples per {what} second: plain model.fit {p:7.0f}, Trainer + sink "
            f"{t:7.0f}; ratio {t / p:.3f} (target >= 0.97)"
        )


def feature_extraction(epochs: int) -> None:
    """Speed-up of training the head on features computed once vs. a frozen backbone."""
    x, y = make_data(4000)
    keras.utils.set_random_seed(0)
    inp = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(16, 3, activation="relu")(inp)
    h = keras.layers.Conv2D(32, 3, activation="relu")(h)
    h = keras.layers.Conv2D(32, 3, activation="relu")(h)
    h = keras.layers.GlobalAveragePooling2D(name="backbone_end")(h)
    h = keras.layers.Dense(32, activation="relu")(h)
    out = keras.layers.Dense(10, activation="softmax")(h)
    model = keras.Model(inp, out)
    options = TrainingOptions(
        solver="adam", mini_batch_size=BATCH, max_epochs=epochs, l2_regularization=0.0
    )
    f = measure_feature_speedup(model, "backbone_end", (x, y), options)
    print(
        f"frozen backbone, {epochs} epochs: {f['full_seconds']:.2f} s; features once + head: "
        f"{f['feature_seconds']:.2f} s; speed-up {f['speedup']:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--feature-extraction", action="store_true")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs expects at least 2 (epoch 1 includes tracing)")
    if args.feature_extraction:
        feature_extraction(args.epochs)
    else:
        overhead(args.runs, args.epochs)


if __name__ == "__main__":
    main()
