"""Magnitude pruning for the compression report: zero the smallest weights of every Dense and
convolution kernel, layer by layer, and hold the zeros during a short fine-tune. No Qt.

The masks are held by a constraint on each pruned variable (Keras applies a variable's
constraint after every optimizer step), so no pruning library is needed; after the fine-tune
the masks are applied once more, in case training ran on a copy that lost the constraints.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from designer.insight.scores import accuracy, agreement, keras_predict

#: Layer types whose kernels are pruned (and their subclasses), and the kernels' names.
PRUNABLE = frozenset(
    {
        "Dense",
        "EinsumDense",
        "Conv1D",
        "Conv2D",
        "Conv3D",
        "Conv1DTranspose",
        "Conv2DTranspose",
        "Conv3DTranspose",
        "DepthwiseConv1D",
        "DepthwiseConv2D",
        "SeparableConv1D",
        "SeparableConv2D",
    }
)
KERNELS = ("kernel", "depthwise_kernel", "pointwise_kernel")
#: (model, epochs, tick) -> None: trains ``model`` in place; ``tick(fraction)`` reports the
#: share done (0..1) and raises Cancelled when the user cancelled.
FineTune = Callable[[Any, int, Callable[[float], None]], None]


class CompressionError(ValueError):
    """The report cannot be made for this network or data (the message says why)."""


@dataclass(frozen=True)
class PruningResult:
    """One sparsity: accuracy right after pruning and after the fine-tune."""

    target: float
    achieved: float  # zeros / weights of the pruned kernels
    accuracy_pruned: float
    accuracy_fine_tuned: float | None  # None without a fine-tune
    agreement: float  # with the unpruned network's classes, after the fine-tune if any
    fine_tune_epochs: int
    compressed_bytes: int  # zlib size of all float32 weights (zeros compress)
    layers: tuple[str, ...]


def prunable_kernels(model: Any) -> list[tuple[str, Any]]:
    """(layer name, kernel variable) of every Dense and convolution layer, at any depth."""
    found = []
    stack = list(model.layers)
    while stack:
        layer = stack.pop(0)
        if getattr(layer, "layers", None):
            stack.extend(layer.layers)
            continue
        if not any(c.__name__ in PRUNABLE for c in type(layer).__mro__):
            continue
        for variable in layer.weights:
            if variable.name in KERNELS:
                found.append((layer.name, variable))
    return found


def magnitude_mask(weights: np.ndarray, sparsity: float) -> np.ndarray:
    """1 for the weights kept, 0 for the round(sparsity * n) of smallest magnitude."""
    w = np.asarray(weights)
    k = int(round(float(sparsity) * w.size))
    mask = np.ones(w.size, np.float32)
    if k > 0:
        mask[np.argsort(np.abs(w), axis=None, kind="stable")[:k]] = 0.0
    return mask.reshape(w.shape)


class HoldMask:
    """A weight constraint that multiplies by a fixed mask (after any constraint it wraps)."""

    def __init__(self, mask: np.ndarray, inner: Callable[[Any], Any] | None = None) -> None:
        self.mask = np.asarray(mask, np.float32)
        self.inner = inner

    def __call__(self, w: Any) -> Any:
        import keras

        if self.inner is not None:
            w = self.inner(w)
        return w * keras.ops.cast(keras.ops.convert_to_tensor(self.mask), w.dtype)


@contextlib.contextmanager
def masks_held(kernels: list[tuple[str, Any]], masks: list[np.ndarray]) -> Iterator[None]:
    """Keep the pruned weights at zero during training (constraints on the variables)."""
    previous = [variable.constraint for _, variable in kernels]
    for (_, variable), mask, inner in zip(kernels, masks, previous, strict=True):
        variable.constraint = HoldMask(mask, inner)
    try:
        yield
    finally:
        for (_, variable), inner in zip(kernels, previous, strict=True):
            variable.constraint = inner


def apply_masks(kernels: list[tuple[str, Any]], masks: list[np.ndarray]) -> None:
    """Zero the masked weights."""
    for (_, variable), mask in zip(kernels, masks, strict=True):
        variable.assign(np.asarray(variable.numpy()) * mask)


def sparsity_of(kernels: list[tuple[str, Any]]) -> float:
    """Zeros / weights over the given kernels."""
    total = sum(int(np.prod(v.shape)) for _, v in kernels)
    zeros = sum(int(np.sum(np.asarray(v.numpy()) == 0)) for _, v in kernels)
    return zeros / total if total else 0.0


def compressed_size(model: Any) -> int:
    """zlib size of every weight as float32 (what a zip of a pruned model gains)."""
    raw = b"".join(np.asarray(w, np.float32).tobytes() for w in model.get_weights())
    return len(zlib.compress(raw, 6))


def copy_model(model: Any) -> Any:
    """An independent copy of ``model`` with its weights."""
    import keras

    from designer.core.build import finish_state

    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    finish_state(clone)  # an adapted Normalization computes with constants made from them
    return clone


def prune(
    model: Any,
    sparsity: float,
    x_val: np.ndarray,
    y_val: np.ndarray,
    reference: np.ndarray,
    fine_tune: FineTune | None = None,
    epochs: int = 1,
    tick: Callable[[float], None] | None = None,
) -> PruningResult:
    """Prune a copy of ``model`` to ``sparsity``, measure, fine-tune with the masks held,
    measure again; ``reference`` is the unpruned network's output on ``x_val``."""
    if not 0.0 <= sparsity < 1.0:
        raise CompressionError(f"Expected a sparsity in [0, 1), received {sparsity}")
    work = copy_model(model)
    kernels = prunable_kernels(work)
    if not kernels:
        raise CompressionError(
            "Expected Dense or convolution layers to prune, but the network has none"
        )
    masks = [magnitude_mask(v.numpy(), sparsity) for _, v in kernels]
    apply_masks(kernels, masks)
    pred = keras_predict(work, x_val)
    pruned_accuracy = accuracy(pred, y_val)
    tuned: float | None = None
    if fine_tune is not None and epochs > 0:
        with masks_held(kernels, masks):
            fine_tune(work, epochs, tick or (lambda fraction: None))
        apply_masks(kernels, masks)  # in case training ran on a copy that lost the constraints
        pred = keras_predict(work, x_val)
        tuned = accuracy(pred, y_val)
    return PruningResult(
        target=float(sparsity),
        achieved=sparsity_of(kernels),
        accuracy_pruned=pruned_accuracy,
        accuracy_fine_tuned=tuned,
        agreement=agreement(pred, reference),
        fine_tune_epochs=epochs if tuned is not None else 0,
        compressed_bytes=compressed_size(work),
        layers=tuple(name for name, _ in kernels),
    )
