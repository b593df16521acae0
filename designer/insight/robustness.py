"""Adversarial robustness of a classifier: accuracy against epsilon under FGSM or PGD attacks.

No Qt. Works on a ``keras.Model`` and plain arrays; the CLI (``robustness``) and the GUI's
Adversarial Robustness window call :func:`accuracy_curve` with samples taken by
:func:`sample_arrays` from a datastore, preprocessed as for training. The attacks themselves
are :mod:`designer.insight.attacks`.

Epsilon is a fraction of the width of the input's value range (:class:`ValueRange`): for
images scaled to 0..1 that is the usual pixel scale (0.03 is about 8 of 255 grey levels), and
the same epsilon means the same change of the pixels whatever the preprocessing (-1..1,
``preprocess_input``...). Adversarial inputs stay inside the value range. Gradients are those
of the model's loss (sparse categorical cross-entropy on the labels; binary cross-entropy for
a one-unit output), taken with ``tf.GradientTape``; softmax outputs are differentiated
through their logits (Keras keeps them on the tensor), so confident predictions still give a
gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from designer.core.progress import CancelToken, ProgressEvent, ProgressReporter
from designer.data.base import Datastore
from designer.data.preprocess import PreprocessConfig, preprocess_input_for
from designer.insight.attacks import (
    DEFAULT_STEPS,
    AttackFunctions,
    RobustnessError,
    ValueRange,
    attack_settings,
    classifier,
    fgsm,
    fgsm_batch,
    json_numbers,
    pgd,
    pgd_batch,
)

__all__ = [
    "DEFAULT_EPSILONS",
    "METHODS",
    "ExamplePair",
    "RobustnessCurve",
    "RobustnessError",
    "ValueRange",
    "accuracy_curve",
    "fgsm",
    "parse_epsilons",
    "pgd",
    "sample_arrays",
    "value_range",
]

METHODS = ("fgsm", "pgd")
DEFAULT_EPSILONS = (0.0, 0.01, 0.03, 0.1)


def value_range(preprocess: PreprocessConfig | None, x: np.ndarray | None = None) -> ValueRange:
    """The input value range that ``preprocess`` produces from 0..255 images; for data without
    image preprocessing (None: tables, float arrays) the range of ``x``, [0, 1] without it."""
    if preprocess is None:
        if x is None or x.size == 0:
            return ValueRange(0.0, 1.0)
        lo, hi = float(np.min(x)), float(np.max(x))
        return ValueRange(lo, hi if hi > lo else lo + 1.0)
    mode = preprocess.rescale
    if mode == "unit":
        return ValueRange(0.0, 1.0)
    if mode == "symmetric":
        return ValueRange(-1.0, 1.0)
    if mode == "none":
        return ValueRange(0.0, 255.0)
    channels = preprocess.channels or 3
    fn = preprocess_input_for(preprocess.preprocess_module)
    ends = np.stack([np.zeros((1, 1, channels)), np.full((1, 1, channels), 255.0)])
    out = np.asarray(fn(ends.astype(np.float32)), np.float32).reshape(2, channels)
    lo, hi = out.min(axis=0), out.max(axis=0)
    if np.allclose(lo, lo[0]) and np.allclose(hi, hi[0]):
        return ValueRange(float(lo[0]), float(hi[0]))
    return ValueRange(json_numbers(lo), json_numbers(hi))


def parse_epsilons(text: str | Sequence[float]) -> list[float]:
    """Epsilons from "0, 0.01, 0.03" (or numbers), sorted without repeats; RobustnessError
    for anything that is not a number in [0, 1]."""
    items = text.replace(";", ",").split(",") if isinstance(text, str) else list(text)
    values: list[float] = []
    for item in items:
        if isinstance(item, str) and not item.strip():
            continue
        try:
            value = float(item)
        except (TypeError, ValueError):
            raise RobustnessError(
                f"expected epsilons as numbers separated by commas, e.g. 0,0.01,0.03; "
                f"received {item!r}"
            ) from None
        if not 0.0 <= value <= 1.0:
            raise RobustnessError(
                f"expected epsilons between 0 and 1 (fractions of the input's value range); "
                f"received {value:g}"
            )
        values.append(value)
    if not values:
        raise RobustnessError("expected at least one epsilon, e.g. 0,0.01,0.03,0.1")
    return sorted(set(values))


# --- the curve ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExamplePair:
    """One sample, clean and attacked at ``epsilon``, with the true and predicted classes."""

    index: int
    epsilon: float
    clean: np.ndarray
    adversarial: np.ndarray
    label: int
    clean_prediction: int
    adversarial_prediction: int

    @property
    def fooled(self) -> bool:
        """True when the attack changed a correct prediction."""
        return self.clean_prediction == self.label != self.adversarial_prediction


@dataclass(frozen=True)
class RobustnessCurve:
    """Accuracy under attack at each epsilon, the clean accuracy, and example pairs."""

    method: str
    epsilons: list[float]
    accuracy: list[float]
    clean_accuracy: float
    samples: int
    value_range: ValueRange
    steps: int = 1
    step_size: float | None = None
    examples: list[ExamplePair] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON: method, epsilons, accuracy, clean_accuracy (and the settings)."""
        out: dict[str, Any] = {
            "method": self.method,
            "epsilons": list(self.epsilons),
            "accuracy": list(self.accuracy),
            "clean_accuracy": self.clean_accuracy,
            "samples": self.samples,
            "value_range": self.value_range.to_list(),
        }
        if self.method == "pgd":
            out.update(steps=self.steps, step_size=self.step_size)
        return out

    def examples_at(self, epsilon: float) -> list[ExamplePair]:
        """The example pairs attacked at ``epsilon``."""
        return [e for e in self.examples if e.epsilon == epsilon]


def _reporter(
    progress: ProgressReporter | Callable[[ProgressEvent], None] | None, cancel: CancelToken | None
) -> ProgressReporter:
    if isinstance(progress, ProgressReporter):
        return progress
    return ProgressReporter(progress, cancel)


def accuracy_curve(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    epsilons: Sequence[float] = DEFAULT_EPSILONS,
    method: str = "fgsm",
    batch_size: int = 128,
    progress: ProgressReporter | Callable[[ProgressEvent], None] | None = None,
    cancel: CancelToken | None = None,
    *,
    value_range: ValueRange | None = None,
    steps: int = DEFAULT_STEPS,
    step_size: float | None = None,
    random_start: bool = True,
    seed: int = 0,
    examples: int = 8,
) -> RobustnessCurve:
    """Accuracy of ``model`` on ``(x, y)`` attacked with ``method`` at each epsilon.

    ``progress`` is a ProgressReporter (or a ProgressEvent callback) and ``cancel`` a
    CancelToken checked at every batch (and PGD step): Cancelled stops the work. Epsilon 0 is
    the clean accuracy. ``examples`` clean/adversarial pairs per epsilon are kept for a grid
    (samples the model gets right when clean, where there are enough).
    """
    if method not in METHODS:
        raise RobustnessError(f"expected a method among {', '.join(METHODS)}; received {method!r}")
    if batch_size < 1 or steps < 1:
        raise RobustnessError(
            f"expected a batch size and a number of steps of at least 1; received "
            f"{batch_size} and {steps}"
        )
    eps_list = parse_epsilons(list(epsilons))
    report = _reporter(progress, cancel)
    clf, x, labels = classifier(model, x, y)
    vrange = (value_range or ValueRange()).including(x)
    fns, rng = AttackFunctions(clf), np.random.default_rng(seed)
    starts = list(range(0, len(x), batch_size))
    per_batch = steps if method == "pgd" else 1
    total = len(starts) * (1 + per_batch * sum(1 for e in eps_list if e > 0))
    done = 0

    def tick(amount: int = 1) -> None:
        nonlocal done
        done += amount
        if cancel is not None:  # also when ``progress`` is a reporter with its own token
            cancel.check()
        report(done, total, "Attacking" if done > len(starts) else "Clean accuracy")

    report(0, total, "Clean accuracy", force=True)
    clean = np.empty(len(x), np.int64)
    for i in starts:
        clean[i : i + batch_size] = fns.predict(x[i : i + batch_size])
        tick()
    right = clean == labels
    clean_accuracy = float(right.mean())
    chosen = np.flatnonzero(right)[:examples]
    if len(chosen) < examples:
        chosen = np.concatenate([chosen, np.flatnonzero(~right)[: examples - len(chosen)]])
    accuracy: list[float] = []
    pairs: list[ExamplePair] = []
    for epsilon in eps_list:
        if epsilon == 0:
            accuracy.append(clean_accuracy)
            continue
        _, eps, step = attack_settings(x, epsilon, vrange, steps, step_size)
        adv_pred = np.empty(len(x), np.int64)
        kept: dict[int, np.ndarray] = {}
        for i in starts:
            xb, lb = x[i : i + batch_size], labels[i : i + batch_size]
            if method == "fgsm":
                adv = fgsm_batch(fns, xb, lb, eps, vrange)
                tick()
            else:
                adv = pgd_batch(fns, xb, lb, eps, vrange, steps, step, random_start, rng, tick)
            adv_pred[i : i + batch_size] = fns.predict(adv)
            for k in chosen[(chosen >= i) & (chosen < i + len(xb))]:
                kept[int(k)] = adv[int(k) - i]
        accuracy.append(float(np.mean(adv_pred == labels)))
        pairs.extend(
            ExamplePair(
                int(k), epsilon, x[k], kept[int(k)], int(labels[k]), int(clean[k]), int(adv_pred[k])
            )
            for k in chosen
        )
    report(total, total, "Done", force=True)
    return RobustnessCurve(
        method,
        eps_list,
        accuracy,
        clean_accuracy,
        len(x),
        vrange,
        steps if method == "pgd" else 1,
        step_size if method == "pgd" else None,
        pairs,
    )


# --- the data -------------------------------------------------------------------------------


def sample_arrays(
    store: Datastore,
    indices: Sequence[int] | np.ndarray,
    preprocess: PreprocessConfig | None,
    samples: int | None = None,
    seed: int = 0,
    batch_size: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``samples`` of ``store``'s samples at ``indices`` (drawn at random, seeded, kept
    in order), preprocessed as for training (``preprocess`` None: no image preprocessing),
    as (x float32, class indices)."""
    from designer.data.pipeline import make_training_data
    from designer.data.splits import Split

    if store.task != "classification":
        raise RobustnessError(
            f"The robustness analysis expects classification data; the data hold a "
            f"{store.task} task"
        )
    idx = np.asarray(indices, np.int64)
    if len(idx) == 0:
        raise RobustnessError("The robustness analysis needs samples; the data part is empty")
    if samples is not None and 0 < samples < len(idx):
        idx = np.sort(np.random.default_rng(seed).choice(idx, samples, replace=False))
    empty = np.zeros(0, np.int64)
    data = make_training_data(
        store,
        Split(empty, idx, empty),
        preprocess or PreprocessConfig(rescale="none"),
        batch_size=batch_size,
        shuffle=False,
    )
    xs, ys = [], []
    for batch in numpy_batches(data.validation):
        xs.append(np.asarray(batch[0], np.float32))
        ys.append(np.asarray(batch[1]))
    return np.concatenate(xs), np.concatenate(ys).astype(np.int64)


def numpy_batches(dataset: Any) -> Any:
    """(x, y) numpy batches of a tf.data.Dataset or a keras PyDataset."""
    if hasattr(dataset, "as_numpy_iterator"):
        yield from dataset.as_numpy_iterator()
        return
    for i in range(len(dataset)):
        yield dataset[i]
