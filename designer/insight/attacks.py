"""FGSM and PGD (L-inf) attacks on a Keras classifier, on NumPy batches. No Qt.

The loss is the model's classification loss on the labels: sparse categorical cross-entropy
(binary cross-entropy for a one-unit output), from logits or from probabilities as the output
is; gradients with respect to the inputs come from ``tf.GradientTape``. A softmax output is
differentiated through its logits (Keras keeps them on the tensor), so confident predictions
still give a gradient. Epsilon is a fraction of the width of the :class:`ValueRange`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_STEPS = 10  # PGD iterations


class RobustnessError(ValueError):
    """The model or the data cannot be attacked as asked (one sentence for the user)."""


@dataclass(frozen=True)
class ValueRange:
    """The valid values of the network's input: scalars, or one per channel (last axis)."""

    low: Any = 0.0
    high: Any = 1.0

    @property
    def width(self) -> np.ndarray:
        """high - low (what an epsilon of 1 means)."""
        return np.asarray(self.high, np.float32) - np.asarray(self.low, np.float32)

    def clip(self, x: np.ndarray) -> np.ndarray:
        """``x`` clipped into the range."""
        return np.clip(x, np.asarray(self.low, np.float32), np.asarray(self.high, np.float32))

    def including(self, x: np.ndarray) -> ValueRange:
        """The range widened, where needed, to hold the values of ``x`` (so that clipping
        never moves a clean sample)."""
        axes = tuple(range(x.ndim - np.ndim(self.low))) if x.size else ()
        lo = np.minimum(self.low, x.min(axis=axes)) if x.size else self.low
        hi = np.maximum(self.high, x.max(axis=axes)) if x.size else self.high
        return ValueRange(json_numbers(lo), json_numbers(hi))

    def to_list(self) -> list[Any]:
        """[low, high] as JSON numbers (lists of them for a per-channel range)."""
        return [json_numbers(self.low), json_numbers(self.high)]


def json_numbers(value: Any) -> Any:
    """A scalar or an array as a JSON number or a list of them."""
    arr = np.asarray(value, np.float64)
    return float(arr) if arr.ndim == 0 else [float(v) for v in arr.ravel()]


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Classifier:
    """What the attacks need to know about a model: classes and whether it gives logits."""

    model: Any
    units: int
    from_logits: bool

    def loss(self, pred: Any, labels: Any) -> Any:
        """Summed per-sample loss of the predictions (a TensorFlow scalar)."""
        import keras
        import tensorflow as tf

        if self.units == 1:
            target = tf.cast(tf.reshape(labels, (-1, 1)), pred.dtype)
            per = keras.ops.binary_crossentropy(target, pred, from_logits=self.from_logits)
        else:
            per = keras.ops.sparse_categorical_crossentropy(
                labels, pred, from_logits=self.from_logits
            )
        return tf.reduce_sum(tf.cast(per, tf.float32))

    def classes(self, pred: np.ndarray) -> np.ndarray:
        """Predicted class per row of model outputs."""
        if self.units == 1:
            return (pred[:, 0] > (0.0 if self.from_logits else 0.5)).astype(np.int64)
        return np.argmax(pred, axis=-1).astype(np.int64)


def classifier(
    model: Any, x: np.ndarray, y: np.ndarray
) -> tuple[Classifier, np.ndarray, np.ndarray]:
    """Check that ``model`` classifies ``x`` with labels ``y`` (class indices or one-hot rows);
    returns the classifier, ``x`` as float32 and the labels as int64. RobustnessError says in
    one sentence what does not fit."""
    name = getattr(model, "name", "the model")
    inputs, outputs = list(getattr(model, "inputs", None) or []), list(model.outputs or [])
    if len(inputs) != 1 or len(outputs) != 1:
        raise RobustnessError(
            f"The robustness analysis expects a network with one input and one output; "
            f"'{name}' has {len(inputs)} inputs and {len(outputs)} outputs"
        )
    dtype = str(getattr(inputs[0], "dtype", "float32"))
    if "float" not in dtype:
        raise RobustnessError(
            f"The robustness analysis perturbs numeric inputs (images or feature vectors); "
            f"the input of '{name}' takes {dtype} values, which cannot be perturbed"
        )
    out_shape = tuple(outputs[0].shape)
    if len(out_shape) != 2 or not out_shape[1]:
        raise RobustnessError(
            f"The robustness analysis expects a classification output shaped (batch, classes); "
            f"'{name}' outputs {out_shape}"
        )
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise RobustnessError(
            f"The robustness analysis expects numeric samples; received an array of {x.dtype}"
        )
    want = tuple(inputs[0].shape[1:])
    got = tuple(x.shape[1:])
    if len(want) != len(got) or any(
        w is not None and w != g for w, g in zip(want, got, strict=False)
    ):
        raise RobustnessError(
            f"The network's input expects samples shaped {want}, but the data gives {got}"
        )
    if len(x) == 0:
        raise RobustnessError("The robustness analysis needs at least one sample; received none")
    units = int(out_shape[1])
    labels = _labels(np.asarray(y), len(x), units)
    probe = np.asarray(model(x[: min(len(x), 64)].astype(np.float32), training=False))
    if units == 1:
        probabilities = bool(np.all((probe >= 0) & (probe <= 1)))
    else:
        sums = probe.sum(axis=-1)
        probabilities = bool(np.all(probe >= 0) and np.allclose(sums, 1.0, atol=1e-3))
    return Classifier(model, units, not probabilities), x.astype(np.float32), labels


def _labels(y: np.ndarray, n: int, units: int) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == max(units, 2) and units > 1:
        y = y.argmax(axis=1)  # one-hot rows
    elif y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != n:
        raise RobustnessError(
            f"The robustness analysis expects one class label (or one-hot row) per sample; "
            f"received labels shaped {y.shape} for {n} samples"
        )
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise RobustnessError(
            "The robustness analysis expects class labels; received fractional targets "
            "(a regression network cannot be attacked by accuracy)"
        )
    labels = y.astype(np.int64)
    top = max(units, 2)
    if labels.size and (labels.min() < 0 or labels.max() >= top):
        raise RobustnessError(
            f"The labels run from {labels.min()} to {labels.max()}, but the network has "
            f"{top} classes (0 to {top - 1})"
        )
    return labels


class AttackFunctions:
    """A classifier's prediction and input-gradient functions, traced once per run."""

    def __init__(self, clf: Classifier) -> None:
        import tensorflow as tf

        model = clf.model

        @tf.function(reduce_retracing=True)
        def predict(x: Any) -> Any:
            return model(x, training=False)

        @tf.function(reduce_retracing=True)
        def gradient(x: Any, labels: Any) -> Any:
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = clf.loss(model(x, training=False), labels)
            return tape.gradient(loss, x)

        self.clf = clf
        self._predict, self._gradient = predict, gradient

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted classes of a batch."""
        return self.clf.classes(np.asarray(self._predict(x)))

    def sign_gradient(self, x: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Sign of the loss gradient with respect to the inputs."""
        return np.sign(np.asarray(self._gradient(x, labels))).astype(np.float32)


# --- the attacks ----------------------------------------------------------------------------


def fgsm_batch(
    fns: AttackFunctions, x: np.ndarray, labels: np.ndarray, eps: np.ndarray, vrange: ValueRange
) -> np.ndarray:
    """One batch of FGSM examples (``eps`` in input units)."""
    return vrange.clip(x + eps * fns.sign_gradient(x, labels)).astype(np.float32)


def pgd_batch(
    fns: AttackFunctions,
    x: np.ndarray,
    labels: np.ndarray,
    eps: np.ndarray,
    vrange: ValueRange,
    steps: int,
    step: np.ndarray,
    random_start: bool,
    rng: np.random.Generator,
    tick: Callable[[], None],
) -> np.ndarray:
    """One batch of PGD examples (``eps`` and ``step`` in input units); ``tick`` after each
    step (progress and cancel)."""
    lo, hi = np.maximum(x - eps, vrange.low), np.minimum(x + eps, vrange.high)
    adv = x
    if random_start:
        adv = np.clip(x + rng.uniform(-1.0, 1.0, x.shape).astype(np.float32) * eps, lo, hi)
    for _ in range(steps):
        adv = np.clip(adv + step * fns.sign_gradient(adv, labels), lo, hi).astype(np.float32)
        tick()
    return adv


def attack_settings(
    x: np.ndarray, epsilon: float, vrange: ValueRange | None, steps: int, step_size: float | None
) -> tuple[ValueRange, np.ndarray, np.ndarray]:
    """(the range widened to hold ``x``, epsilon and PGD step in input units) for fractions
    of the range; the step defaults to 2.5 * epsilon / steps."""
    vrange = (vrange or ValueRange()).including(x)
    width = vrange.width
    eps = np.float32(epsilon) * width
    size = step_size if step_size is not None else 2.5 * epsilon / max(steps, 1)
    return vrange, eps.astype(np.float32), (np.float32(size) * width).astype(np.float32)


def fgsm(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    epsilon: float,
    value_range: ValueRange | None = None,
    batch_size: int = 128,
) -> np.ndarray:
    """FGSM adversarial examples: ``x + epsilon * sign(grad of the loss)``, clipped into the
    value range (default [0, 1]); epsilon is a fraction of the range's width."""
    clf, x, labels = classifier(model, x, y)
    vrange, eps, _ = attack_settings(x, epsilon, value_range, 1, None)
    fns = AttackFunctions(clf)
    parts = [
        fgsm_batch(fns, x[i : i + batch_size], labels[i : i + batch_size], eps, vrange)
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(parts).astype(np.float32)


def pgd(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    epsilon: float,
    value_range: ValueRange | None = None,
    steps: int = DEFAULT_STEPS,
    step_size: float | None = None,
    random_start: bool = True,
    seed: int = 0,
    batch_size: int = 128,
) -> np.ndarray:
    """PGD (L-inf) adversarial examples: ``steps`` signed-gradient steps of ``step_size``
    (default 2.5 * epsilon / steps), each projected back into the epsilon box around ``x`` and
    into the value range; from a random point of the box with ``random_start``."""
    clf, x, labels = classifier(model, x, y)
    vrange, eps, step = attack_settings(x, epsilon, value_range, steps, step_size)
    fns, rng = AttackFunctions(clf), np.random.default_rng(seed)
    parts = [
        pgd_batch(
            fns,
            x[i : i + batch_size],
            labels[i : i + batch_size],
            eps,
            vrange,
            steps,
            step,
            random_start,
            rng,
            lambda: None,
        )
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(parts).astype(np.float32)
